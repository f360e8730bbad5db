package io.ticketgate.loadtest;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Turns a run's {@link Scenario.Outcome} into numbers and verdicts, and writes {@code report.md}
 * and {@code report.json}.
 *
 * @param verdicts the verification lines; the run passes only if all pass
 * @param numbers everything measured, as written to report.json
 * @param markdown the text of report.md
 * @param svg the text of report.svg (throughput over time, lock-wait histogram)
 */
public record Report(List<Verifier.Check> verdicts, Map<String, Object> numbers, String markdown, String svg) {

  /** Whether every verification line is PASS. */
  public boolean passed() {
    return verdicts.stream().allMatch(Verifier.Check::pass);
  }

  /** Computes the report of a run. */
  public static Report of(Scenario.Outcome o) {
    List<Verifier.Check> checks = new ArrayList<>(Verifier.verify(o.expected(), o.dispatches()));
    List<String> replied = o.replies().stream().map(r -> r.conversation() + "#" + r.seq()).toList();
    checks.add(Verifier.duplicateReplies(replied));
    Verifier.killDuplicates(o.faults(), o.dispatches()).ifPresent(checks::add);
    Verifier.termDuplicates(o.faults(), o.dispatches(), replied).ifPresent(checks::add);
    if (o.timedOut()) {
      checks.add(new Verifier.Check("completed", false, 1,
          "timed out after " + o.options().timeout().toSeconds() + " s before every message was dispatched"));
    }
    if (o.deadLetters() > 0) {
      // The recording bot is healthy, and the gateway answers a fenced 409 with a new ticket, not a
      // dead letter: any dead letter is a message the run did not handle as it should.
      checks.add(new Verifier.Check("dead-letters", false, o.deadLetters(), o.deadLetters()
          + " dead letters (" + o.fenced() + " fenced calls); see the DLQ's ticketgate.dead_letter.reason"));
    }

    List<Dispatch> accepted = o.dispatches().stream().filter(Dispatch::accepted)
        .sorted(Comparator.comparingLong(Dispatch::startNanos)).toList();
    long lastEnd = accepted.stream().mapToLong(Dispatch::endNanos).max().orElse(o.produceStartNanos());
    Set<String> distinct = new HashSet<>();
    accepted.forEach(d -> distinct.add(d.conversation() + "#" + d.seq()));
    double seconds = Math.max(1e-9, (lastEnd - o.produceStartNanos()) / 1e9);
    double throughput = distinct.size() / seconds;

    double[] bot = accepted.stream().mapToDouble(d -> (d.endNanos() - d.startNanos()) / 1e6).toArray();
    Map<String, List<Dispatch>> byConv = new TreeMap<>();
    accepted.forEach(d -> byConv.computeIfAbsent(d.conversation(), k -> new ArrayList<>()).add(d));
    Stalls.Result stalls = Stalls.of(o.faults(), byConv);
    List<Double> handoff = new ArrayList<>();
    byConv.forEach((conv, list) -> {
      for (int i = 1; i < list.size(); i++) {
        // A fault's stall is reported with the fault, not as a slow handoff.
        if (!stalls.gapKeys().contains(Stalls.key(conv, i))) {
          handoff.add((list.get(i).startNanos() - list.get(i - 1).endNanos()) / 1e6);
        }
      }
    });

    Map<String, Scenario.Reply> firstReply = new LinkedHashMap<>();
    for (Scenario.Reply r : o.replies()) {
      firstReply.putIfAbsent(r.conversation() + "#" + r.seq(), r);
    }
    List<Double> e2e = new ArrayList<>();
    List<Double> lockWait = new ArrayList<>();
    for (Map.Entry<String, Scenario.Reply> e : firstReply.entrySet()) {
      Long produced = o.producedAtMicros().get(e.getKey());
      if (produced != null) {
        e2e.add(e.getValue().timestampMillis() - produced / 1000.0);
      }
      if (e.getValue().lockWaitMillis() >= 0) {
        lockWait.add((double) e.getValue().lockWaitMillis());
      }
    }

    List<Map<String, Object>> faults = new ArrayList<>();
    for (Stalls.Stall st : stalls.stalls()) {
      Map<String, Object> f = new LinkedHashMap<>();
      f.put("kind", st.fault().kind());
      f.put("replica", st.fault().replica());
      f.put("description", st.fault().description());
      f.put("at_ms", (st.fault().startNanos() - o.produceStartNanos()) / 1e6);
      f.put("duration_ms", st.fault().durationMillis());
      f.put("affected_conversations", st.affected());
      f.put("stall", st.gaps().toMap());
      f.put("longest_stall_conversation", st.worstConversation());
      faults.add(f);
    }
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("options", optionsMap(o.options()));
    n.put("served_after_expiry", o.expiryWaits().toMap());
    n.put("messages", o.options().total());
    n.put("dispatched_distinct", distinct.size());
    n.put("dispatches_accepted", accepted.size());
    n.put("duration_s", seconds);
    n.put("throughput_msg_per_s", throughput);
    Stats e2eStats = Stats.of(toArray(e2e));
    Stats waitStats = Stats.of(toArray(lockWait));
    Stats handoffStats = Stats.of(toArray(handoff));
    Stats botStats = Stats.of(bot);
    n.put("end_to_end", e2eStats.toMap());
    n.put("lock_wait", waitStats.toMap());
    n.put("lock_handoff", handoffStats.toMap());
    n.put("bot_dispatch", botStats.toMap());
    n.put("replies_distinct", firstReply.size());
    n.put("duplicates", checks.stream().filter(c -> c.name().equals("duplicates")).mapToLong(Verifier.Check::count)
        .sum());
    n.put("duplicate_replies", checks.stream().filter(c -> c.name().equals("duplicate-replies"))
        .mapToLong(Verifier.Check::count).sum());
    n.put("fenced_rejections", o.fenced());
    n.put("dead_letters", o.deadLetters());
    n.put("faults", faults);
    List<Map<String, Object>> lines = new ArrayList<>();
    for (Verifier.Check c : checks) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("name", c.name());
      m.put("pass", c.pass());
      m.put("count", c.count());
      m.put("line", c.line());
      lines.add(m);
    }
    n.put("verification", lines);
    boolean passed = checks.stream().allMatch(Verifier.Check::pass);
    n.put("passed", passed);

