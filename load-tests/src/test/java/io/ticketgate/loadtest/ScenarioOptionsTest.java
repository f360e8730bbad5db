package io.ticketgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScenarioOptionsTest {

  private static ScenarioOptions parse(String... args) {
    return ScenarioOptions.parse(args);
  }

  private static void refused(String message, String... args) {
    assertThatThrownBy(() -> parse(args)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(message);
  }

  @Test
  void withoutFaultOptionsNoFaultIsPlanned() {
    ScenarioOptions o = parse();
    assertThat(o.killReplicaAt()).isNegative();
    assertThat(o.termReplicaAt()).isNegative();
    assertThat(o.pauseReplicaAt()).isNegative();
    assertThat(o.pause()).isNull();
    assertThat(o.restartRedisAt()).isNegative();
    assertThat(o.redisDown()).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void aBotWithWorkersAndTheGatewaysBotConcurrency() {
    ScenarioOptions o = parse("--bot-workers", "20", "--bot-concurrency", "adaptive");
    assertThat(o.botWorkers()).isEqualTo(20);
    assertThat(o.botConcurrency()).isEqualTo("adaptive");
    assertThat(parse().botWorkers()).isZero();
    assertThat(parse().botConcurrency()).isEqualTo("unlimited");
    assertThat(parse("--bot-concurrency", "64").botConcurrency()).isEqualTo("64");
    refused("--bot-concurrency was 'lots' but must be unlimited, adaptive or a positive number",
        "--bot-concurrency", "lots");
  }

  @Test
  void aPauseIsAFractionAndADuration() {
    ScenarioOptions o = parse("--pause-replica-at", "0.4", "--pause", "15s");
    assertThat(o.pauseReplicaAt()).isEqualTo(0.4);
    assertThat(o.pause()).isEqualTo(Duration.ofSeconds(15));
    assertThat(parse("--pause-replica-at", "0", "--pause", "1500ms").pause()).isEqualTo(Duration.ofMillis(1500));
  }

  @Test
  void aPauseNeedsBothOptions() {
    refused("--pause-replica-at needs --pause", "--pause-replica-at", "0.4");
    refused("--pause needs --pause-replica-at", "--pause", "8s");
  }

  @Test
  void aPauseMustBeAFractionAndAUsableDuration() {
    refused("--pause-replica-at was 1.5 but must be between 0 and 1", "--pause-replica-at", "1.5", "--pause", "8s");
    refused("--pause-replica-at needs a fraction like 0.3, got 'half'", "--pause-replica-at", "half", "--pause", "8s");
    refused("--pause was 10 ms but must be at least 100ms", "--pause-replica-at", "0.4", "--pause", "10ms");
    refused("shorter than --timeout (30s)", "--pause-replica-at", "0.4", "--pause", "40s", "--timeout", "30s");
  }

  @Test
  void aPauseNeedsChildJvms() {
    refused("--pause-replica-at needs child-JVM replicas (SIGSTOP); drop --in-process",
        "--pause-replica-at", "0.4", "--pause", "8s", "--in-process");
  }

  @Test
  void aPauseAndAKillNeedTwoReplicas() {
    refused("needs two replicas", "--pause-replica-at", "0.4", "--pause", "8s", "--kill-replica-at", "0.2",
        "--restart", "--replicas", "1");
    assertThat(parse("--pause-replica-at", "0.4", "--pause", "8s", "--kill-replica-at", "0.2", "--replicas", "2")
        .pause()).isEqualTo(Duration.ofSeconds(8));
  }

  @Test
  void theRedisStoreIsRefusedAPausePastTheSessionTimeoutWithTheReason() {
    refused("the redis store's ticket numbers restart, so the bot cannot fence that call",
        "--store", "redis", "--pause-replica-at", "0.4", "--pause", "6s");
    // Below the session timeout the partition stays, and the replica finishes its own work in order.
    assertThat(parse("--store", "redis", "--pause-replica-at", "0.4", "--pause", "5s").store()).isEqualTo("redis");
    assertThat(parse("--store", "concurrent_redis", "--pause-replica-at", "0.4", "--pause", "15s").pause())
        .isEqualTo(Duration.ofSeconds(15));
  }

  @Test
  void aGracefulStopIsAFractionAndMayRestartTheReplica() {
    ScenarioOptions o = parse("--term-replica-at", "0.3", "--restart");
    assertThat(o.termReplicaAt()).isEqualTo(0.3);
    assertThat(o.restart()).isTrue();
    assertThat(parse("--term-replica-at=0.5").termReplicaAt()).isEqualTo(0.5);
    refused("--term-replica-at was 1.2 but must be between 0 and 1", "--term-replica-at", "1.2");
  }

  @Test
  void aGracefulStopIsRefusedWhereItCannotWorkOrWhereAnotherFaultWouldBlurItsZero() {
    refused("--term-replica-at with one replica and no --restart would leave nobody to finish the run",
        "--term-replica-at", "0.3", "--replicas", "1");
    refused("--term-replica-at needs child-JVM replicas (SIGTERM); drop --in-process",
        "--term-replica-at", "0.3", "--in-process");
    refused("--term-replica-at with in_memory", "--term-replica-at", "0.3", "--store", "in_memory",
        "--replicas", "1", "--restart");
    refused("--term-replica-at with --kill-replica-at", "--term-replica-at", "0.3", "--kill-replica-at", "0.5");
    refused("--term-replica-at with --pause-replica-at", "--term-replica-at", "0.3", "--pause-replica-at", "0.5",
        "--pause", "2s");
    assertThat(parse("--term-replica-at", "0.3", "--replicas", "1", "--restart").replicas()).isEqualTo(1);
  }

  @Test
  void aRedisRestartIsAFractionWithAnOptionalDowntime() {
    ScenarioOptions o = parse("--restart-redis-at", "0.5");
    assertThat(o.restartRedisAt()).isEqualTo(0.5);
    assertThat(o.redisDown()).isEqualTo(Duration.ofSeconds(2));
    assertThat(parse("--restart-redis-at", "0.5", "--redis-down", "500ms").redisDown())
        .isEqualTo(Duration.ofMillis(500));
    assertThat(parse("--restart-redis-at", "0.5", "--redis-down", "0").redisDown()).isZero();
  }

  @Test
  void aRedisRestartNeedsARedisTheHarnessStarted() {
    refused("the harness restarts only a redis-server it started itself; drop --redis",
        "--restart-redis-at", "0.5", "--redis", "127.0.0.1:6379");
    refused("--restart-redis-at with --store in_memory: there is no Redis to restart",
        "--restart-redis-at", "0.5", "--store", "in_memory", "--replicas", "1");
    refused("--redis-down only makes sense with --restart-redis-at", "--redis-down", "3s");
    refused("--redis-down was 60000 ms but must be shorter than --timeout (30s)",
        "--restart-redis-at", "0.5", "--redis-down", "60s", "--timeout", "30s");
  }

  @Test
  void theUsageNamesTheNewOptions() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    Main.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8), System.err);
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("--pause-replica-at=F").contains("--pause=D")
        .contains("--term-replica-at=F")
        .contains("--restart-redis-at=F").contains("--redis-down=D");
  }

  @Test
  void theDefaultsAreTheOnesTheHelpStates() {
    ScenarioOptions o = parse();
    assertThat(List.of(o.conversations(), o.messages(), o.partitions(), o.replicas())).containsExactly(50, 20, 4, 2);
    assertThat(o.inProcess()).isFalse();
    assertThat(o.store()).isEqualTo("concurrent_redis");
    assertThat(o.redis()).isNull();
    assertThat(o.botLatency()).isEqualTo("fixed:5ms");
    assertThat(o.bootstrap()).isNull();
    assertThat(o.lockLifetime()).isEqualTo(Duration.ofSeconds(10));
    assertThat(o.restart()).isFalse();
    assertThat(o.timeout()).isEqualTo(Duration.ofSeconds(300));
    assertThat(o.out().toString()).startsWith("load-test-results");
    assertThat(o.progress()).as("no terminal said so (./load-test sets it when stderr is one)").isFalse();
  }

  @Test
  void aValueMayFollowAnEqualsSignAndTheLastOfARepeatedOptionWins() {
    ScenarioOptions o = parse("--conversations=60", "--messages", "20", "--kill-replica-at=0.33", "--replicas", "3",
        "--replicas=2", "--progress", "--no-progress", "--out", "compare");
    assertThat(o.conversations()).isEqualTo(60);
    assertThat(o.killReplicaAt()).isEqualTo(0.33);
    assertThat(o.replicas()).isEqualTo(2);
    assertThat(o.progress()).isFalse();
    assertThat(o.out()).as("a value that happens to be a command's name").isEqualTo(Path.of("compare"));
  }

  @Test
  void countsAndFractionsNameTheOptionAndTheValue() {
    refused("--conversations was 0 but must be at least 1", "--conversations", "0");
    refused("--messages needs a whole number, got 'x'", "--messages", "x");
    refused("--bot-workers was -3 but must be at least 1", "--bot-workers", "-3");
    refused("--kill-replica-at was 2 but must be between 0 and 1", "--kill-replica-at", "2");
    refused("'10' in '--lock-lifetime' needs a unit", "--lock-lifetime", "10");
    refused("--store was 'mysql' but must be in_memory, redis or concurrent_redis", "--store", "mysql");
    refused("Unknown options: '--arms'", "--arms", "drain");
  }

  @Test
  void everyProblemOfACombinationIsNamedOnOneLine() {
    assertThatThrownBy(() -> parse("--store", "in_memory", "--kill-replica-at", "0.3", "--in-process"))
        .hasMessageContaining("--store in_memory with --replicas 2")
        .hasMessageContaining("--kill-replica-at needs child-JVM replicas")
        .hasMessageContaining("--kill-replica-at with in_memory")
        .hasMessageNotContaining("\n");
  }
}
