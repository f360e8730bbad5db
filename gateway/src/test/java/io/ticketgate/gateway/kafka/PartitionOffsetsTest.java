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

  @Test
  void theMetadataListsWhatIsStillUnfinishedAboveTheCommittedOffset() {
    PartitionOffsets p = new PartitionOffsets();
    for (long o = 10; o < 20; o++) {
      p.started(o);
    }
    for (long o : new long[] {11, 12, 13, 15, 16, 17, 18, 19}) {
      p.finished(o);
    }
    assertThat(p.committable()).isEqualTo(10);
    CommitMetadata.Progress progress = CommitMetadata.decode(10, p.metadata());
    assertThat(progress.end()).isEqualTo(20);
    assertThat(progress.unfinished()).containsExactly(10L, 14L);
  }

  @Test
  void nothingBeyondTheOffsetMeansNoMetadata() {
    PartitionOffsets p = new PartitionOffsets();
    p.started(4);
    p.finished(4);
    assertThat(p.committable()).isEqualTo(5);
    assertThat(p.metadata()).isEmpty();
  }

  @Test
  void aNewOwnerSkipsWhatThePreviousOneFinishedAndPassesOnWhatItHasNotReadYet() {
    PartitionOffsets previous = new PartitionOffsets();
    for (long o = 100; o < 110; o++) {
      previous.started(o);
    }
    for (long o = 101; o < 110; o++) {
      if (o != 105) {
        previous.finished(o);
      }
    }
    String metadata = previous.metadata(); // committed at 100; 100 and 105 unfinished

    PartitionOffsets next = new PartitionOffsets();
    next.inherit(CommitMetadata.decode(previous.committable(), metadata));
    assertThat(next.finishedBefore(100)).isFalse();
    next.started(100);
    assertThat(next.finishedBefore(101)).isTrue();
    next.skipped(101);
    next.skipped(102);
    // Committed now: 100 is running; 101-102 this owner skipped; 103-109 it has not read yet, but the
    // previous owner's knowledge must not be lost if the partition moves again before it does.
    CommitMetadata.Progress passedOn = CommitMetadata.decode(next.committable(), next.metadata());
    assertThat(next.committable()).isEqualTo(100);
    assertThat(passedOn.end()).isEqualTo(110);
    assertThat(passedOn.unfinished()).containsExactly(100L, 105L);

    next.finished(100);
    next.skipped(103);
    next.skipped(104);
    assertThat(next.finishedBefore(105)).isFalse();
    next.started(105);
    for (long o = 106; o < 110; o++) {
      assertThat(next.finishedBefore(o)).isTrue();
      next.skipped(o);
    }
    assertThat(next.finishedBefore(110)).as("beyond what the previous owner knew").isFalse();
    assertThat(next.committable()).isEqualTo(105);
    assertThat(CommitMetadata.decode(105, next.metadata()).unfinished()).containsExactly(105L);
  }
}
