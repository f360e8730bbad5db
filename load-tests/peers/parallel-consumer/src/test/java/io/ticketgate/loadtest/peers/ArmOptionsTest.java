package io.ticketgate.loadtest.peers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ArmOptionsTest {

  private static final List<String> REQUIRED = List.of("--bootstrap", "127.0.0.1:9092", "--input", "in",
      "--output", "out", "--group", "g", "--expected", "1000");

  private static ArmOptions parse(String... more) {
    List<String> args = new ArrayList<>(REQUIRED);
    args.addAll(List.of(more));
    return ArmOptions.parse(args.toArray(String[]::new));
  }

  @Test
  void defaultsAndTheInProcessBot() {
    ArmOptions o = parse("--bot", "inprocess:10");
    assertThat(o.botLatencyMillis()).isEqualTo(10);
    assertThat(o.botUrl()).isNull();
    assertThat(o.maxConcurrency()).isEqualTo(100);
    assertThat(o.dispatchLog()).isNull();
    assertThat(o.commitInterval()).isEqualTo(Duration.ofMillis(500));
    assertThat(o.expected()).isEqualTo(1000);
  }

  @Test
  void httpBotAndOptionalValues() {
    ArmOptions o = parse("--bot", "http:http://127.0.0.1:5005/webhooks/rest/webhook", "--max-concurrency=7",
        "--dispatch-log", "d.tsv", "--commit-interval-ms", "100");
    assertThat(o.botUrl()).isEqualTo(URI.create("http://127.0.0.1:5005/webhooks/rest/webhook"));
    assertThat(parse("--bot", "http:http://127.0.0.1:5005/").botUrl())
        .as("a Rasa server's URL gets the webhook path, as bot.url does in gateway.yml")
        .isEqualTo(URI.create("http://127.0.0.1:5005/webhooks/rest/webhook"));
    assertThat(o.botLatencyMillis()).isEqualTo(-1);
    assertThat(o.maxConcurrency()).isEqualTo(7);
    assertThat(o.dispatchLog()).isEqualTo(Path.of("d.tsv"));
    assertThat(o.commitInterval()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void otherArmsOptionsAreIgnored() {
    ArmOptions o = parse("--bot", "inprocess:0", "--store", "concurrent_redis", "--redis", "127.0.0.1:6379",
        "--in-process");
    assertThat(o.ignored()).containsExactly("--store concurrent_redis", "--redis 127.0.0.1:6379", "--in-process");
  }

  @Test
  void wrongValuesAreNamed() {
    assertThatThrownBy(() -> parse("--bot", "inprocess:fast")).hasMessageContaining("--bot was 'inprocess:fast'");
    assertThatThrownBy(() -> parse("--bot", "inprocess:-1")).hasMessageContaining("--bot was 'inprocess:-1'");
    assertThatThrownBy(() -> parse("--bot", "grpc:x")).hasMessageContaining("--bot was 'grpc:x'");
    assertThatThrownBy(() -> parse("--bot", "http:ftp://h/x")).hasMessageContaining("--bot was 'http:ftp://h/x'");
    assertThatThrownBy(() -> parse("--bot", "inprocess:0", "--max-concurrency", "0"))
        .hasMessageContaining("--max-concurrency was 0");
    assertThatThrownBy(() -> parse("--bot", "inprocess:0", "--expected", "many"))
        .hasMessageContaining("--expected was 'many'");
    assertThatThrownBy(() -> parse("--bot", "inprocess:0", "--bootstrap", "localhost"))
        .hasMessageContaining("--bootstrap was 'localhost' but must be host:port");
    assertThatThrownBy(() -> parse("--bot", "inprocess:0", "--dispatch-log"))
        .hasMessageContaining("--dispatch-log needs a value");
    assertThatThrownBy(() -> parse()).hasMessageContaining("--bot is required");
  }

  @Test
  void usageErrorsExitTwoWithTheReasonOnStderr() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = ParallelConsumerArm.run(new String[] {"--expected", "0"}, new PrintStream(out, true,
        StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    assertThat(code).isEqualTo(2);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("--expected was 0 but must be at least 1", "usage:");
    assertThat(out.size()).isZero();
  }
}
