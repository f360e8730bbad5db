package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class CompareOptionsTest {

  @Test
  void defaultsRunEveryArmAtThreeLatenciesInBothPasses() {
    CompareOptions o = CompareOptions.parse(new String[0]);
    assertThat(o.conversations()).isEqualTo(1000);
    assertThat(o.messages()).isEqualTo(20);
    assertThat(o.partitions()).isEqualTo(12);
    assertThat(o.latencies()).containsExactly(0, 10, 50);
    assertThat(o.arms()).containsExactly(ArmKind.values());
    assertThat(o.bots()).containsExactly("inprocess", "http");
    assertThat(o.armBudget()).isEqualTo(Duration.ofSeconds(60));
    assertThat(o.stallTimeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(o.maxConcurrency()).isEqualTo(100);
    assertThat(o.bootstrap()).isNull();
    assertThat(o.redis()).isNull();
    assertThat(o.progress()).as("no terminal said so (./load-test sets it when stderr is one)").isFalse();
    assertThat(o.needsRedis()).isTrue();
    assertThat(o.out().toString()).startsWith("load-test-results");
    assertThat(o.botProbe()).as("the http pass is checked against what its bot sustains").isTrue();
  }

  @Test
  void parsesEveryOption() {
    CompareOptions o = CompareOptions.parse(new String[] {"--conversations", "50", "--messages", "4",
        "--partitions", "3", "--latencies", "5ms, 0", "--arms", "ticketgate-in_memory,drain,plain",
        "--bots", "http", "--bootstrap", "127.0.0.1:9092", "--redis", "localhost:6379", "--arm-budget", "40s",
        "--stall-timeout", "1.5s", "--max-concurrency", "8", "--out", "x", "--no-progress", "--no-bot-probe"});
    assertThat(o.total()).isEqualTo(200);
    assertThat(o.partitions()).isEqualTo(3);
    assertThat(o.latencies()).containsExactly(5, 0);
    // Run order is fixed, ceilings first, whatever the order given.
    assertThat(o.arms()).containsExactly(ArmKind.DRAIN, ArmKind.PLAIN, ArmKind.TICKETGATE_IN_MEMORY);
    assertThat(o.needsRedis()).isFalse();
    assertThat(o.bots()).containsExactly("http");
    assertThat(o.bootstrap()).isEqualTo("127.0.0.1:9092");
    assertThat(o.redis()).isEqualTo("localhost:6379");
    assertThat(o.armBudget()).isEqualTo(Duration.ofSeconds(40));
    assertThat(o.stallTimeout()).isEqualTo(Duration.ofMillis(1500));
    assertThat(o.maxConcurrency()).isEqualTo(8);
    assertThat(o.out()).isEqualTo(Path.of("x"));
    assertThat(o.progress()).isFalse();
    assertThat(o.botProbe()).isFalse();
  }

  @Test
  void badOptionsNameTheOptionAndTheValue() {
    assertThatThrownBy(() -> parse("--arms", "drain,kafka-streams")).hasMessageContaining("--arms")
        .hasMessageContaining("kafka-streams").hasMessageContaining("ticketgate-concurrent_redis");
    assertThatThrownBy(() -> parse("--arms", "drain,,pipe")).hasMessageContaining("empty entry");
    assertThatThrownBy(() -> parse("--latencies", "0,ten")).hasMessageContaining("--latencies")
        .hasMessageContaining("ten");
    assertThatThrownBy(() -> parse("--latencies", "-5")).hasMessageContaining("-5");
    assertThatThrownBy(() -> parse("--bots", "grpc")).hasMessageContaining("--bots").hasMessageContaining("grpc");
    assertThatThrownBy(() -> parse("--redis", "localhost")).hasMessageContaining("--redis")
        .hasMessageContaining("host:port");
    assertThatThrownBy(() -> parse("--bootstrap", "h:99999")).hasMessageContaining("65535");
    assertThatThrownBy(() -> parse("--arm-budget", "500ms")).hasMessageContaining("--arm-budget")
        .hasMessageContaining("at least 1s");
    assertThatThrownBy(() -> parse("--stall-timeout", "30")).hasMessageContaining("needs a unit");
    assertThatThrownBy(() -> parse("--conversations", "0")).hasMessageContaining("--conversations was 0");
    assertThatThrownBy(() -> parse("--messages", "x")).hasMessageContaining("--messages needs a whole number");
    // picocli's words for what the parser before it called unknown, missing and unexpected.
    assertThatThrownBy(() -> parse("--replicas", "2")).hasMessageContaining("Unknown option")
        .hasMessageContaining("'--replicas'");
    assertThatThrownBy(() -> parse("--out")).hasMessageContaining("Missing required parameter for option '--out'");
    assertThatThrownBy(() -> parse("extra")).hasMessageContaining("Unmatched argument at index 0: 'extra'");
  }

  @Test
  void wrongUsageExitsTwoWithTheProblemAndWhereTheUsageIs() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = io.ticketgate.loadtest.Main.run(new String[] {"compare", "--latencies", "fast"},
        new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8).lines().toList()).containsExactly(
        "load-test compare: --latencies was 'fast' but must be whole milliseconds separated by commas, e.g. "
            + "0,10,50; 'fast' is not",
        "Try 'load-test compare --help' for more information.");
  }

  @Test
  void progressCanBeForcedEitherWay() {
    assertThat(CompareOptions.parse(new String[] {"--progress"}).progress()).isTrue();
    assertThat(CompareOptions.parse(new String[] {"--progress", "--no-progress"}).progress()).isFalse();
  }

  @Test
  void helpGoesToStandardOutputAndExitsZero() {
    for (String[] argv : List.of(new String[] {"compare", "--help"}, new String[] {"--help"})) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code = io.ticketgate.loadtest.Main.run(argv, new PrintStream(out, true, StandardCharsets.UTF_8),
          new PrintStream(err, true, StandardCharsets.UTF_8));
      assertThat(code).as(String.join(" ", argv)).isZero();
      assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
      assertThat(out.toString(StandardCharsets.UTF_8)).as(String.join(" ", argv))
          .contains(argv.length == 2 ? "Usage: load-test compare" : "'load-test compare'");
    }
  }

  @Test
  void armArgumentsFollowTheContract() {
    ArmArgs a = ArmArgs.parse(new String[] {"--bootstrap", "b:1", "--input", "in", "--output", "out", "--group",
        "g", "--expected", "20", "--bot", "inprocess:10", "--dispatch-log", "d.tsv", "--something-else", "x"});
    assertThat(a.bot().latencyMillis()).isEqualTo(10);
    assertThat(a.bot().http()).isFalse();
    assertThat(a.maxConcurrency()).isEqualTo(100);
    ArmArgs h = ArmArgs.parse(new String[] {"--bootstrap", "b:1", "--input", "in", "--group", "g", "--expected",
        "1", "--bot", "http:http://127.0.0.1:5005", "--dispatch-log", "d.tsv"});
    assertThat(h.bot().url().getPort()).isEqualTo(5005);
    assertThatThrownBy(h::requireOutput).hasMessageContaining("--output is required");
    assertThatThrownBy(() -> ArmArgs.BotSpec.parse("grpc:x")).hasMessageContaining("inprocess:<ms> or http:<url>");
    assertThatThrownBy(() -> ArmArgs.BotSpec.parse("http:ftp://x")).hasMessageContaining("expected http:http://");
    assertThatThrownBy(() -> ArmArgs.BotSpec.parse("inprocess:-1")).hasMessageContaining("must not be negative");
    assertThatThrownBy(() -> ArmArgs.parse(new String[] {"--bootstrap", "b:1", "--input", "in", "--group", "g",
        "--dispatch-log", "d"})).hasMessageContaining("--expected");
  }

  @Test
  void theSeqOfAnInputRecordIsFoundWithoutParsingJson() {
    String value = io.ticketgate.loadtest.compare.Compare.value("conv-3", 17, 1_700_000_000_000_000L);
    assertThat(ArmRuntime.seq(value)).isEqualTo(17);
    assertThat(ArmRuntime.message(value)).isEqualTo("seq=17");
    assertThat(ArmRuntime.seq("{\"sender\":\"c\"}")).isEqualTo(-1);
    assertThat(ArmRuntime.seq(null)).isEqualTo(-1);
  }

  private static CompareOptions parse(String... args) {
    return CompareOptions.parse(List.of(args).toArray(new String[0]));
  }
}