    StringBuilder md = new StringBuilder();
    ScenarioOptions op = o.options();
    md.append("# Load test ").append(passed ? "PASSED" : "FAILED").append("\n\n");
    md.append(String.format(Locale.ROOT, "%d conversations x %d messages = %d, %d partitions, %d replicas (%s), "
        + "store %s, bot latency %s%s, bot.concurrency %s, lock lifetime %d s%s%n%n", op.conversations(),
        op.messages(), op.total(), op.partitions(), op.replicas(), op.inProcess() ? "in-process" : "child JVMs",
        op.store(), op.botLatency(), op.botWorkers() > 0 ? " with " + op.botWorkers() + " workers" : "",
        op.botConcurrency(), op.lockLifetime().toSeconds(), faultOptions(op)));
    md.append(String.format(Locale.ROOT, "Throughput: **%.1f messages/s** (%d distinct messages in %.2f s)%n%n",
        throughput, distinct.size(), seconds));
    md.append("| ms | count | p50 | p95 | p99 | max |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    md.append(e2eStats.row("end-to-end (produce → reply)")).append('\n');
    md.append(waitStats.row("lock wait (header)")).append('\n');
    md.append(handoffStats.row(stalls.gapKeys().isEmpty() ? "lock handoff (next start − previous end)"
        : "lock handoff (next start − previous end), fault stalls left out")).append('\n');
    md.append(botStats.row("bot dispatch")).append("\n\n");
    md.append("- duplicates (redeliveries): ").append(n.get("duplicates")).append('\n');
    md.append("- duplicated replies: ").append(n.get("duplicate_replies")).append('\n');
    md.append("- fenced rejections: ").append(o.fenced()).append('\n');
    md.append("- dead letters: ").append(o.deadLetters()).append('\n');
    if (!stalls.stalls().isEmpty()) {
      md.append("\n## Faults\n\n");
      md.append("Stall: per conversation the fault hit, from the end of its last dispatch before the fault to the "
          + "start of its first one after it.\n\n");
      md.append("| fault | at ms | lasted ms | conversations hit | stall p50 | p99 | max | longest stalled |\n");
      md.append("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n");
      for (Stalls.Stall st : stalls.stalls()) {
        md.append(String.format(Locale.ROOT, "| %s | %.0f | %.0f | %d | %.0f | %.0f | %.0f | %s |%n",
            st.fault().description(), (st.fault().startNanos() - o.produceStartNanos()) / 1e6,
            st.fault().durationMillis(), st.affected(), st.gaps().p50(), st.gaps().p99(), st.gaps().max(),
            st.worstConversation() == null ? "-" : st.worstConversation()));
      }
      ExpiryWaits ew = o.expiryWaits();
      md.append(String.format(Locale.ROOT, "%nThe replicas' own count (`ticketgate_turns_after_expiry_total`, read from "
          + "%d replica(s) at the end): %d turn(s) served only after the ticket ahead expired, %.1f s waited in all%s. "
          + "Those are the conversations whose ticket the faulted replica held or had queued when it stopped; the "
          + "others it hit waited only for its partitions to move.%n", ew.replicasRead(), ew.turns(), ew.waitedSeconds(),
          ew.turns() > 0 ? String.format(Locale.ROOT, " (%.0f ms each on average)", ew.waitedSeconds() * 1000 / ew.turns()) : ""));
    }
    md.append("\n## Verification\n\n```\n");
    checks.forEach(c -> md.append(c.line()).append('\n'));
    md.append("```\n");
    int seconds1 = (int) Math.ceil(seconds) + 1;
    long[] perSecond = new long[Math.max(1, seconds1)];
    for (Dispatch d : accepted) {
      int bucket = (int) ((d.endNanos() - o.produceStartNanos()) / 1_000_000_000L);
      perSecond[Math.max(0, Math.min(perSecond.length - 1, bucket))]++;
    }
    List<Charts.Marker> markers = new ArrayList<>();
    for (Fault f : o.faults()) {
      markers.add(new Charts.Marker(f.kind(), (f.startNanos() - o.produceStartNanos()) / 1e9,
          (f.endNanos() - o.produceStartNanos()) / 1e9));
    }
    md.append("\n![throughput and lock wait](report.svg)\n");
    return new Report(List.copyOf(checks), n, md.toString(), Charts.svg(perSecond, lockWait, markers));
  }

