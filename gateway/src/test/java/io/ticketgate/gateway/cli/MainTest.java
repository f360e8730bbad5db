package io.ticketgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ticketgate} command line: usage errors, {@code help} and {@code check-config}. Nothing
 * here reaches a server: every command either fails before connecting or needs none.
 */
class MainTest {

  @TempDir Path dir;

  /** What one invocation printed and returned. */
  private record Outcome(int exit, String out, String err) {
    List<String> outLines() {
      return out.lines().toList();
    }
  }

  private static Outcome run(String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = Main.run(argv, o, e);
    }
    return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private Path file(String name, String yaml) throws IOException {
    return Files.writeString(dir.resolve(name), yaml);
  }

  private static void assertUsageError(Outcome o, String message) {
    assertThat(o.exit()).as("exit code of a usage error; stderr: %s", o.err()).isEqualTo(2);
    assertThat(o.err()).startsWith("ticketgate: " + message).contains(Main.USAGE);
    assertThat(o.out()).isEmpty();
  }

  // --- usage errors ----------------------------------------------------------------------------

  @Test
  void noCommandIsAUsageError() {
    assertUsageError(run(), "no command given");
  }

  @Test
  void anUnknownCommandIsAUsageError() {
    assertUsageError(run("serve"), "unknown command 'serve'");
  }

  @Test
  void anOptionOfAnotherCommandIsAUsageError() {
    assertUsageError(run("run", "--port", "5005"), "option(s) [--port] do not apply to 'run'");
    assertUsageError(run("echo-bot", "--topic", "t"), "option(s) [--topic] do not apply to 'echo-bot'");
  }

  @Test
  void produceNeedsABootstrapAndATopic() {
    assertUsageError(run("produce", "--topic", "t"), "produce needs --bootstrap HOST:PORT and --topic T");
  }

  @Test
  void echoBotRefusesABadPortAndAHalfDelayRange() {
    assertUsageError(run("echo-bot", "--port", "70000"), "--port was '70000' but it must be a number from 0 to 65535");
    assertUsageError(run("echo-bot", "--delay-min", "0.1"), "--delay-min needs --delay-max too");
  }

