package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.record.TimestampType;
import org.junit.jupiter.api.Test;

/** Which redelivered records a conversation's progress mark covers. */
class ProgressMarkTest {

  private static ConsumerRecord<byte[], byte[]> record(String topic, int partition, long offset, long timestamp) {
    return new ConsumerRecord<>(topic, partition, offset, timestamp, TimestampType.CREATE_TIME, 0, 0, null, null,
        new org.apache.kafka.common.header.internals.RecordHeaders(), java.util.Optional.empty());
  }

  @Test
  void aMarkCoversItsRecordAndEarlierOnesOfTheSamePartition() {
    String mark = ProgressMark.of(record("chat-in.v2", 3, 40, 1_000));

    assertThat(mark).isEqualTo("chat-in.v2-3@40@1000");
    assertThat(ProgressMark.covers(mark, record("chat-in.v2", 3, 40, 1_000))).isTrue();
    assertThat(ProgressMark.covers(mark, record("chat-in.v2", 3, 12, 900))).isTrue();
  }

  @Test
  void laterRecordsOtherPartitionsAndOtherTopicsAreNotCovered() {
    String mark = ProgressMark.of(record("chat-in", 3, 40, 1_000));

    assertThat(ProgressMark.covers(mark, record("chat-in", 3, 41, 1_000))).isFalse();
    assertThat(ProgressMark.covers(mark, record("chat-in", 4, 40, 1_000))).isFalse();
    assertThat(ProgressMark.covers(mark, record("chat-in-3", 3, 40, 1_000))).isFalse();
    assertThat(ProgressMark.covers(mark, record("chat", 3, 40, 1_000))).isFalse();
  }

  @Test
  void aRecordNewerThanTheMarkIsNotCoveredWhateverItsOffset() {
    // The topic was deleted and created again: offsets start over, timestamps do not.
    String mark = ProgressMark.of(record("chat-in", 0, 500, 1_000));

    assertThat(ProgressMark.covers(mark, record("chat-in", 0, 3, 2_000))).isFalse();
  }

  @Test
  void noMarkOrOneThatDoesNotParseCoversNothing() {
    ConsumerRecord<byte[], byte[]> r = record("chat-in", 0, 1, 1);

    assertThat(ProgressMark.covers(null, r)).isFalse();
    for (String odd : new String[] {"", "x", "chat-in-0@1", "chat-in-x@1@1", "chat-in-0@one@1", "@@", "-0@1@1"}) {
      assertThat(ProgressMark.covers(odd, r)).as("'%s'", odd).isFalse();
    }
  }
}
