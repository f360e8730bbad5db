package io.ticketgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The CI load-test scenarios: correctness only, no speed assertions (this runs on two slow cores).
 * Each runs the harness end to end and fails on any FAIL verification line.
 */
class SmallScenarioIT {

  private static final Path RESULTS = Path.of("target", "load-test-results");

  /**
   * 2,000 messages through two replicas in child JVMs on concurrent_redis; one replica is SIGKILLed
   * at 30% and started again. Its tickets must expire, its partitions move, and still nothing may be
   * lost, reordered or handled twice at once.
   *
   * <p>The tickets live 40 s, not the harness's default 10 s: the survivors' metric counts turns that
   * waited behind a dead replica's ticket, so some replica must own the partition and have queued
   * behind the ticket before it expires. The partitions move after the 6 s session timeout and a
   * rebalance (7 s on a loaded 2-core machine), and again when the restarted replica joins, which
   * revokes the survivor's queued jobs; that join came up to 19 s after the kill on a machine at load
   * 8. With 10 s and then 20 s tickets the owner at the expiry had not queued yet and was served
   * without waiting, which the metric does not count (0 turns in 1 of 7 and 1 of 13 runs). At 40 s
   * the restarted replica has queued long before the expiry.
   */
  @Test
  @Timeout(240)
  void twoChildReplicasSurviveASigkill() throws Exception {
    Path out = RESULTS.resolve("sigkill");
    JsonNode report = run(out, "--conversations", "100", "--messages", "20", "--partitions", "4",
        "--replicas", "2", "--store", "concurrent_redis", "--bot-latency", "uniform:1ms:5ms",
        "--lock-lifetime", "40s", "--kill-replica-at", "0.3", "--restart", "--timeout", "150s");
    assertThat(report.path("dispatched_distinct").asLong()).isEqualTo(2000);
    JsonNode kill = report.path("faults").path(0);
    assertThat(kill.path("kind").asText()).isEqualTo("kill");
    assertThat(kill.path("replica").asText()).isEqualTo("r1");
    assertThat(kill.path("stall").path("count").asLong()).isEqualTo(kill.path("affected_conversations").asLong());
    // The survivors' own metric agrees with the bot's view: the killed replica held tickets, each
    // waited out by a turn of a conversation the kill hit, once per conversation at most.
    JsonNode expiry = report.path("served_after_expiry");
    assertThat(expiry.path("replicas_read").asInt()).as("at least the survivor (the restarted one may still be starting)")
        .isPositive();
    assertThat(expiry.path("turns").asLong()).isBetween(1L, kill.path("affected_conversations").asLong());
  }

  /**
   * 2,000 messages through two child replicas on concurrent_redis; one replica is SIGTERMed at 30%,
   * must exit 0 on its own within the harness's bound, and is started again. A graceful stop finishes
   * or gives back what it had in flight, releases its turns and commits, so, unlike a kill, it may
   * leave nothing to be done twice: not one bot call made again, not one reply published again, in
   * the whole run (the restarted replica's join, which revokes the survivor's partitions, included).
   * The 5-20 ms bot keeps calls open at the SIGTERM, so the stop has work in flight to finish.
   */
  @Test
  @Timeout(240)
  void twoChildReplicasStopGracefullyWithoutADuplicate() throws Exception {
    Path out = RESULTS.resolve("sigterm");
    JsonNode report = run(out, "--conversations", "100", "--messages", "20", "--partitions", "4",
        "--replicas", "2", "--store", "concurrent_redis", "--bot-latency", "uniform:5ms:20ms",
        "--term-replica-at", "0.3", "--restart", "--timeout", "120s");
    assertThat(report.path("dispatched_distinct").asLong()).isEqualTo(2000);
    JsonNode term = report.path("faults").path(0);
    assertThat(term.path("kind").asText()).isEqualTo("term");
    assertThat(term.path("replica").asText()).isEqualTo("r1");
    assertThat(term.path("description").asText()).startsWith("SIGTERM r1, exited 0 after").endsWith(", restarted");
    JsonNode line = null;
    for (JsonNode v : report.path("verification")) {
      if (v.path("name").asText().equals("term-duplicates")) {
        line = v;
      }
    }
    assertThat(line).as("the graceful stop's verification line").isNotNull();
    assertThat(line.path("pass").asBoolean()).as(line.path("line").asText()).isTrue();
    assertThat(report.path("duplicates").asLong()).as("bot calls made again in the whole run").isZero();
    assertThat(report.path("duplicate_replies").asLong()).as("replies published again in the whole run").isZero();
  }

  /** The fast path: one in-process replica on the in-memory store. */
  @Test
  @Timeout(120)
  void inProcessReplicaOnTheInMemoryStore() throws Exception {
    Path out = RESULTS.resolve("in-process");
    JsonNode report = run(out, "--conversations", "20", "--messages", "10", "--replicas", "1",
        "--in-process", "--store", "in_memory", "--bot-latency", "fixed:1ms", "--timeout", "60s");
    assertThat(report.path("duplicates").asLong()).isZero();
    assertThat(report.path("replies_distinct").asLong()).isEqualTo(200);
  }

  static JsonNode run(Path out, String... args) throws Exception {
    String[] all = new String[args.length + 3];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--out";
    all[args.length + 1] = out.toString();
    all[args.length + 2] = "--no-progress";
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    int code;
    try (PrintStream print = new PrintStream(stdout, true, StandardCharsets.UTF_8)) {
      code = Main.run(all, print, System.err);
    }
    String printed = stdout.toString(StandardCharsets.UTF_8);
    System.out.println(printed);
    assertThat(printed).as("verification lines").doesNotContain("FAIL ").contains("PASS nothing-lost");
    assertThat(code).as("exit code; report:%n%s", printed).isZero();
    assertThat(out.resolve("report.md")).exists();
    return new ObjectMapper().readTree(Files.readString(out.resolve("report.json")));
  }
}
