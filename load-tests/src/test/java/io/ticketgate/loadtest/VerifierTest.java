package io.ticketgate.loadtest;

import static io.ticketgate.loadtest.Dispatch.accepted;
import static io.ticketgate.loadtest.Dispatch.fenced;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class VerifierTest {

  private static Verifier.Check check(List<Verifier.Check> checks, String name) {
    return checks.stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  @Test
  void cleanRunPassesEverything() {
    List<Verifier.Check> checks = Verifier.verify(Map.of("a", 2, "b", 1), List.of(
        accepted("a", 1, 1, 0, 10), accepted("b", 1, 1, 5, 15), accepted("a", 2, 2, 10, 20)));
    assertThat(checks).allMatch(Verifier.Check::pass);
    assertThat(check(checks, "duplicates").count()).isZero();
    assertThat(check(checks, "nothing-lost").line()).startsWith("PASS nothing-lost: all 3 messages");
  }

  @Test
  void missingSeqFailsAndNamesIt() {
    Verifier.Check lost = check(Verifier.verify(Map.of("a", 3),
        List.of(accepted("a", 1, 1, 0, 1), accepted("a", 3, 3, 2, 3))), "nothing-lost");
    assertThat(lost.pass()).isFalse();
    assertThat(lost.count()).isEqualTo(1);
    assertThat(lost.line()).startsWith("FAIL nothing-lost: 1 of 3").contains("a seq 2");
  }

  @Test
  void fencedDispatchDoesNotCountAsDelivered() {
    Verifier.Check lost = check(Verifier.verify(Map.of("a", 1), List.of(fenced("a", 1, 1, 0, 1))),
        "nothing-lost");
    assertThat(lost.pass()).isFalse();
  }

  @Test
  void outOfOrderFirstDeliveryFails() {
    Verifier.Check order = check(Verifier.verify(Map.of("a", 2),
        List.of(accepted("a", 2, 1, 0, 1), accepted("a", 1, 2, 2, 3))), "order");
    assertThat(order.pass()).isFalse();
    assertThat(order.line()).contains("a seq 1 first delivered after seq 2");
  }

  @Test
  void redeliveryOfAnEarlierSeqIsADuplicateNotAnOrderViolation() {
    List<Verifier.Check> checks = Verifier.verify(Map.of("a", 3), List.of(
        accepted("a", 1, 1, 0, 1), accepted("a", 2, 2, 2, 3),
        accepted("a", 2, 5, 10, 11), accepted("a", 3, 6, 12, 13)));
    assertThat(check(checks, "order").pass()).isTrue();
    Verifier.Check dup = check(checks, "duplicates");
    assertThat(dup.pass()).isTrue();
    assertThat(dup.count()).isEqualTo(1);
    assertThat(dup.line()).contains("1 redeliveries").contains("a seq 2 x2");
  }

  @Test
  void overlappingAcceptedDispatchesFail() {
    Verifier.Check mutex = check(Verifier.verify(Map.of("a", 3), List.of(
        accepted("a", 1, 1, 0, 100), accepted("a", 2, 2, 50, 60), accepted("a", 3, 3, 70, 80))),
        "mutual-exclusion");
    // seq 3 starts after seq 2 ended but still inside seq 1: both overlap the long first call.
    assertThat(mutex.pass()).isFalse();
    assertThat(mutex.count()).isEqualTo(2);
    assertThat(mutex.line()).contains("a seq 2 (ticket 2) started");
  }

  @Test
  void fencedDispatchOverlappingIsExcludedButCounted() {
    Verifier.Check mutex = check(Verifier.verify(Map.of("a", 1), List.of(
        accepted("a", 1, 5, 0, 100), fenced("a", 1, 4, 50, 51))), "mutual-exclusion");
    assertThat(mutex.pass()).isTrue();
    assertThat(mutex.line()).contains("1 fenced");
  }

  @Test
  void otherConversationsMayOverlap() {
    assertThat(check(Verifier.verify(Map.of("a", 1, "b", 1), List.of(
        accepted("a", 1, 1, 0, 100), accepted("b", 1, 1, 10, 20))), "mutual-exclusion").pass()).isTrue();
  }

  @Test
  void phantomMessageFails() {
    Verifier.Check phantom = check(Verifier.verify(Map.of("a", 1), List.of(
        accepted("a", 1, 1, 0, 1), accepted("a", 7, 2, 2, 3), accepted("z", 1, 1, 0, 1))), "no-phantoms");
    assertThat(phantom.pass()).isFalse();
    assertThat(phantom.count()).isEqualTo(2);
  }

  @Test
  void latencyModelsParse() {
    assertThat(LatencyModel.parse("fixed:10ms").nextNanos()).isEqualTo(10_000_000L);
    LatencyModel.Uniform u = (LatencyModel.Uniform) LatencyModel.parse("uniform:5ms:20ms");
    assertThat(u.minNanos()).isEqualTo(5_000_000L);
    LatencyModel.LogNormal ln = (LatencyModel.LogNormal) LatencyModel.parse("lognormal:10ms:50ms");
    assertThat(ln.mu()).isCloseTo(Math.log(1e7), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(ln.sigma()).isCloseTo(Math.log(5) / 2.3263, org.assertj.core.data.Offset.offset(1e-9));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> LatencyModel.parse("gauss:1ms"))
        .hasMessageContaining("unknown kind 'gauss'");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> LatencyModel.parse("fixed:10"))
        .hasMessageContaining("needs a unit");
  }

  @Test
  void aReplyPublishedTwiceIsCountedNotFailed() {
    Verifier.Check once = Verifier.duplicateReplies(List.of("a#1", "a#2", "b#1"));
    Verifier.Check twice = Verifier.duplicateReplies(List.of("a#1", "a#2", "a#2", "b#1", "a#2"));

    assertThat(once.count()).isZero();
    assertThat(twice.pass()).isTrue();
    assertThat(twice.count()).isEqualTo(2);
    assertThat(twice.detail()).contains("a#2 x3");
  }

  @Test
  void callsMadeAgainAfterAKillAreSetAgainstWhatTheKilledReplicaHadInFlight() {
    long s = 1_000_000_000L;
    long kill = 100 * s;
    List<Dispatch> dispatches = List.of(
        // a: answered long before the kill, then called again by the survivor: the mark should have stopped it
        new Dispatch("a", 1, 1, "r1", 10 * s, 11 * s, true), new Dispatch("a", 1, 2, "r2", 110 * s, 111 * s, true),
        // b: its call was open at the kill
        new Dispatch("b", 4, 1, "r1", kill - 5, kill + 5 * s, true), new Dispatch("b", 4, 2, "r2", 108 * s, 109 * s, true),
        // c: answered half a second before the kill, perhaps not released
        new Dispatch("c", 2, 1, "r1", kill - s, kill - s / 2, true), new Dispatch("c", 2, 2, "r2", 107 * s, 108 * s, true),
        // d: in flight on r1 at the kill, not called again
        new Dispatch("d", 7, 1, "r1", kill - 10, kill + 10, true),
        // e: the survivor's own, called twice: not the kill's
        new Dispatch("e", 1, 1, "r2", 50 * s, 51 * s, true), new Dispatch("e", 1, 2, "r2", 60 * s, 61 * s, true));

    Verifier.Check check = Verifier.killDuplicates(List.of(new Fault("kill", "r1", kill, kill, "SIGKILL r1")),
        dispatches).orElseThrow();

    assertThat(check.pass()).isTrue();
    assertThat(check.count()).as("made again for messages answered before the kill's window").isEqualTo(1);
    assertThat(check.line()).contains("3 conversation(s) in flight on it (2 with a call open, 1 answered within 1 s)")
        .contains("3 call(s) made again: 1 open at the kill, 1 answered within 1 s before it, 1 answered earlier")
        .contains("a#1 (answered 89.0 s before the kill)");
  }

  @Test
  void aGracefulStopThatRepeatsNothingPassesWithWhatItDrained() {
    long s = 1_000_000_000L;
    long term = 100 * s;
    long exit = 102 * s;
    List<Dispatch> dispatches = List.of(
        new Dispatch("a", 1, 1, "r1", 10 * s, 11 * s, true),
        // open at the SIGTERM, and one more the stopping replica finished before exiting
        new Dispatch("a", 2, 2, "r1", term - 5, term + 5, true),
        new Dispatch("b", 1, 1, "r1", term + s, term + s + 5, true),
        // the next messages, from the replica that took the partitions over
        new Dispatch("a", 3, 3, "r2", 110 * s, 111 * s, true), new Dispatch("b", 2, 2, "r2", 110 * s, 111 * s, true),
        // the survivor's own message, called twice: not the graceful stop's
        new Dispatch("e", 1, 1, "r2", 50 * s, 51 * s, true), new Dispatch("e", 1, 2, "r2", 60 * s, 61 * s, true));

    Verifier.Check check = Verifier.termDuplicates(List.of(new Fault("term", "r1", term, exit, "SIGTERM r1")),
        dispatches, List.of("a#1", "a#2", "b#1", "a#3", "b#2", "e#1")).orElseThrow();

    assertThat(check.pass()).isTrue();
    assertThat(check.count()).isZero();
    assertThat(check.line()).isEqualTo("PASS term-duplicates: SIGTERM of r1: exited 2.0 s later, 2 call(s) of 2 "
        + "conversation(s) open or made while it stopped; 0 call(s) made again, 0 reply(ies) published again");
  }

  @Test
  void anythingAGracefulStopRepeatsFailsNamingTheCalls() {
    long s = 1_000_000_000L;
    long term = 100 * s;
    List<Dispatch> dispatches = List.of(
        // answered while r1 drained, then called again by the new owner of its partition
        new Dispatch("a", 3, 3, "r1", term + s / 10, term + s / 5, true),
        new Dispatch("a", 3, 4, "r2", 102 * s, 103 * s, true),
        // answered long before the SIGTERM, its reply published twice without a second call
        new Dispatch("b", 1, 1, "r1", 10 * s, 11 * s, true),
        // the survivor's message that the stopping replica called once more after the SIGTERM
        new Dispatch("c", 5, 7, "r2", 90 * s, 91 * s, true),
        new Dispatch("c", 5, 8, "r1", term + s, term + s + 5, true));

    Fault stop = new Fault("term", "r1", term, 101 * s + s / 2, "SIGTERM r1");
    Verifier.Check check = Verifier.termDuplicates(List.of(stop), dispatches,
        List.of("a#3", "a#3", "b#1", "b#1", "c#5")).orElseThrow();

    assertThat(check.pass()).isFalse();
    assertThat(check.count()).as("2 calls and 2 replies").isEqualTo(4);
    assertThat(check.line()).startsWith("FAIL term-duplicates: SIGTERM of r1: exited 1.5 s later")
        .contains("2 call(s) made again, 2 reply(ies) published again")
        .contains("a#3 (called by r1 ticket 3 at +0.100 s, r2 ticket 4 at +2.000 s; 2 replies)")
        .contains("b#1 (called by r1 ticket 1 at -90.000 s; 2 replies)")
        .contains("c#5 (called by r2 ticket 7 at -10.000 s, r1 ticket 8 at +1.000 s)")
        .endsWith("(a graceful stop must repeat nothing)");
  }

  @Test
  void withoutAGracefulStopThereIsNoTermLine() {
    assertThat(Verifier.termDuplicates(List.of(new Fault("kill", "r1", 0, 0, "SIGKILL r1")), List.of(), List.of()))
        .isEmpty();
  }

  @Test
  void withoutAKillThereIsNoKillLine() {
    assertThat(Verifier.killDuplicates(List.of(new Fault("pause", "r1", 0, 1, "SIGSTOP r1")), List.of())).isEmpty();
  }
}
