package io.ticketgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Small runs of the harness's other faults, end to end: a replica paused past its tickets' lifetime
 * and the consumer session, and a Redis restart. Correctness only (every verification line PASS, see
 * {@link SmallScenarioIT#run}); that the stall and fenced figures are reported, never how large.
 */
class FaultScenarioIT {

  private static final Path RESULTS = Path.of("target", "load-test-results");

  /**
   * SIGSTOP one of two child replicas for 7 s with a 3 s ticket lifetime: its tickets expire and,
   * past the 6 s session timeout, its partitions move to the other replica, which redelivers. What
   * the paused replica still had in flight when it resumes must not overlap, reorder or lose
   * anything; the bot fences its stale tickets.
   */
  @Test
  @Timeout(180)
  void aReplicaPausedPastItsTicketsLifetimeAndItsSession() throws Exception {
    Path out = RESULTS.resolve("pause");
    JsonNode report = SmallScenarioIT.run(out, "--conversations", "30", "--messages", "15", "--partitions", "4",
        "--replicas", "2", "--store", "concurrent_redis", "--bot-latency", "uniform:2ms:10ms", "--lock-lifetime", "3s",
        "--pause-replica-at", "0.3", "--pause", "7s", "--timeout", "120s");
    assertThat(report.path("dispatched_distinct").asLong()).isEqualTo(450);
    assertThat(report.has("fenced_rejections")).isTrue();
    JsonNode pause = report.path("faults").path(0);
    assertThat(pause.path("kind").asText()).isEqualTo("pause");
    assertThat(pause.path("replica").asText()).isEqualTo("r1");
    assertThat(pause.path("affected_conversations").asLong()).isPositive();
    assertThat(pause.path("stall").path("max_ms").isNumber()).isTrue();
    assertThat(pause.path("stall").path("p99_ms").isNumber()).isTrue();
    assertThat(Files.readString(out.resolve("report.md"))).contains("## Faults").contains("SIGSTOP r1 for");
    assertThat(Files.readString(out.resolve("report.svg"))).contains("orange");
  }

  /**
   * Stop the harness's redis-server for 2 s (SHUTDOWN SAVE) and start it again on the same port with
   * its data; the replicas retry with backoff meanwhile and nothing may be lost.
   */
  @Test
  @Timeout(180)
  void aRedisRestartKeepsTheLocksAndLosesNothing() throws Exception {
    Path out = RESULTS.resolve("redis-restart");
    JsonNode report = SmallScenarioIT.run(out, "--conversations", "30", "--messages", "15", "--partitions", "4",
        "--replicas", "2", "--store", "concurrent_redis", "--bot-latency", "uniform:2ms:10ms",
        "--restart-redis-at", "0.4", "--redis-down", "2s", "--timeout", "120s");
    assertThat(report.path("dispatched_distinct").asLong()).isEqualTo(450);
    JsonNode restart = report.path("faults").path(0);
    assertThat(restart.path("kind").asText()).isEqualTo("redis-restart");
    assertThat(restart.path("replica").isNull()).isTrue();
    assertThat(restart.path("affected_conversations").asLong()).isPositive();
    assertThat(restart.path("stall").path("max_ms").isNumber()).isTrue();
    assertThat(Files.exists(out.resolve("redis").resolve("dump.rdb"))).as("the data Redis kept across the restart")
        .isTrue();
  }
}
