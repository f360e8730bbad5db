package io.ticketgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StallsTest {

  private static final long MS = 1_000_000L;

  private static Dispatch on(String replica, String conversation, long seq, long startMs, long endMs) {
    return new Dispatch(conversation, seq, seq, replica, startMs * MS, endMs * MS, true);
  }

  @Test
  void aPausedReplicasConversationsStallFromTheirLastDispatchToTheirNext() {
    Map<String, List<Dispatch>> byConversation = new LinkedHashMap<>();
    // a: on r1, paused at 100 ms; its next dispatch (by r2, after the partition moved) at 9,000 ms.
    byConversation.put("a", List.of(on("r1", "a", 1, 0, 10), on("r1", "a", 2, 90, 95), on("r2", "a", 3, 9_000, 9_010),
        on("r2", "a", 4, 9_012, 9_020)));
    // b: on r2, unaffected: its handoffs around the pause stay ordinary.
    byConversation.put("b", List.of(on("r2", "b", 1, 0, 10), on("r2", "b", 2, 98, 99), on("r2", "b", 3, 101, 110)));
    // c: on r1 too, 3,000 ms of stall.
    byConversation.put("c", List.of(on("r1", "c", 1, 50, 60), on("r1", "c", 2, 3_060, 3_070)));
    // d: on r1, but finished before the pause: nothing waited.
    byConversation.put("d", List.of(on("r1", "d", 1, 0, 5)));
    Fault pause = new Fault("pause", "r1", 100 * MS, 8_100 * MS, "SIGSTOP r1 for 8000 ms");

    Stalls.Result result = Stalls.of(List.of(pause), byConversation);

    Stalls.Stall stall = result.stalls().getFirst();
    assertThat(stall.affected()).isEqualTo(2);
    assertThat(stall.gaps().max()).isEqualTo(8_905.0);
    assertThat(stall.gaps().p50()).isEqualTo(3_000.0);
    assertThat(stall.worstConversation()).isEqualTo("a");
    assertThat(result.gapKeys()).containsExactlyInAnyOrder(Stalls.key("a", 2), Stalls.key("c", 1));
  }

  @Test
  void aSharedFaultHitsEveryConversationWithWorkAcrossIt() {
    Map<String, List<Dispatch>> byConversation = new LinkedHashMap<>();
    byConversation.put("a", List.of(on("r1", "a", 1, 0, 10), on("r1", "a", 2, 2_500, 2_510)));
    byConversation.put("b", List.of(on("r2", "b", 1, 5, 15), on("r1", "b", 2, 2_600, 2_610)));
    Fault redis = new Fault("redis-restart", null, 20 * MS, 2_400 * MS, "redis-server restarted");

    Stalls.Stall stall = Stalls.of(List.of(redis), byConversation).stalls().getFirst();

    assertThat(stall.affected()).isEqualTo(2);
    assertThat(stall.gaps().max()).isEqualTo(2_585.0);
    assertThat(stall.gaps().count()).isEqualTo(2);
    assertThat(stall.worstConversation()).isEqualTo("b");
  }

  @Test
  void aKillIsAnInstantAndADispatchInFlightAtItCountsAsBeforeIt() {
    Map<String, List<Dispatch>> byConversation = new LinkedHashMap<>();
    // The bot finished r1's call after r1 died; the next one came 10 s later from the new owner.
    byConversation.put("a", List.of(on("r1", "a", 1, 990, 1_020), on("r2", "a", 1, 11_000, 11_010)));
    Fault kill = new Fault("kill", "r1", 1_000 * MS, 1_000 * MS, "SIGKILL r1");

    Stalls.Stall stall = Stalls.of(List.of(kill), byConversation).stalls().getFirst();

    assertThat(stall.affected()).isEqualTo(1);
    assertThat(stall.gaps().max()).isEqualTo(9_980.0);
  }

  @Test
  void eachFaultIsReportedOnItsOwnAndNoFaultNoStall() {
    Map<String, List<Dispatch>> byConversation = Map.of("a", List.of(on("r1", "a", 1, 0, 10),
        on("r1", "a", 2, 500, 510), on("r1", "a", 3, 4_000, 4_010)));
    Fault first = new Fault("redis-restart", null, 100 * MS, 400 * MS, "first");
    Fault second = new Fault("pause", "r1", 1_000 * MS, 3_000 * MS, "second");

    Stalls.Result result = Stalls.of(List.of(first, second), byConversation);

    assertThat(result.stalls()).extracting(s -> s.gaps().max()).containsExactly(490.0, 3_490.0);
    assertThat(Stalls.of(List.of(), byConversation).stalls()).isEmpty();
    Fault unrelated = new Fault("pause", "r9", 1_000 * MS, 3_000 * MS, "nobody's");
    Stalls.Stall none = Stalls.of(List.of(unrelated), byConversation).stalls().getFirst();
    assertThat(none.affected()).isZero();
    assertThat(none.worstConversation()).isNull();
  }
}
