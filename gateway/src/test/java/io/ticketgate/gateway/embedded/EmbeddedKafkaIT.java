package io.ticketgate.gateway.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.ticketgate.embedded.EmbeddedKafka;
import io.ticketgate.gateway.testing.KafkaFixture;
import io.ticketgate.store.testing.ChildJvm;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** The embedded broker's own life cycle: start, use, restart, crash, clean-up. */
class EmbeddedKafkaIT {

  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  /** A cold child JVM loads the whole broker; a busy 2-core CI machine needs headroom. */
  private static final Duration CHILD_START = Duration.ofSeconds(90);

  @TempDir Path tempDir;

  @Test
  void servesAConsumerGroupAndDeletesItsTemporaryDirectoryOnClose() throws Exception {
    Path dataDir;
    try (EmbeddedKafka kafka = EmbeddedKafka.start();
        KafkaFixture client = KafkaFixture.forBootstrap(kafka.bootstrapServers())) {
      dataDir = kafka.dataDir();
      assertThat(dataDir).isDirectory();
      assertThat(kafka.bootstrapServers()).isEqualTo("127.0.0.1:" + kafka.port());

      kafka.createTopic("chat-in", 4);
      assertThat(partitionCount(client, "chat-in")).isEqualTo(4);
      produce(client, "chat-in", 40);

      Map<TopicPartition, Long> consumed = consumeWithGroup(client, "chat-in", "gateway", 40);
      assertThat(consumed).as("every partition got records").hasSize(4);
      assertThat(client.committedOffsets("gateway", "chat-in")).isEqualTo(consumed);

      // The broker's INFO chatter is off unless the application configured those loggers.
      assertThat(logbackLevel("kafka")).isEqualTo(Level.WARN);
      assertThat(logbackLevel("state.change.logger")).isEqualTo(Level.WARN);
    }
    assertThat(dataDir).doesNotExist();
  }

  @Test
  void restartsOnTheSameDirectoryAndPortWithItsDataAndOffsets() throws Exception {
    Path dataDir = tempDir.resolve("kafka");
    int port = freePort();
    EmbeddedKafka.Options options =
        EmbeddedKafka.Options.builder().dataDir(dataDir).port(port).numPartitions(2).build();

    Map<TopicPartition, Long> committed;
    try (EmbeddedKafka kafka = EmbeddedKafka.start(options);
        KafkaFixture client = KafkaFixture.forBootstrap(kafka.bootstrapServers())) {
      kafka.createTopic("orders", 3);
      produce(client, "orders", 12);
      committed = consumeWithGroup(client, "orders", "billing", 12);
    }
    assertThat(dataDir).as("a given directory is kept").isDirectory();

    try (EmbeddedKafka kafka = EmbeddedKafka.start(options);
        KafkaFixture client = KafkaFixture.forBootstrap(kafka.bootstrapServers())) {
      assertThat(kafka.port()).isEqualTo(port);
      // Same count: a no-op, so a demo can always "create" its topics at start.
      kafka.createTopic("orders", 3);
      assertThatThrownBy(() -> kafka.createTopic("orders", 5))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("'orders' already exists with 3 partitions, not 5");

      assertThat(client.consumeAll("orders", 12, TIMEOUT)).hasSize(12);
      assertThat(client.committedOffsets("billing", "orders")).isEqualTo(committed);

      // Auto-created topics get the configured default partition count.
      produce(client, "auto-created", 1);
      assertThat(partitionCount(client, "auto-created")).isEqualTo(2);
    }
    assertThat(dataDir).isDirectory();
  }

