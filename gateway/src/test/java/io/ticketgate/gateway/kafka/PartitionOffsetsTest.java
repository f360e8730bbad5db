package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PartitionOffsetsTest {

  @Test
  void nothingConsumedNothingToCommit() {
    assertThat(new PartitionOffsets().committable()).isEqualTo(-1);
  }

  @Test
  void commitsOnlyUpToTheLowestUnfinishedOffset() {
    PartitionOffsets p = new PartitionOffsets();
    for (long o = 10; o < 15; o++) {
      p.started(o);
    }
    assertThat(p.committable()).isEqualTo(10);
    p.finished(11);
    p.finished(12);
    assertThat(p.committable()).as("10 is still running").isEqualTo(10);
    p.finished(10);
    assertThat(p.committable()).isEqualTo(13);
    p.finished(14);
    assertThat(p.committable()).isEqualTo(13);
    p.finished(13);
    assertThat(p.committable()).as("past the last consumed record").isEqualTo(15);
    assertThat(p.unfinishedCount()).isZero();
  }

  @Test
  void gapsInOffsetsAreFine() {
    PartitionOffsets p = new PartitionOffsets();
    p.started(3); // compacted or transactional topics skip offsets
    p.started(8);
    p.finished(8);
    assertThat(p.committable()).isEqualTo(3);
    p.finished(3);
    assertThat(p.committable()).isEqualTo(9);
  }
}
