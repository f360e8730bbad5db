package io.ticketgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import io.ticketgate.embedded.EmbeddedKafka;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the Parallel Consumer arm of {@code ./load-test compare} (module
 * {@code load-tests/peers/parallel-consumer}, packaged before this one) as the harness will: a
 * child JVM on its own class path with kafka-clients 4.3, against the embedded broker. Checks the
 * arm's contract and that Parallel Consumer with KEY ordering kept each conversation in order and
 * one message at a time. Correctness only, no speed assertions.
 */
class ParallelConsumerArmIT {

  private static final Path ARM_DIR = Path.of("peers", "parallel-consumer", "target");
  private static final Path ARM_JAR = ARM_DIR.resolve("ticketgate-load-tests-parallel-consumer.jar");
  private static final ObjectMapper JSON = new ObjectMapper();

  private static EmbeddedKafka kafka;

  @TempDir Path dir;

  @BeforeAll
  static void startKafka() {
    kafka = EmbeddedKafka.start();
  }

  @AfterAll
  static void stopKafka() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  @Timeout(180)
  void inProcessBotHandlesEveryMessageInOrderAndRepliesOnce() throws Exception {
    // Few conversations for the concurrency: each partition holds several messages of every one
    // of its conversations within PC's reach at once, so without KEY ordering they would overlap.
    int conversations = 40;
    int messages = 25;
    int total = conversations * messages;
    kafka.createTopic("pc-in", 4);
    kafka.createTopic("pc-out", 4);
    produce("pc-in", conversations, messages);

    Path log = dir.resolve("dispatch.tsv");
    Run run = runArm("--bootstrap", kafka.bootstrapServers(), "--input", "pc-in", "--output", "pc-out",
        "--group", "pc-arm-it", "--expected", String.valueOf(total), "--bot", "inprocess:2",
        "--max-concurrency", "100", "--dispatch-log", log.toString(), "--store", "in_memory");

    assertThat(run.exitCode).as("exit code; stderr:%n%s", run.stderr).isZero();
    assertDoneLine(run, total);
    List<Dispatch> dispatches = readDispatchLog(log);
    assertThat(dispatches).hasSize(total);
    assertThat(dispatches).allSatisfy(d -> assertThat(d.ticket()).isEqualTo(-1));
    for (Verifier.Check check : Verifier.verify(expected(conversations, messages), dispatches)) {
      assertThat(check.pass()).as(check.line()).isTrue();
      if (check.name().equals("duplicates")) {
        assertThat(check.count()).as("nothing failed, so nothing was redelivered: " + check.line()).isZero();
      }
    }

    Map<String, List<ConsumerRecord<String, String>>> replies = readAll("pc-out", total);
    assertThat(replies).hasSize(total);
    replies.forEach((id, records) -> {
      assertThat(records).as("replies to %s", id).hasSize(1);
      ConsumerRecord<String, String> r = records.get(0);
      String seq = id.substring(id.indexOf('#') + 1);
      assertThat(r.value()).isEqualTo("echo: seq=" + seq);
    });
  }

  @Test
  @Timeout(180)
  void httpBotGetsRasaWebhookJsonAndEveryReplyIsPublished() throws Exception {
    int conversations = 20;
    int messages = 5;
    int total = conversations * messages;
    kafka.createTopic("pc-http-in", 2);
    kafka.createTopic("pc-http-out", 2);
    produce("pc-http-in", conversations, messages);

    Set<String> requests = ConcurrentHashMap.newKeySet();
    HttpServer bot = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
    bot.createContext("/webhooks/rest/webhook", exchange -> {
      try (exchange; InputStream in = exchange.getRequestBody()) {
        JsonNode body = JSON.readTree(in);
        String sender = body.path("sender").asText();
        requests.add(sender + "#" + body.path("metadata").path("seq").asLong() + "#" + body.path("message").asText());
        // Two replies per message, so the arm must publish one record per reply.
        byte[] answer = JSON.writeValueAsBytes(List.of(Map.of("recipient_id", sender, "text", "a"),
            Map.of("recipient_id", sender, "text", "b")));
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(200, answer.length);
        try (OutputStream out = exchange.getResponseBody()) {
          out.write(answer);
        }
      } catch (IOException e) {
        throw new IOException("stub bot could not answer: " + e.getMessage(), e);
      }
    });
    bot.start();
    try {
      String url = "http://127.0.0.1:" + bot.getAddress().getPort() + "/webhooks/rest/webhook";
      Run run = runArm("--bootstrap", kafka.bootstrapServers(), "--input", "pc-http-in", "--output",
          "pc-http-out", "--group", "pc-arm-http-it", "--expected", String.valueOf(total), "--bot", "http:" + url,
          "--dispatch-log", dir.resolve("http.tsv").toString());
      assertThat(run.exitCode).as("exit code; stderr:%n%s", run.stderr).isZero();
      assertDoneLine(run, total);
    } finally {
      bot.stop(0);
    }
    assertThat(requests).hasSize(total).contains("conv-0#1#seq=1", "conv-19#5#seq=5");
    Map<String, List<ConsumerRecord<String, String>>> replies = readAll("pc-http-out", 2 * total);
    assertThat(replies).hasSize(total);
    replies.forEach((id, records) ->
        assertThat(records).as("replies to %s", id).extracting(ConsumerRecord::value).containsExactly("a", "b"));
  }

