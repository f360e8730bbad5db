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
    if (o.timedOut()) {
      checks.add(new Verifier.Check("completed", false, 1,
          "timed out after " + o.options().timeout().toSeconds() + " s before every message was dispatched"));
    }
    if (o.deadLetters() > 0) {
      // With a healthy bot nothing should be dead-lettered; a fenced 409 is, and is counted apart.
      boolean explained = o.deadLetters() <= o.fenced();
      checks.add(new Verifier.Check("dead-letters", explained, o.deadLetters(), o.deadLetters()
          + " dead letters" + (explained ? ", all explained by fenced dispatches" : " not explained by fencing ("
          + o.fenced() + " fenced); see the DLQ's ticketgate.dead_letter.reason")));
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
    List<Double> handoff = new ArrayList<>();
    byConv.values().forEach(list -> {
      for (int i = 1; i < list.size(); i++) {
        handoff.add((list.get(i).startNanos() - list.get(i - 1).endNanos()) / 1e6);
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

    Map<String, Object> fault = new LinkedHashMap<>();
    if (o.killedReplica() != null) {
      Set<String> affected = new HashSet<>();
      byConv.forEach((conv, list) -> {
        Dispatch lastBefore = null;
        for (Dispatch d : list) {
          if (d.startNanos() <= o.killNanos()) {
            lastBefore = d;
          }
        }
        if (lastBefore != null && lastBefore.replica().equals(o.killedReplica())) {
          affected.add(conv);
        }
      });
      double stall = 0;
      String stallConv = null;
      for (String conv : affected) {
        List<Dispatch> list = byConv.get(conv);
        for (int i = 1; i < list.size(); i++) {
          if (list.get(i).startNanos() > o.killNanos()) {
            double gap = (list.get(i).startNanos() - list.get(i - 1).endNanos()) / 1e6;
            if (gap > stall) {
              stall = gap;
              stallConv = conv;
            }
          }
        }
      }
      fault.put("killed_replica", o.killedReplica());
      fault.put("killed_after_ms", (o.killNanos() - o.produceStartNanos()) / 1e6);
      fault.put("affected_conversations", affected.size());
      fault.put("longest_stall_ms", stall);
      fault.put("longest_stall_conversation", stallConv);
    }

    Map<String, Object> n = new LinkedHashMap<>();
    n.put("options", optionsMap(o.options()));
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
    n.put("fenced_rejections", o.fenced());
    n.put("dead_letters", o.deadLetters());
    n.put("fault", fault);
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
        + "store %s, bot latency %s, lock lifetime %d s%s%n%n", op.conversations(), op.messages(), op.total(),
        op.partitions(), op.replicas(), op.inProcess() ? "in-process" : "child JVMs", op.store(), op.botLatency(),
        op.lockLifetime().toSeconds(), op.killReplicaAt() >= 0 ? ", SIGKILL one replica at "
        + op.killReplicaAt() + (op.restart() ? " and restart it" : "") : ""));
    md.append(String.format(Locale.ROOT, "Throughput: **%.1f messages/s** (%d distinct messages in %.2f s)%n%n",
        throughput, distinct.size(), seconds));
    md.append("| ms | count | p50 | p95 | p99 | max |\n| --- | ---: | ---: | ---: | ---: | ---: |\n");
    md.append(e2eStats.row("end-to-end (produce → reply)")).append('\n');
    md.append(waitStats.row("lock wait (header)")).append('\n');
    md.append(handoffStats.row("lock handoff (next start − previous end)")).append('\n');
    md.append(botStats.row("bot dispatch")).append("\n\n");
    md.append("- duplicates (redeliveries): ").append(n.get("duplicates")).append('\n');
    md.append("- fenced rejections: ").append(o.fenced()).append('\n');
    md.append("- dead letters: ").append(o.deadLetters()).append('\n');
    if (!fault.isEmpty()) {
      md.append(String.format(Locale.ROOT, "- fault: replica %s SIGKILLed after %.0f ms; %s conversations affected; "
          + "longest stall %.0f ms (%s)%n", fault.get("killed_replica"), fault.get("killed_after_ms"),
          fault.get("affected_conversations"), fault.get("longest_stall_ms"), fault.get("longest_stall_conversation")));
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
    double killSecond = o.killedReplica() == null ? -1 : (o.killNanos() - o.produceStartNanos()) / 1e9;
    md.append("\n![throughput and lock wait](report.svg)\n");
    return new Report(List.copyOf(checks), n, md.toString(), Charts.svg(perSecond, lockWait, killSecond));
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
    m.put("restart", o.restart());
    return m;
  }

  private static double[] toArray(List<Double> values) {
    return values.stream().mapToDouble(Double::doubleValue).toArray();
  }
}
