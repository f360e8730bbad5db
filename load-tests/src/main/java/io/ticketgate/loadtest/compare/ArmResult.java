package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.Dispatch;
import io.ticketgate.loadtest.Stats;
import io.ticketgate.loadtest.Verifier;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The figures and verdicts of one arm at one latency with one bot. Pure: made by {@link #of} from
 * what the arm reported, its dispatches and its replies.
 *
 * @param arm which arm
 * @param bot {@code inprocess} or {@code http}; for a ceiling the pass it ran in
 * @param latencyMillis the bot's latency; for a ceiling the latency it ran at (it calls no bot)
 * @param status how the arm's run ended
 * @param detail why, for people
 * @param handled records handled (distinct messages accepted by the bot, per the dispatches)
 * @param committed records committed, as the arm last reported
 * @param seconds the time the throughput is measured over
 * @param throughput messages per second; 0 when not measured
 * @param endToEnd from when a message was available to the arm to the end of its first accepted
 *     dispatch, in milliseconds
 * @param checks the verification lines
 * @param duplicates redeliveries to the bot
 * @param replies distinct messages with a reply on the arm's output topic; -1 for an arm without output
 * @param redis what the arm asked of Redis; null for an arm without a Redis store
 * @param cpu the CPU time the arm cost, by process; null when not measured
 */
public record ArmResult(ArmKind arm, String bot, int latencyMillis, ArmStatus status, String detail, long handled,
    long committed, double seconds, double throughput, Stats endToEnd, List<Verifier.Check> checks,
    long duplicates, long replies, RedisCalls redis, CpuUse cpu) {

  /** Whether every verification line is PASS (true for an arm that did not run: nothing to verify). */
  public boolean verified() {
    return checks.stream().allMatch(Verifier.Check::pass);
  }

  /** Whether the arm ran and was verified: it has checks. */
  public boolean ran() {
    return !checks.isEmpty();
  }

  /** A result for an arm that did not run (not built, failed to start). */
  public static ArmResult notRun(ArmKind arm, String bot, int latency, ArmStatus status, String detail) {
    return new ArmResult(arm, bot, latency, status, detail, 0, 0, 0, 0, Stats.of(new double[0]), List.of(), 0, -1, null, null);
  }

  /**
   * Computes an arm's result.
   *
   * @param outcome what the arm reported and how it ended
   * @param dispatches its dispatches, times in epoch nanos
   * @param replies the (conversation, seq) keys {@code conv#seq} seen on its output topic; null without output
   * @param producedAtMicros when each {@code conv#seq} was produced, epoch micros
   * @param expected conversation to messages produced for it
   */
  public static ArmResult of(ArmKind arm, String bot, int latency, ArmProcess.Outcome outcome,
      List<Dispatch> dispatches, Set<String> replies, Map<String, Long> producedAtMicros,
      Map<String, Integer> expected) {
    List<Dispatch> accepted = dispatches.stream().filter(Dispatch::accepted).toList();
    Set<String> distinct = new HashSet<>();
    long minStart = Long.MAX_VALUE;
    long maxEnd = Long.MIN_VALUE;
    for (Dispatch d : accepted) {
      distinct.add(d.conversation() + "#" + d.seq());
      minStart = Math.min(minStart, d.startNanos());
      maxEnd = Math.max(maxEnd, d.endNanos());
    }
    double seconds;
    double throughput;
    long total = expected.values().stream().mapToLong(Integer::longValue).sum();
    if (outcome.status() == ArmStatus.DONE && outcome.elapsedMicros() > 0) {
      seconds = outcome.elapsedMicros() / 1e6;
      throughput = total / seconds;
    } else {
      // Over what it did: from its first dispatch to its last one.
      seconds = accepted.isEmpty() ? 0 : (maxEnd - minStart) / 1e9;
      throughput = seconds > 0 ? distinct.size() / seconds : 0;
    }

    List<Verifier.Check> checks = new ArrayList<>(Verifier.verify(verifiedPrefix(outcome.status(), accepted,
        expected), dispatches));
    if (replies != null) {
      checks.add(repliesCheck(replies.size(), outcome.committed()));
    }
    if (outcome.status() == ArmStatus.DONE && distinct.size() < total) {
      checks.add(new Verifier.Check("completed", false, total - distinct.size(), "the arm said done but only "
          + distinct.size() + " of " + total + " messages were dispatched"));
    }
    long duplicates = checks.stream().filter(c -> c.name().equals("duplicates")).mapToLong(Verifier.Check::count)
        .sum();
    return new ArmResult(arm, bot, latency, outcome.status(), outcome.detail(), distinct.size(), outcome.committed(),
        seconds, throughput, endToEnd(accepted, producedAtMicros, minStart), List.copyOf(checks), duplicates,
        replies == null ? -1 : replies.size(), null, null);
  }

  /** This result with what the arm asked of Redis. */
  public ArmResult withRedis(RedisCalls calls) {
    return new ArmResult(arm, bot, latencyMillis, status, detail, handled, committed, seconds, throughput, endToEnd,
        checks, duplicates, replies, calls, cpu);
  }

  /** This result with the CPU time it cost. */
  public ArmResult withCpu(CpuUse use) {
    return new ArmResult(arm, bot, latencyMillis, status, detail, handled, committed, seconds, throughput, endToEnd,
        checks, duplicates, replies, redis, use);
  }

  /** Redis round trips per handled message; null without a Redis store, or when they are unknown. */
  public Double redisRoundTripsPerMessage() {
    return redis == null ? null : redis.roundTripsPerMessage(handled);
  }

  /**
   * What the arm must have dispatched: everything when it is done; otherwise, per conversation it
   * reached, the prefix up to the highest seq it dispatched (capped at what was produced, so a
   * phantom seq still fails). A message inside the prefix that is missing is lost; conversations it
   * never reached are not held against it.
   */
  static Map<String, Integer> verifiedPrefix(ArmStatus status, List<Dispatch> accepted, Map<String, Integer> expected) {
    if (status == ArmStatus.DONE) {
      return expected;
    }
    Map<String, Integer> prefix = new TreeMap<>();
    for (Dispatch d : accepted) {
      Integer produced = expected.get(d.conversation());
      if (produced != null) {
        int reached = (int) Math.min(produced, d.seq());
        prefix.merge(d.conversation(), reached, Math::max);
      }
    }
    return prefix;
  }

  /** At-least-once: every committed record must have its reply on the output topic. */
  static Verifier.Check repliesCheck(long distinctReplies, long committed) {
    boolean pass = distinctReplies >= committed;
    return new Verifier.Check("replies", pass, pass ? 0 : committed - distinctReplies, pass
        ? distinctReplies + " messages have a reply on the output topic (" + committed + " committed)"
        : "only " + distinctReplies + " messages have a reply on the output topic but " + committed
            + " were committed: committed without a durable reply");
  }

  private static Stats endToEnd(List<Dispatch> accepted, Map<String, Long> producedAtMicros, long armStartNanos) {
    Map<String, Long> firstEnd = new LinkedHashMap<>();
    for (Dispatch d : accepted) {
      firstEnd.merge(d.conversation() + "#" + d.seq(), d.endNanos(), Math::min);
    }
    double[] millis = new double[firstEnd.size()];
    int i = 0;
    for (Map.Entry<String, Long> e : firstEnd.entrySet()) {
      Long produced = producedAtMicros.get(e.getKey());
      // The data is produced before any arm starts: a message is available to an arm from its start.
      long from = Math.max(produced == null ? Long.MIN_VALUE : produced * 1000, armStartNanos);
      millis[i++] = (e.getValue() - from) / 1e6;
    }
    return Stats.of(millis);
  }

  /** For compare.json. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("arm", arm.label());
    m.put("bot", bot);
    m.put("latency_ms", latencyMillis);
    m.put("status", status.label());
    m.put("detail", detail);
    m.put("handled", handled);
    m.put("committed", committed);
    m.put("seconds", seconds);
    m.put("throughput_msg_per_s", throughput);
    m.put("end_to_end", endToEnd.toMap());
    m.put("verified", ran() ? verified() : null);
    m.put("duplicates", duplicates);
    m.put("replies_distinct", replies < 0 ? null : replies);
    List<Map<String, Object>> lines = new ArrayList<>();
    for (Verifier.Check c : checks) {
      Map<String, Object> l = new LinkedHashMap<>();
      l.put("name", c.name());
      l.put("pass", c.pass());
      l.put("count", c.count());
      l.put("line", c.line());
      lines.add(l);
    }
    m.put("verification", lines);
    m.put("redis", redis == null ? null : redis.toMap(handled));
    m.put("cpu", cpu == null ? null : cpu.toMap(handled));
    return m;
  }
}