  @Test
  @Timeout(60)
  void wrongOptionValueExitsTwoNamingIt() throws Exception {
    Run run = runArm("--bootstrap", "127.0.0.1:1", "--input", "i", "--output", "o", "--group", "g",
        "--expected", "ten", "--bot", "inprocess:0");
    assertThat(run.exitCode).isEqualTo(2);
    assertThat(run.stderr).contains("--expected was 'ten'");
  }

  // ---------------------------------------------------------------------------------------------

  private record Run(int exitCode, List<String> stdout, String stderr) {}

  private Run runArm(String... args) throws Exception {
    assertThat(ARM_JAR).as("the arm's jar; the reactor packages load-tests/peers/parallel-consumer before "
        + "load-tests, or build it with ./mvnw -pl load-tests/peers/parallel-consumer package").exists();
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx256m");
    if (Runtime.version().feature() >= 23) {
      cmd.add("--sun-misc-unsafe-memory-access=allow");
    }
    cmd.add("-cp");
    // Its own class path only: this JVM's has kafka-clients 4.4, which Parallel Consumer cannot use.
    cmd.add(ARM_JAR + java.io.File.pathSeparator + ARM_DIR.resolve("lib") + "/*");
    cmd.add("io.ticketgate.loadtest.peers.ParallelConsumerArm");
    cmd.addAll(List.of(args));
    Path out = dir.resolve("arm.out");
    Path err = dir.resolve("arm.err");
    Process p = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    try {
      if (!p.waitFor(150, TimeUnit.SECONDS)) {
        throw new AssertionError("the arm did not finish within 150 s; stdout tail: "
            + tail(Files.readAllLines(out)) + "; stderr: " + Files.readString(err));
      }
    } finally {
      p.destroyForcibly();
    }
    return new Run(p.exitValue(), Files.readAllLines(out), Files.readString(err));
  }

  private static void assertDoneLine(Run run, int total) {
    assertThat(run.stdout).as("progress lines").anyMatch(l -> l.startsWith("progress "));
    String last = run.stdout.get(run.stdout.size() - 1);
    assertThat(last).as("last stdout line").startsWith("done " + total + " " + total + " ");
    long elapsedMicros = Long.parseLong(last.split(" ")[3]);
    assertThat(elapsedMicros).isPositive();
  }

  private static String tail(List<String> lines) {
    return lines.subList(Math.max(0, lines.size() - 3), lines.size()).toString();
  }

  private static List<Dispatch> readDispatchLog(Path log) throws IOException {
    List<Dispatch> dispatches = new ArrayList<>();
    for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
      String[] f = line.split("\t");
      assertThat(f).as("dispatch log line '%s'", line).hasSize(6);
      // Epoch micros as "nanos": the verifier only compares them with each other.
      dispatches.add(new Dispatch(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), "",
          Long.parseLong(f[3]) * 1_000, Long.parseLong(f[4]) * 1_000, f[5].equals("1")));
    }
    return dispatches;
  }

  private static Map<String, Integer> expected(int conversations, int messages) {
    Map<String, Integer> expected = new LinkedHashMap<>();
    for (int c = 0; c < conversations; c++) {
      expected.put(Scenario.conversation(c), messages);
    }
    return expected;
  }

  /** Interleaved across conversations, in the harness's format. */
  private static void produce(String topic, int conversations, int messages) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      for (int seq = 1; seq <= messages; seq++) {
        for (int c = 0; c < conversations; c++) {
          String conv = Scenario.conversation(c);
          String value = "{\"sender\":\"" + conv + "\",\"message\":\"seq=" + seq + "\",\"metadata\":{\"seq\":" + seq
              + ",\"produced_at\":0}}";
          producer.send(new ProducerRecord<>(topic, conv, value));
        }
      }
      producer.flush();
    }
  }

  /** Every record of {@code topic} by "conversation#lt-seq", reading until {@code count} arrived. */
  private static Map<String, List<ConsumerRecord<String, String>>> readAll(String topic, int count) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    Map<String, List<ConsumerRecord<String, String>>> byMessage = new HashMap<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      int seen = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      // The arm waited for every reply's ack before committing, so they are all there; a few
      // extra polls after the count would reveal surplus replies.
      int quietPolls = 0;
      while (System.nanoTime() < deadline && (seen < count || quietPolls < 3)) {
        var records = consumer.poll(Duration.ofMillis(200));
        quietPolls = seen >= count && records.isEmpty() ? quietPolls + 1 : 0;
        for (ConsumerRecord<String, String> r : records) {
          Header seq = r.headers().lastHeader("lt-seq");
          assertThat(seq).as("lt-seq header of %s", r).isNotNull();
          byMessage.computeIfAbsent(r.key() + "#" + new String(seq.value(), StandardCharsets.UTF_8),
              k -> new ArrayList<>()).add(r);
          seen++;
        }
      }
      assertThat(seen).as("records on %s", topic).isEqualTo(count);
    }
    return byMessage;
  }
}