  @Test
  void aTakenPortFailsWithAClearMessage() throws Exception {
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      EmbeddedKafka.Options options =
          EmbeddedKafka.Options.builder().port(taken.getLocalPort()).build();
      assertThatThrownBy(() -> EmbeddedKafka.start(options))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("127.0.0.1:" + taken.getLocalPort())
          .hasMessageContaining("a port is already in use");
    }
  }

  @Test
  void aFatalStartupFaultFailsTheStartInsteadOfHaltingTheJvm() throws Exception {
    // Pin the controller to a taken port, as if someone grabbed it between choosing and binding:
    // standalone Kafka halts the JVM here, which would end this test run without a word.
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      int port = freePort();
      String controller = "127.0.0.1:" + taken.getLocalPort();
      EmbeddedKafka.Options options =
          EmbeddedKafka.Options.builder()
              .port(port)
              .brokerProperty("listeners",
                  "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://" + controller)
              .brokerProperty("controller.quorum.voters", "1@" + controller)
              .build();
      assertThatThrownBy(() -> EmbeddedKafka.start(options))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("embedded Kafka failed to start on 127.0.0.1:" + port)
          .hasMessageContaining("fatal fault");
    }
    // Still alive, and the next start works.
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      kafka.createTopic("after-fault", 1);
    }
  }

  @Test
  void runsAsAChildJvmThatSurvivesSigkillAndStopsWhenStdinCloses() throws Exception {
    Path dataDir = tempDir.resolve("child");
    String bootstrap;
    try (ChildJvm child = startChild("--dir", dataDir.toString(), "--partitions", "2")) {
      bootstrap = awaitBootstrap(child);
      try (KafkaFixture client = KafkaFixture.forBootstrap(bootstrap)) {
        produce(client, "before-kill", 10);
        assertThat(partitionCount(client, "before-kill")).isEqualTo(2);
        assertThat(client.consumeAll("before-kill", 10, TIMEOUT)).hasSize(10);
      }
      child.process().destroyForcibly(); // SIGKILL: no shutdown hook, no clean log close
      assertThat(child.awaitExit(TIMEOUT)).as(child.describeOutput()).isEqualTo(137);
    }

    // The crashed broker's directory and port serve again; acks=all records survived.
    String port = bootstrap.substring(bootstrap.lastIndexOf(':') + 1);
    try (ChildJvm child = startChild("--dir", dataDir.toString(), "--port", port)) {
      assertThat(awaitBootstrap(child)).isEqualTo(bootstrap);
      try (KafkaFixture client = KafkaFixture.forBootstrap(bootstrap)) {
        assertThat(client.consumeAll("before-kill", 10, TIMEOUT)).hasSize(10);
        produce(client, "before-kill", 1);
      }
      child.process().getOutputStream().close();
      assertThat(child.awaitExit(TIMEOUT)).as(child.describeOutput()).isZero();
    }
    assertThat(dataDir).as("a given directory is kept").isDirectory();
  }

  @Test
  void childJvmRejectsBadArgumentsWithUsage() {
    try (ChildJvm child = startChild("--port", "nine")) {
      assertThat(child.awaitExit(TIMEOUT)).isEqualTo(2);
      assertThat(String.join("\n", child.stderrLines()))
          .contains("--port needs a number, got 'nine'")
          .contains("usage:");
    }
  }

  private static ChildJvm startChild(String... args) {
    // C1 only and one GC thread: a short-lived broker starts about twice as fast on 2 busy cores,
    // as C2 and parallel GC threads no longer compete with class loading.
    List<String> jvm = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC");
    return ChildJvm.start(jvm, EmbeddedKafka.class.getName(), List.of(args));
  }

  private static String awaitBootstrap(ChildJvm child) {
    return child.awaitLine(line -> line.startsWith("bootstrap="), CHILD_START)
        .substring("bootstrap=".length());
  }

  private static void produce(KafkaFixture client, String topic, int count) throws Exception {
    try (KafkaProducer<String, String> producer = client.producer()) {
      for (int i = 0; i < count; i++) {
        producer.send(new ProducerRecord<>(topic, "key-" + i, "value-" + i));
      }
      producer.flush();
    }
  }

  /** Consumes {@code count} records as {@code group}, commits, and returns the positions. */
  private static Map<TopicPartition, Long> consumeWithGroup(
      KafkaFixture client, String topic, String group, int count) {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, client.bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    Map<TopicPartition, Long> positions = new LinkedHashMap<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      int received = 0;
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (received < count && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          received++;
          positions.put(new TopicPartition(topic, record.partition()), record.offset() + 1);
        }
      }
      assertThat(received).as("records consumed by group %s", group).isEqualTo(count);
      consumer.commitSync(TIMEOUT);
    }
    return positions;
  }

  private static int partitionCount(KafkaFixture client, String topic) throws Exception {
    return client.admin().describeTopics(List.of(topic)).allTopicNames().get()
        .get(topic).partitions().size();
  }

  private static Level logbackLevel(String name) {
    return ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).getLevel();
  }

  private static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      return socket.getLocalPort();
    }
  }
}
