package io.ticketgate.loadtest.compare;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ticketgate.loadtest.Verifier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The compare table: one row per arm, one column per bot pass and latency, each cell the
 * throughput and its ratios to the raw pipe and to the parallel consumer at the same latency and
 * bot; then a detailed table per column, the notes and any failed verification lines. Pure.
 *
 * @param markdown the text of compare.md
 * @param numbers everything, as written to compare.json
 * @param passed whether every arm that ran passed verification and none failed or stalled
 */
public record CompareReport(String markdown, Map<String, Object> numbers, boolean passed) {

  /**
   * One column of the table.
   *
   * @param bot {@code inprocess} or {@code http}
   * @param latencyMillis the bot's latency
   */
  public record Column(String bot, int latencyMillis) {
    String title() {
      return bot + " " + latencyMillis + " ms";
    }
  }

  /** What the notes say about the run besides the arms. */
  public record Setup(long conversations, int messages, int partitions, int maxConcurrency, long budgetSeconds,
      long stallSeconds, String machine) {}

  /**
   * Looks up the result of {@code arm} in a column. A ceiling calls no bot, so its one run stands
   * for every column.
   */
  static ArmResult find(List<ArmResult> results, ArmKind arm, Column column) {
    for (ArmResult r : results) {
      if (r.arm() == arm && (arm.ceiling() || (r.bot().equals(column.bot()) && r.latencyMillis() == column.latencyMillis()))) {
        return r;
      }
    }
    return null;
  }

  /**
   * {@code a}'s throughput over {@code b}'s, or null when either is missing or was not measured
   * (not built, failed, stalled) or {@code b} handled nothing.
   */
  static Double ratio(ArmResult a, ArmResult b) {
    if (a == null || b == null || !a.status().measured() || !b.status().measured() || b.throughput() <= 0) {
      return null;
    }
    return a.throughput() / b.throughput();
  }

  /** Builds the report from the results of a run without bot capacity probes. */
  public static CompareReport of(List<ArmResult> results, List<ArmKind> arms, List<Column> columns, Setup setup) {
    return of(results, arms, columns, setup, List.of());
  }

  /** Builds the report from the results of a run and what the http bot sustained before each http pass. */
  static CompareReport of(List<ArmResult> results, List<ArmKind> arms, List<Column> columns, Setup setup,
      List<BotCapacity.Result> botCapacity) {
    StringBuilder md = new StringBuilder();
    long total = setup.conversations() * setup.messages();
    md.append("# Compare\n\n");
    md.append(String.format(Locale.ROOT, "%,d conversations x %d messages = %,d records, %d partitions; "
        + "every arm reads the same input topic from the earliest offset.%n%n", setup.conversations(),
        setup.messages(), total, setup.partitions()));
    md.append("## Throughput (messages/s; x raw pipe; x parallel consumer at the same bot and latency)\n\n");
    md.append("| arm |");
    columns.forEach(c -> md.append(' ').append(c.title()).append(" |"));
    md.append("\n| --- |");
    columns.forEach(c -> md.append(" ---: |"));
    md.append('\n');
    List<Map<String, Object>> rows = new ArrayList<>();
    for (ArmKind arm : arms) {
      md.append("| ").append(arm.label()).append(arm.ceiling() ? " (ceiling)" : "").append(" |");
      for (Column c : columns) {
        ArmResult r = find(results, arm, c);
        md.append(' ').append(cell(r, results, c)).append(" |");
      }
      md.append('\n');
    }
    md.append('\n');

    boolean passed = true;
    List<String> failures = new ArrayList<>();
    java.util.Set<String> explained = new java.util.HashSet<>();
    for (Column c : columns) {
      md.append("## ").append(c.bot()).append(" bot, ").append(c.latencyMillis()).append(" ms\n\n");
      md.append("| arm | status | msg/s | x pipe | x parallel consumer | e2e p50 ms | e2e p99 ms | verified "
          + "| duplicates | handled | committed | replies | Redis calls/msg | CPU µs/msg (arm / Redis / broker / bot / harness) |\n");
      md.append("| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
      ArmResult pipe = find(results, ArmKind.PIPE, c);
      ArmResult pc = find(results, ArmKind.PARALLEL_CONSUMER, c);
      for (ArmKind arm : arms) {
        ArmResult r = find(results, arm, c);
        if (r == null) {
          continue;
        }
        Double toPipe = ratio(r, pipe);
        Double toPc = ratio(r, pc);
        Double redisCalls = r.redisRoundTripsPerMessage();
        md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s | %s | %d | %d | %d | %s | %s | %s |%n",
            arm.label(), r.status().label(), r.status().measured() ? String.format(Locale.ROOT, "%,.0f",
                r.throughput()) : "-", times(toPipe), times(toPc),
            r.ran() ? String.format(Locale.ROOT, "%.1f", r.endToEnd().p50()) : "-",
            r.ran() ? String.format(Locale.ROOT, "%.1f", r.endToEnd().p99()) : "-",
            r.ran() ? (r.verified() ? "PASS" : "FAIL") : "-", r.duplicates(), r.handled(), r.committed(),
            r.replies() < 0 ? "-" : Long.toString(r.replies()),
            redisCalls == null ? "-" : String.format(Locale.ROOT, "%.2f", redisCalls),
            r.cpu() == null ? "-" : r.cpu().cell(r.handled())));
        Map<String, Object> row = new LinkedHashMap<>(r.toMap());
        row.put("column_bot", c.bot());
        row.put("column_latency_ms", c.latencyMillis());
        row.put("ratio_to_pipe", toPipe);
        row.put("ratio_to_parallel_consumer", toPc);
        rows.add(row);
      }
      md.append('\n');
      for (ArmKind arm : arms) {
        ArmResult r = find(results, arm, c);
        if (r == null || (arm.ceiling() && !c.equals(columns.get(0)))) {
          continue; // a ceiling's one run is judged once
        }
        if (!r.detail().isEmpty() && explained.add(arm.label() + r.detail())) {
          md.append("- ").append(arm.label()).append(": ").append(r.detail()).append('\n');
        }
        if (r.status() == ArmStatus.FAILED || r.status() == ArmStatus.STALLED || !r.verified()) {
          passed = false;
        }
        for (Verifier.Check check : r.checks()) {
          if (!check.pass()) {
            failures.add(c.title() + " " + arm.label() + ": " + check.line());
          }
        }
      }
      md.append('\n');
    }

