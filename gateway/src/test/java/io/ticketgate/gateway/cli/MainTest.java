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

  /** A usage error: exit 2, nothing on stdout, the mistake on one line, then where to find help. */
  private static void assertUsageError(Outcome o, String command, String message) {
    assertThat(o.exit()).as("exit code of a usage error; stderr: %s", o.err()).isEqualTo(2);
    assertThat(o.out()).isEmpty();
    List<String> lines = o.err().lines().toList();
    assertThat(lines.get(0)).startsWith(command + ": ").contains(message);
    assertThat(lines).last().isEqualTo("Try '" + command + " --help' for more information.");
    assertThat(o.err()).doesNotContain("\tat ").doesNotContain("Exception");
  }

  // --- usage errors ----------------------------------------------------------------------------

  @Test
  void noCommandIsAUsageError() {
    assertUsageError(run(), "ticketgate", "no command given");
  }

  @Test
  void anUnknownCommandIsAUsageErrorWithASuggestionWhenOneIsNear() {
    Outcome near = run("chek-config");
    assertUsageError(near, "ticketgate", "'chek-config'");
    assertThat(near.err()).contains("Did you mean 'check-config'?");

    Outcome far = run("serve");
    assertUsageError(far, "ticketgate", "'serve'");
    assertThat(far.err()).doesNotContain("Did you mean");
  }

  @Test
  void anOptionOfAnotherCommandIsAUsageError() {
    assertUsageError(run("run", "--port", "5005"), "ticketgate run", "'--port'");
    assertUsageError(run("echo-bot", "--topic", "t"), "ticketgate echo-bot", "'--topic'");
    assertUsageError(run("check-config", "--keep-running", "--conversations", "3"), "ticketgate check-config",
        "'--keep-running'");
    assertUsageError(run("healthcheck", "--config", "nonexist.yml"), "ticketgate healthcheck", "'--config'");
  }

  @Test
  void aMistypedOptionGetsTheNearestOne() {
    Outcome o = run("run", "--confg", "x.yml");

    assertUsageError(o, "ticketgate run", "'--confg'");
    assertThat(o.err()).contains("Did you mean '--config'?");
  }

  @Test
  void aKafkaClientThatCannotBeBuiltIsOneLineWithItsReason() {
    Outcome o = run("produce", "--bootstrap", "nohost.invalid:9092", "--topic", "t", "--conversations", "1",
        "--messages", "1");

    assertThat(o.exit()).as("stderr: %s", o.err()).isEqualTo(1);
    assertThat(o.err().lines().toList()).singleElement().satisfies(line -> assertThat(line)
        .startsWith("ticketgate: Failed to construct kafka producer: ").contains("No resolvable bootstrap urls"));
  }

  @Test
  void causesAreJoinedOnOneLineEachOnce() {
    Exception e = new IllegalStateException("outer: inner", new RuntimeException("inner",
        new java.io.IOException("deep\nsecond line")));
    assertThat(Main.causes(e)).isEqualTo("outer: inner: deep second line");
  }

  @Test
  void produceNeedsABootstrapAndATopic() {
    assertUsageError(run("produce", "--topic", "t"), "ticketgate produce", "--bootstrap");
    assertUsageError(run("produce", "--bootstrap", "k:9092"), "ticketgate produce", "--topic");
  }

  @Test
  void echoBotRefusesABadPortAndAHalfDelayRange() {
    assertUsageError(run("echo-bot", "--port", "70000"), "ticketgate echo-bot",
        "'70000' is not a number from 0 to 65535");
    assertUsageError(run("echo-bot", "--delay-min", "0.1"), "ticketgate echo-bot", "--delay-min needs --delay-max too");
  }

  @Test
  void healthcheckRefusesWhatIsNotAnHttpUrl() {
    for (String url : List.of("notaurl", "ftp://host/x", "http://", "http://a b")) {
      assertUsageError(run("healthcheck", "--url", url), "ticketgate healthcheck", "is not an http:// or https:// URL");
    }
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
  void anOptionWithoutItsValueIsAUsageError() {
    assertUsageError(run("check-config", "--config"), "ticketgate check-config", "--config");
    assertUsageError(run("run", "--endpoints"), "ticketgate run", "--endpoints");
    assertUsageError(run("demo", "--messages"), "ticketgate demo", "--messages");
  }

  @Test
  void conversationsAndMessagesMustBePositiveWholeNumbers() {
    for (String bad : List.of("0", "three", "-2", "1.5")) {
      assertUsageError(run("demo", "--conversations", bad), "ticketgate demo",
          "'" + bad + "' is not a positive whole number");
    }
    assertUsageError(run("produce", "--bootstrap", "k:1", "--topic", "t", "--messages", "0"), "ticketgate produce",
        "'0' is not a positive whole number");
  }

  @Test
  void unexpectedArgumentsAreAUsageError() {
    assertUsageError(run("check-config", "gateway.yml"), "ticketgate check-config", "'gateway.yml'");
    assertUsageError(run("run", "now"), "ticketgate run", "'now'");
    assertUsageError(run("demo", "fast"), "ticketgate demo", "'fast'");
  }

  @Test
  void locksNeedsShowOrClearAndOneConversation() {
    assertUsageError(run("locks"), "ticketgate locks", "show or clear");
    assertUsageError(run("locks", "list", "c1"), "ticketgate locks", "'list'");
    assertUsageError(run("locks", "show"), "ticketgate locks show", "CONVERSATION");
    assertUsageError(run("locks", "show", "c1", "c2"), "ticketgate locks show", "'c2'");
    assertUsageError(run("locks", "clear", ""), "ticketgate locks clear", "must not be empty");
  }

  @Test
  void optionsTakeTheirValueAfterAnEqualsSignToo() throws IOException {
    Path config = file("gateway.yml", "kafka: {input_topics: [chat]}\nlock_store: {type: concurrent_redis}\n");

    Outcome o = run("check-config", "--config=" + config);

    assertThat(o.exit()).as(o.err()).isZero();
    assertThat(o.outLines()).containsExactly(config + ": OK");
  }

  // --- help and version ------------------------------------------------------------------------

  @Test
  void helpListsEveryCommandOnStandardOutput() {
    for (String[] help : List.of(new String[] {"help"}, new String[] {"--help"}, new String[] {"-h"})) {
      Outcome o = run(help);
      assertThat(o.exit()).isZero();
      assertThat(o.err()).isEmpty();
      assertThat(o.out()).contains("run", "check-config", "locks", "demo", "echo-bot", "produce", "healthcheck",
          "generate-completion", "${VAR:-default}", "Exit codes: 0 success, 1 failure, 2 wrong usage");
    }
  }

  @Test
  void everyCommandHasItsOwnHelp() {
    for (String command : List.of("run", "check-config", "demo", "echo-bot", "produce", "healthcheck")) {
      for (String[] argv : List.of(new String[] {command, "--help"}, new String[] {"help", command})) {
        Outcome o = run(argv);
        assertThat(o.exit()).as(String.join(" ", argv)).isZero();
        assertThat(o.out()).as(String.join(" ", argv)).startsWith("Usage: ticketgate " + command);
      }
    }
    assertThat(run("run", "--help").out()).contains("--config=FILE", "--endpoints=FILE");
    assertThat(run("locks", "show", "--help").out()).startsWith("Usage: ticketgate locks show").contains("CONVERSATION");
  }

  @Test
  void versionNamesTheBuildAndTheJava() {
    Outcome o = run("--version");

    assertThat(o.exit()).isZero();
    assertThat(o.outLines()).hasSize(2);
    assertThat(o.outLines().get(0)).startsWith("ticketgate ");
    assertThat(o.outLines().get(1)).startsWith("Java " + Runtime.version().feature());
  }

  @Test
  void theLogLevelIsAnOptionOfEveryCommandAndIsChecked() {
    assertThat(run("check-config", "--log-level", "warn").exit()).isZero();
    assertThat(run("--log-level=ERROR", "check-config").exit()).isZero();
    assertUsageError(run("check-config", "--log-level", "loud"), "ticketgate check-config",
        "'loud' is not one of trace, debug, info, warn, error, off");
  }

  @Test
  void generateCompletionPrintsABashScript() {
    Outcome o = run("generate-completion");

    assertThat(o.exit()).isZero();
    assertThat(o.out()).contains("complete -F").contains("check-config").contains("--endpoints");
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
