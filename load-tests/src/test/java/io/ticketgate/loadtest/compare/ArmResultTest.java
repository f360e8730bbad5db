package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.loadtest.Dispatch;
import io.ticketgate.loadtest.Verifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** How an arm's figures and verdicts are made, in particular for arms stopped on their budget. */
class ArmResultTest {

  private static final Map<String, Integer> EXPECTED = Map.of("a", 4, "b", 4, "c", 4);

  @Test
  void aPartialArmIsVerifiedUpToTheHighestSeqItReachedInEachConversation() {
    // a reached 3 (1..3 all there), b reached 2, c never started: all fine for a partial arm.
    List<Dispatch> d = dispatches("a", 1, 2, 3);
    d.addAll(dispatches("b", 1, 2));
    ArmResult r = ArmResult.of(ArmKind.PLAIN, "inprocess", 10, outcome(ArmStatus.PARTIAL, 5, -1), d, null, Map.of(),
        EXPECTED);
    assertThat(r.verified()).as(r.checks().toString()).isTrue();
    assertThat(ArmResult.verifiedPrefix(ArmStatus.PARTIAL, d, EXPECTED)).containsExactlyEntriesOf(
        new java.util.TreeMap<>(Map.of("a", 3, "b", 2)));
    assertThat(r.handled()).isEqualTo(5);
  }

  @Test
  void aGapInsideThePrefixIsALoss() {
    List<Dispatch> d = dispatches("a", 1, 3);
    ArmResult r = ArmResult.of(ArmKind.PLAIN, "inprocess", 10, outcome(ArmStatus.PARTIAL, 2, -1), d, null, Map.of(),
        EXPECTED);
    assertThat(check(r, "nothing-lost").pass()).isFalse();
    assertThat(check(r, "nothing-lost").detail()).contains("a seq 2");
  }

  @Test
  void aPhantomBeyondWhatWasProducedStillFailsAPartialArm() {
    List<Dispatch> d = dispatches("a", 1, 2, 3, 4, 5);
    ArmResult r = ArmResult.of(ArmKind.PLAIN, "inprocess", 10, outcome(ArmStatus.PARTIAL, 5, -1), d, null, Map.of(),
        EXPECTED);
    assertThat(check(r, "no-phantoms").pass()).isFalse();
    assertThat(check(r, "nothing-lost").pass()).isTrue();
  }

  @Test
  void aDoneArmMustHaveDispatchedEverything() {
    List<Dispatch> d = dispatches("a", 1, 2, 3, 4);
    d.addAll(dispatches("b", 1, 2, 3, 4));
    ArmResult r = ArmResult.of(ArmKind.PLAIN, "inprocess", 10, outcome(ArmStatus.DONE, 12, 2_000_000), d, null,
        Map.of(), EXPECTED);
    assertThat(check(r, "nothing-lost").pass()).isFalse();
    assertThat(check(r, "completed").pass()).isFalse();
    // Done: records over the elapsed time the arm reported.
    assertThat(r.throughput()).isEqualTo(6.0);
  }

  @Test
  void aPartialArmsThroughputIsOverTheTimeItWorked() {
    List<Dispatch> d = new ArrayList<>();
    d.add(Dispatch.accepted("a", 1, -1, 1_000_000_000L, 1_000_000_000L));
    d.add(Dispatch.accepted("a", 2, -1, 1_500_000_000L, 2_000_000_000L));
    d.add(Dispatch.accepted("b", 1, -1, 2_000_000_000L, 3_000_000_000L));
    ArmResult r = ArmResult.of(ArmKind.PLAIN, "inprocess", 10, outcome(ArmStatus.PARTIAL, 3, -1), d, null, Map.of(),
        EXPECTED);
    assertThat(r.seconds()).isEqualTo(2.0);
    assertThat(r.throughput()).isEqualTo(1.5);
  }

  @Test
  void overlappingDispatchesOfAConversationFailMutualExclusionAndDuplicatesAreCounted() {
    List<Dispatch> d = new ArrayList<>();
    d.add(Dispatch.accepted("a", 1, -1, 0, 10));
    d.add(Dispatch.accepted("a", 2, -1, 5, 20));
    d.add(Dispatch.accepted("a", 2, -1, 30, 40));
    ArmResult r = ArmResult.of(ArmKind.PLAIN, "inprocess", 10, outcome(ArmStatus.PARTIAL, 2, -1), d, null, Map.of(),
        EXPECTED);
    assertThat(check(r, "mutual-exclusion").pass()).isFalse();
    assertThat(r.duplicates()).isEqualTo(1);
  }

  @Test
  void everyCommittedRecordNeedsAReplyOnTheOutputTopic() {
    List<Dispatch> d = dispatches("a", 1, 2, 3, 4);
    ArmResult ok = ArmResult.of(ArmKind.PIPE, "inprocess", 0, outcome(ArmStatus.PARTIAL, 3, -1), d,
        Set.of("a#1", "a#2", "a#3"), Map.of(), EXPECTED);
    assertThat(check(ok, "replies").pass()).isTrue();
    assertThat(ok.replies()).isEqualTo(3);
    ArmResult lost = ArmResult.of(ArmKind.PIPE, "inprocess", 0, outcome(ArmStatus.PARTIAL, 4, -1), d,
        Set.of("a#1"), Map.of(), EXPECTED);
    assertThat(check(lost, "replies").pass()).isFalse();
    assertThat(lost.verified()).isFalse();
  }

  @Test
  void endToEndRunsFromWhenTheArmCouldSeeTheMessage() {
    // Produced long before the arm started at t=1 s: measured from the arm's first dispatch.
    List<Dispatch> d = new ArrayList<>();
    d.add(Dispatch.accepted("a", 1, -1, 1_000_000_000L, 1_010_000_000L));
    d.add(Dispatch.accepted("a", 2, -1, 1_010_000_000L, 1_030_000_000L));
    ArmResult r = ArmResult.of(ArmKind.PLAIN, "inprocess", 10, outcome(ArmStatus.PARTIAL, 2, -1), d, null,
        Map.of("a#1", 5L, "a#2", 6L), EXPECTED);
    assertThat(r.endToEnd().p50()).isEqualTo(10.0);
    assertThat(r.endToEnd().max()).isEqualTo(30.0);
  }

  private static Verifier.Check check(ArmResult r, String name) {
    return r.checks().stream().filter(c -> c.name().equals(name)).findFirst().orElseThrow();
  }

  private static ArmProcess.Outcome outcome(ArmStatus status, long committed, long elapsedMicros) {
    return new ArmProcess.Outcome(status, committed, committed, elapsedMicros, -1, -1, "");
  }

  /** Sequential, non-overlapping dispatches of the seqs, 10 ms each. */
  static List<Dispatch> dispatches(String conv, long... seqs) {
    List<Dispatch> d = new ArrayList<>();
    long t = conv.hashCode() * 1_000_000_000L;
    for (long seq : seqs) {
      d.add(Dispatch.accepted(conv, seq, -1, t, t + 10_000_000));
      t += 20_000_000;
    }
    return d;
  }
}
