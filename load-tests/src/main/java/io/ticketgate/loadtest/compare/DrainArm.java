package io.ticketgate.loadtest.compare;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Ceiling arm: a raw {@code KafkaConsumer} that only reads. Commits each batch asynchronously and
 * the last synchronously; no bot, no output. Its dispatch log has one line per record with
 * start = end, the moment it was seen.
 */
public final class DrainArm {

  private DrainArm() {}

  /** Entry point; takes the arm contract's options. */
  public static void main(String[] argv) {
    RawClients.main("drain", argv, DrainArm::run);
  }

  static void run(ArmArgs args, ArmRuntime rt) {
    try (KafkaConsumer<String, String> consumer = RawClients.consumer(args)) {
      consumer.subscribe(List.of(args.input()));
      while (rt.handled.get() < args.expected()) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) {
          continue;
        }
        rt.consumed();
        for (ConsumerRecord<String, String> r : records) {
          long t = ArmRuntime.nowMicros();
          rt.dispatched(r.key(), ArmRuntime.seq(r.value()), -1, t, t, true);
        }
        rt.handled.addAndGet(records.count());
        int count = records.count();
        consumer.commitAsync(nextOffsets(records), (offsets, error) -> {
          if (error == null) {
            rt.committed.addAndGet(count);
          } else {
            System.err.println("drain: an async commit failed (the final commit covers it): " + error);
          }
        });
      }
      // The final synchronous commit covers every record, whatever the async ones did.
      consumer.commitSync();
      rt.committed.set(rt.handled.get());
      rt.checkDone();
    }
    rt.finish();
  }

  /** Per partition, the offset after the batch's last record: what a commit of the batch sends. */
  static Map<TopicPartition, OffsetAndMetadata> nextOffsets(ConsumerRecords<String, String> records) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : records.partitions()) {
      List<ConsumerRecord<String, String>> list = records.records(tp);
      offsets.put(tp, new OffsetAndMetadata(list.get(list.size() - 1).offset() + 1));
    }
    return offsets;
  }
}
