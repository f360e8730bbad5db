package io.ticketgate.gateway.kafka;

import org.apache.kafka.clients.consumer.ConsumerRecord;

/**
 * A conversation's progress mark: the last record of the conversation whose outcome (replies or a
 * dead letter) was acknowledged, recorded in the lock store with the release of its turn
 * ({@link io.ticketgate.store.HeldLock#close(String)}) and read by the next turn, in whatever
 * replica. A record the mark covers was answered already: it is delivered again only because the
 * replica that answered it died before committing its offset.
 *
 * <p>Written {@code <topic>-<partition>@<offset>@<timestamp>}. The record's timestamp guards
 * against offsets that start over (a topic deleted and created again): a record of the new topic
 * at a low offset is newer than the mark, so it is not taken for a duplicate. When in doubt (a
 * mark that does not parse, timestamps out of order) the record is dispatched: a second bot call
 * is the lesser harm than a message never answered.
 */
final class ProgressMark {

  private ProgressMark() {}

  /** The mark that says {@code record} was answered. */
  static String of(ConsumerRecord<?, ?> record) {
    return record.topic() + "-" + record.partition() + "@" + record.offset() + "@" + record.timestamp();
  }

  /**
   * Whether {@code mark} says {@code record} was answered: same topic and partition, an offset at or
   * below the mark's, and a timestamp no later than the marked record's.
   */
  static boolean covers(String mark, ConsumerRecord<?, ?> record) {
    if (mark == null) {
      return false;
    }
    int at2 = mark.lastIndexOf('@');
    int at1 = at2 <= 0 ? -1 : mark.lastIndexOf('@', at2 - 1);
    int dash = at1 <= 0 ? -1 : mark.lastIndexOf('-', at1 - 1);
    if (dash <= 0) {
      return false;
    }
    try {
      String topic = mark.substring(0, dash);
      int partition = Integer.parseInt(mark.substring(dash + 1, at1));
      long offset = Long.parseLong(mark.substring(at1 + 1, at2));
      long timestamp = Long.parseLong(mark.substring(at2 + 1));
      return topic.equals(record.topic()) && partition == record.partition() && record.offset() <= offset
          && record.timestamp() <= timestamp;
    } catch (NumberFormatException e) {
      return false; // not a mark of ours (another version, another writer): dispatch
    }
  }
}