  /** Writes report.md, report.json and report.svg into {@code dir}. */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("report.md"), markdown);
    Files.writeString(dir.resolve("report.svg"), svg);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("report.json").toFile(),
        numbers);
  }

  private static Map<String, Object> optionsMap(ScenarioOptions o) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("conversations", o.conversations());
    m.put("messages", o.messages());
    m.put("partitions", o.partitions());
    m.put("replicas", o.replicas());
    m.put("in_process", o.inProcess());
    m.put("store", o.store());
    m.put("bot_latency", o.botLatency());
    m.put("lock_lifetime_s", o.lockLifetime().toSeconds());
    m.put("kill_replica_at", o.killReplicaAt() >= 0 ? o.killReplicaAt() : null);
    m.put("term_replica_at", o.termReplicaAt() >= 0 ? o.termReplicaAt() : null);
    m.put("restart", o.restart());
    m.put("pause_replica_at", o.pauseReplicaAt() >= 0 ? o.pauseReplicaAt() : null);
    m.put("pause_ms", o.pause() == null ? null : o.pause().toMillis());
    m.put("restart_redis_at", o.restartRedisAt() >= 0 ? o.restartRedisAt() : null);
    m.put("redis_down_ms", o.restartRedisAt() >= 0 ? o.redisDown().toMillis() : null);
    return m;
  }

  private static String faultOptions(ScenarioOptions op) {
    StringBuilder s = new StringBuilder();
    if (op.killReplicaAt() >= 0) {
      s.append(", SIGKILL one replica at ").append(op.killReplicaAt()).append(op.restart() ? " and restart it" : "");
    }
    if (op.termReplicaAt() >= 0) {
      s.append(", SIGTERM one replica at ").append(op.termReplicaAt()).append(op.restart() ? " and restart it" : "");
    }
    if (op.pauseReplicaAt() >= 0) {
      s.append(", SIGSTOP one replica at ").append(op.pauseReplicaAt()).append(" for ").append(op.pause().toMillis())
          .append(" ms");
    }
    if (op.restartRedisAt() >= 0) {
      s.append(", restart Redis at ").append(op.restartRedisAt()).append(" (down ").append(op.redisDown().toMillis())
          .append(" ms)");
    }
    return s.toString();
  }

  private static double[] toArray(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
