package io.ticketgate.loadtest.peers;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

class CommitTrackerTest {

  private static final TopicPartition P0 = new TopicPartition("in", 0);
  private static final TopicPartition P1 = new TopicPartition("in", 1);

  @Test
  void countsHandledRecordsBelowTheCommittedOffsetOnce() throws Exception {
    CommitTracker t = new CommitTracker(4);
    t.handled(P0, 0);
    t.handled(P0, 2);
    t.handled(P0, 2); // a retry of the same record
    t.handled(P1, 0);
    assertThat(t.handled()).isEqualTo(3);
    // Offset 1 of P0 is still running: the commit stops below it.
    t.committed(Map.of(P0, new OffsetAndMetadata(1), P1, new OffsetAndMetadata(1)));
    assertThat(t.committed()).isEqualTo(2);
    assertThat(t.awaitDone(0)).isFalse();

    t.handled(P0, 1);
    t.committed(Map.of(P0, new OffsetAndMetadata(3)));
    assertThat(t.committed()).isEqualTo(4);
    assertThat(t.awaitDone(0)).isTrue();

    // Redelivered after being committed (at-least-once): not handled again.
    t.handled(P0, 0);
    assertThat(t.handled()).isEqualTo(4);
  }
}