    md.append(BotCapacity.section(botCapacity, fastestArms(results, "http")));
    md.append("## Verification failures\n\n");
    if (failures.isEmpty()) {
      md.append("None: every arm that ran lost nothing, kept each conversation's order and never ran two "
          + "messages of one conversation at once (partial arms: up to the highest seq they reached in each "
          + "conversation).\n\n");
    } else {
      md.append("```\n");
      failures.forEach(f -> md.append(f).append('\n'));
      md.append("```\n\n");
    }
    md.append(notes(arms, setup));

    Map<String, Object> n = new LinkedHashMap<>();
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("conversations", setup.conversations());
    s.put("messages", setup.messages());
    s.put("records", total);
    s.put("partitions", setup.partitions());
    s.put("max_concurrency", setup.maxConcurrency());
    s.put("arm_budget_s", setup.budgetSeconds());
    s.put("stall_timeout_s", setup.stallSeconds());
    s.put("machine", setup.machine());
    n.put("setup", s);
    n.put("results", rows);
    n.put("bot_capacity", botCapacity.stream().map(BotCapacity.Result::toMap).toList());
    n.put("passed", passed);
    return new CompareReport(md.toString(), n, passed);
  }

  /** By latency, the highest throughput of an arm that called {@code bot} and was measured. */
  static Map<Integer, Double> fastestArms(List<ArmResult> results, String bot) {
    Map<Integer, Double> fastest = new java.util.HashMap<>();
    for (ArmResult r : results) {
      if (!r.arm().ceiling() && r.bot().equals(bot) && r.status().measured()) {
        fastest.merge(r.latencyMillis(), r.throughput(), Math::max);
      }
    }
    return fastest;
  }

  private static String cell(ArmResult r, List<ArmResult> results, Column c) {
    if (r == null) {
      return "-";
    }
    if (!r.status().measured()) {
      return r.status().label();
    }
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%,.0f", r.throughput()));
    Double toPipe = ratio(r, find(results, ArmKind.PIPE, c));
    Double toPc = ratio(r, find(results, ArmKind.PARALLEL_CONSUMER, c));
    if (toPipe != null && r.arm() != ArmKind.PIPE) {
      s.append(" (").append(times(toPipe)).append(" pipe");
      if (toPc != null && r.arm() != ArmKind.PARALLEL_CONSUMER && !r.arm().ceiling()) {
        s.append(", ").append(times(toPc)).append(" pc");
      }
      s.append(')');
    }
    if (r.status() != ArmStatus.DONE) {
      s.append(' ').append(r.status().label());
    }
    if (r.ran() && !r.verified()) {
      s.append(" FAIL");
    }
    return s.toString();
  }

  static String times(Double ratio) {
    return ratio == null ? "-" : String.format(Locale.ROOT, ratio >= 10 ? "%.0fx" : "%.2fx", ratio);
  }

  private static String notes(List<ArmKind> arms, Setup setup) {
    StringBuilder md = new StringBuilder("## Notes\n\n");
    md.append("Arms, each in a JVM of its own (-Xmx384m, serial GC), one after the other:\n\n");
    for (ArmKind arm : arms) {
      md.append("- **").append(arm.label()).append("**: ").append(arm.description()).append('\n');
    }
    md.append(String.format(Locale.ROOT, """

        - The in-process bot sleeps the latency, then returns one reply `echo: <message>`; the http bot speaks
          Rasa's REST webhook and answers after the latency, in a JVM of its own on Netty (no thread per call),
          and records every call itself, so the http pass shows what HTTP costs the arm. Its CPU per message
          (the bot column of CPU µs/msg) against the arm's says how far it is from being the limit, and the
          HTTP bot capacity section what it sustains (`--no-bot-probe` skips that probe).
        - Ceilings call no bot: they run once and their figures stand in every column.
        - **msg/s**: records / time from the arm's first consumed record until the last one was handled and
          committed (reported by the arm). A **partial** arm was stopped after its %d s budget (counted from its
          first handled record); its msg/s is the distinct messages it dispatched over the time from its first
          dispatch to its last. A **stalled** arm made no progress for %d s and was killed.
        - **e2e**: from the moment a message was available to the arm (all data is produced before the arms
          run, so: its first dispatch) to the end of its first accepted bot call (ceilings: the moment it was
          handled). It includes queueing behind the whole backlog, so throughput is the headline figure.
        - **verified**: the load-test verifier on the arm's dispatches (its dispatch log; in the http pass the
          http bot's): nothing lost, order, mutual exclusion, no phantoms, plus: every committed
          record has a reply on the arm's output topic. Partial and stalled arms are verified up to the highest
          seq they reached in each conversation. **duplicates**: redeliveries to the bot (never a failure).
        - **Redis calls/msg**: requests the arm's lock store sent to Redis for its turns per handled message.
          Redis counts a script's own commands under the same names as those sent from outside (a keep-alive
          renewal is a plain `SET`, like three commands of every issue script), so: for concurrent_redis, the
          store's turn steps as the arm counted them (issue, look, renewal and release are one request
          each) plus the `EVAL`s that re-sent a script after `NOSCRIPT`; for redis, Redis's own `MGET` calls
          (every compare-and-set script, a renewal's too, runs one `MGET`; every look is one) plus those
          `EVAL`s, each following an `EVALSHA` refused without running. Health probes and connection setup
          are left out. compare.json also has the scripts, `PUBLISH` (release messages) and every command
          Redis ran, those inside scripts included.
        - **CPU µs/msg**: CPU time per handled message, in total and by process: the arm's JVM (its own
          figure, from its first consumed record to done; the Parallel Consumer arm does not report one),
          Redis (`INFO cpu`), the embedded broker, the http bot and this harness, each read before the arm
          starts and after it exits. With the cores shared, this is where a slower arm's
          time goes.
        - Ticketgate runs the production defaults (max_in_flight 1000, keep_alive on, 60 s lock lifetime)
          except `dispatch.commit_interval` 0.1 s instead of 1 s: an arm is done only when everything is
          committed, and a 1 s period would add up to a second to a run of a few seconds.
        - The plain arm's producer uses linger.ms 0 (it awaits each send); the pipe's 5 ms, flushed per batch.
        - Parallel consumer maxConcurrency: %d.
        - Machine: %s.
        """, setup.budgetSeconds(), setup.stallSeconds(), setup.maxConcurrency(), setup.machine()));
    return md.toString();
  }

  /** Writes compare.md and compare.json into {@code dir}. */
  public void write(Path dir) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("compare.md"), markdown);
    new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("compare.json").toFile(),
        numbers);
  }
}