  @Test
  void healthcheckFailsWhenNothingAnswers() throws IOException {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    }
    Outcome o = run("healthcheck", "--url", "http://127.0.0.1:" + port + "/health/ready");
    assertThat(o.exit()).as("stderr: %s", o.err()).isEqualTo(1);
    assertThat(o.err()).contains("did not answer");
  }

  @Test
  void anUnknownOptionIsAUsageError() {
    assertUsageError(run("check-config", "--verbose"), "unknown option '--verbose'");
    assertUsageError(run("run", "-x"), "unknown option '-x'");
  }

  @Test
  void anOptionWithoutItsValueIsAUsageError() {
    assertUsageError(run("check-config", "--config"), "--config needs a value");
    assertUsageError(run("run", "--endpoints"), "--endpoints needs a value");
    assertUsageError(run("demo", "--messages"), "--messages needs a value");
  }

  @Test
  void conversationsAndMessagesMustBePositiveWholeNumbers() {
    assertUsageError(run("demo", "--conversations", "0"),
        "--conversations was '0' but it must be a positive whole number");
    assertUsageError(run("demo", "--conversations", "three"),
        "--conversations was 'three' but it must be a positive whole number");
    assertUsageError(run("demo", "--conversations", "-2"),
        "--conversations was '-2' but it must be a positive whole number");
    assertUsageError(run("demo", "--messages", "1.5"), "--messages was '1.5' but it must be a positive whole number");
  }

  @Test
  void unexpectedArgumentsAreAUsageError() {
    assertUsageError(run("check-config", "gateway.yml"), "unexpected argument(s) [gateway.yml] for 'check-config'");
    assertUsageError(run("run", "now"), "unexpected argument(s) [now] for 'run'");
    assertUsageError(run("demo", "fast"), "unexpected argument(s) [fast] for 'demo'");
  }

  @Test
  void locksNeedsShowOrClearAndAConversation() {
    for (String[] argv : List.of(new String[] {"locks"}, new String[] {"locks", "show"},
        new String[] {"locks", "list", "c1"}, new String[] {"locks", "show", "c1", "c2"},
        new String[] {"locks", "clear", ""})) {
      Outcome o = run(argv);
      assertThat(o.exit()).as("%s: %s", List.of(argv), o.err()).isEqualTo(2);
      assertThat(o.err()).contains("usage: ticketgate locks show|clear <conversation>");
    }
  }

  // --- help ------------------------------------------------------------------------------------

  @Test
  void helpPrintsTheUsageToStandardOutput() {
    for (String help : List.of("help", "--help", "-h")) {
      Outcome o = run(help);
      assertThat(o.exit()).isZero();
      assertThat(o.out()).isEqualTo(Main.USAGE);
      assertThat(o.err()).isEmpty();
    }
    assertThat(Main.USAGE).contains("run [--config gateway.yml]", "check-config", "locks show", "locks clear", "demo",
        "${VAR}");
  }

  // --- check-config ----------------------------------------------------------------------------

  @Test
  void checkConfigWithoutAFileChecksTheDefaults() {
    Outcome o = run("check-config");

    assertThat(o.exit()).isZero();
    assertThat(o.outLines()).containsExactly(
        "warning: lock_store: the in-memory store coordinates only this process; replicas of the gateway will not "
            + "coordinate (use concurrent_redis for more than one replica)",
        "defaults: OK (1 warning(s))");
    assertThat(o.err()).isEmpty();
  }

  @Test
  void aValidFileIsOk() throws IOException {
    Path config = file("gateway.yml", """
        kafka: {bootstrap_servers: 'kafka:9092', input_topics: [chat]}
        lock_store: {type: concurrent_redis, host: redis}
        bot: {type: rasa, url: 'http://rasa:5005'}
        """);

    Outcome o = run("check-config", "--config", config.toString());

    assertThat(o.exit()).isZero();
    assertThat(o.outLines()).containsExactly(config + ": OK");
  }

  @Test
  void theLockStoreMayComeFromEndpoints() throws IOException {
    Path config = file("gateway.yml", "kafka: {input_topics: [chat]}\n");
    Path endpoints = file("endpoints.yml", """
        action_endpoint: {url: 'http://localhost:5055/webhook'}
        lock_store: {type: concurrent_redis, host: redis}
        """);

    Outcome o = run("check-config", "-c", config.toString(), "--endpoints", endpoints.toString());

    assertThat(o.exit()).isZero();
    assertThat(o.outLines()).containsExactly(config + " with lock_store from " + endpoints + ": OK");

    Outcome endpointsOnly = run("check-config", "--endpoints", endpoints.toString());
    assertThat(endpointsOnly.outLines()).last().isEqualTo("defaults with lock_store from " + endpoints + ": OK");
  }

  @Test
  void anInvalidFileListsEveryProblemAndWarning() throws IOException {
    Path config = file("gateway.yml", """
        kafka: {input_topics: [chat], output_topic: chat, consumer: {enable.auto.commit: true}, colour: blue}
        bot: {type: http}
        metrics: {port: 99999}
        extras: {}
        """);

    Outcome o = run("check-config", "--config", config.toString());

    assertThat(o.exit()).isEqualTo(1);
    List<String> lines = o.outLines();
    List<String> errors = lines.stream().filter(l -> l.startsWith("error: ")).toList();
    List<String> warnings = lines.stream().filter(l -> l.startsWith("warning: ")).toList();
    assertThat(errors).hasSize(4).allSatisfy(l -> assertThat(l).endsWith("(in " + config + ")"));
    assertThat(errors).anySatisfy(l -> assertThat(l).startsWith("error: kafka.output_topic was 'chat'"));
    assertThat(errors).anySatisfy(l -> assertThat(l)
        .startsWith("error: kafka.consumer.enable.auto.commit was 'true'"));
    assertThat(errors).anySatisfy(l -> assertThat(l).startsWith("error: bot.url was 'null'")
        .contains("required for an http bot"));
    assertThat(errors).anySatisfy(l -> assertThat(l).startsWith("error: metrics.port was '99999'"));
    assertThat(warnings).anySatisfy(l -> assertThat(l).contains("unknown section 'extras'"));
    assertThat(warnings).anySatisfy(l -> assertThat(l).contains("kafka").contains("[colour]"));
    assertThat(warnings).anySatisfy(l -> assertThat(l).contains("in-memory store"));
    assertThat(lines).last().isEqualTo(config + ": 4 problem(s)");
    assertThat(lines).hasSize(errors.size() + warnings.size() + 1);
  }

  @Test
  void aMissingFileIsAProblem() {
    Path missing = dir.resolve("missing.yml");

    Outcome o = run("check-config", "--config", missing.toString());

    assertThat(o.exit()).isEqualTo(1);
    assertThat(o.outLines()).containsExactly("error: cannot read " + missing + ": no such file",
        missing + ": 1 problem(s)");
  }

  // --- other commands stop at an invalid configuration -----------------------------------------

  @Test
  void runWithAnInvalidConfigurationFailsBeforeConnectingAnywhere() throws IOException {
    Path config = file("gateway.yml", "metrics: {port: -1}\nlogging: {format: xml}\n");

    Outcome o = run("run", "--config", config.toString());

    assertThat(o.exit()).isEqualTo(1);
    assertThat(o.err()).startsWith("ticketgate: invalid configuration (2 problems)")
        .contains("metrics.port").contains("logging.format");
  }

  @Test
  void locksWithAnInvalidConfigurationFails() throws IOException {
    Path config = file("gateway.yml", "lock_store: {type: concurrent_redis, port: 0}\n");

    Outcome o = run("locks", "show", "c1", "--config", config.toString());

    assertThat(o.exit()).isEqualTo(1);
    assertThat(o.err()).startsWith("ticketgate: invalid configuration: lock_store.port was '0'");
  }

  @Test
  void locksOnTheInMemoryStoreFindsNothing() {
    Outcome show = run("locks", "show", "c1");
    assertThat(show.exit()).isZero();
    assertThat(show.outLines()).contains("conversation 'c1': no tickets");

    Outcome clear = run("locks", "clear", "c1");
    assertThat(clear.exit()).isZero();
    assertThat(clear.outLines()).contains("cleared 0 ticket(s) of conversation 'c1'");
  }
}
