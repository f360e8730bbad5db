package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;

class CommitMetadataTest {

  @Test
  void roundTripsTheEndAndTheUnfinishedOffsets() {
    String m = CommitMetadata.encode(1_000_000, 1_000_500, List.of(1_000_000L, 1_000_001L, 1_000_300L));
    assertThat(m).startsWith("tg1:");
    CommitMetadata.Progress p = CommitMetadata.decode(1_000_000, m);
    assertThat(p.end()).isEqualTo(1_000_500);
    assertThat(p.unfinished()).containsExactly(1_000_000L, 1_000_001L, 1_000_300L);
  }

  @Test
  void everythingFinishedBeyondTheOffsetIsJustTheEnd() {
    CommitMetadata.Progress p = CommitMetadata.decode(7, CommitMetadata.encode(7, 42, List.of()));
    assertThat(p.end()).isEqualTo(42);
    assertThat(p.unfinished()).isEmpty();
  }

  @Test
  void nothingBeyondTheOffsetIsTheEmptyString() {
    assertThat(CommitMetadata.encode(7, 7, List.of())).isEmpty();
    assertThat(CommitMetadata.decode(7, "")).isNull();
  }

  @Test
  void metadataOfOtherToolsMeansNothingKnown() {
    assertThat(CommitMetadata.decode(7, null)).isNull();
    assertThat(CommitMetadata.decode(7, "committed by kafka-consumer-groups")).isNull();
  }

  @Test
  void aListTooLongForTheBrokerIsCutAndTheEndLoweredToTheFirstOffsetLeftOut() {
    // Every other offset unfinished: 20,000 entries would need far more than the limit.
    List<Long> unfinished = LongStream.range(0, 20_000).map(i -> i * 2).boxed().toList();
    String m = CommitMetadata.encode(0, 40_000, unfinished, 200);
    assertThat(m.length()).isLessThanOrEqualTo(200);
    CommitMetadata.Progress p = CommitMetadata.decode(0, m);
    assertThat(p.unfinished()).isNotEmpty();
    long firstLeftOut = unfinished.get(p.unfinished().size());
    assertThat(p.end()).as("offsets past the cut count as unknown, so they are dispatched again").isEqualTo(firstLeftOut);
    assertThat(p.unfinished()).containsExactlyElementsOf(unfinished.subList(0, p.unfinished().size()));
    assertThat(CommitMetadata.encode(0, 40_000, unfinished).length()).isLessThanOrEqualTo(CommitMetadata.MAX_CHARS);
  }

  @Test
  void corruptMetadataIsAnErrorThatSaysWhy() {
    assertThatThrownBy(() -> CommitMetadata.decode(0, "tg1:gA")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("truncated");
    String endIsThree = CommitMetadata.encode(0, 3, List.of());
    String withAnOffsetPastTheEnd = "tg1:" + java.util.Base64.getUrlEncoder().withoutPadding()
        .encodeToString(new byte[] {3, 5});
    assertThat(CommitMetadata.decode(0, endIsThree).end()).isEqualTo(3);
    assertThatThrownBy(() -> CommitMetadata.decode(0, withAnOffsetPastTheEnd)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("past the end");
  }

  @Test
  void unorderedInputIsABug() {
    assertThatThrownBy(() -> CommitMetadata.encode(10, 20, List.of(12L, 11L))).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> CommitMetadata.encode(10, 20, List.of(25L))).isInstanceOf(IllegalArgumentException.class);
  }
}
