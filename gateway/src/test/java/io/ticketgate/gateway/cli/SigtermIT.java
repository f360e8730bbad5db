package io.ticketgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.Headers;
import io.ticketgate.gateway.testing.KafkaFixture;
import io.ticketgate.gateway.testing.StubBot;
import io.ticketgate.store.testing.ChildJvm;
import io.ticketgate.store.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.LongStream;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code ticketgate run} in its own JVM stops cleanly on SIGTERM, as an orchestrator expects: it
 * finishes what it started, commits exactly what finished, gives back every ticket and exits 0; a
 * second gateway in the same group then does the rest, and no message is lost.
 */
class SigtermIT {

  private static final int CONVERSATIONS = 10;
  private static final int MESSAGES_PER_CONVERSATION = 3;
  private static final int TOTAL = CONVERSATIONS * MESSAGES_PER_CONVERSATION;
  private static final int PARTITIONS = 4;
  /** Calls answered before the stub starts holding answers back until the gateway is stopping. */
  private static final int ANSWERED_BEFORE_STOP = 3;
  private static final Duration BOT_LATENCY = Duration.ofMillis(300);
  /** A cold child JVM starting Kafka clients and Lettuce on a busy 2-core machine needs headroom. */
  private static final Duration CHILD_TIMEOUT = Duration.ofSeconds(120);
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  @TempDir Path dir;

  private final KafkaFixture kafka = KafkaFixture.shared();
  private RedisServer redis;
  private StubBot bot;
  /** Opened once the first gateway is stopping; until then, calls after the first few wait. */
  private final CountDownLatch stopping = new CountDownLatch(1);
  private final AtomicInteger calls = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    redis = RedisServer.builder().start();
    StubBot.Behaviour echo = StubBot.Behaviour.echo();
    bot = StubBot.start(call -> {
      Thread.sleep(BOT_LATENCY);
      if (calls.incrementAndGet() > ANSWERED_BEFORE_STOP) {
        // Holding answers back until SIGTERM has stopped the polling makes "work in flight at the
        // stop" certain and leaves most messages to the second gateway, with no race against timing.
        stopping.await();
      }
      return echo.respond(call);
    });
  }

  @AfterEach
  void stop() {
    stopping.countDown();
    if (bot != null) {
      bot.close();
    }
    if (redis != null) {
      redis.close();
    }
  }

  @Test
  void sigtermFinishesInFlightWorkCommitsExactlyWhatFinishedReleasesTicketsAndExitsZero() throws Exception {
    String input = kafka.newTopic("sigterm-in", PARTITIONS);
    String output = kafka.newTopic("sigterm-out", 2);
    String deadLetters = kafka.newTopic("sigterm-dlq", 1);
    String group = "sigterm-" + UUID.randomUUID();
    Path config = Files.writeString(dir.resolve("gateway.yml"), """
        kafka:
          bootstrap_servers: '%s'
          group_id: %s
          input_topics: [%s]
          output_topic: %s
          dead_letter_topic: %s
        lock_store: {type: concurrent_redis, host: '%s', port: %d, db: 0}
        bot: {type: rasa, url: '%s', timeout: 60}
        dispatch: {max_in_flight: 2, shutdown_timeout: 60, commit_interval: 0.2}
        metrics: {host: 127.0.0.1, port: 0}
        """.formatted(kafka.bootstrapServers(), group, input, output, deadLetters, redis.host(), redis.port(),
        bot.url()));
    Map<String, List<String>> sent = produce(input);

    // --- the first gateway: SIGTERM while work is in flight -------------------------------------
    Map<TopicPartition, Long> committed;
    Map<TopicPartition, Set<Long>> replied;
    try (ChildJvm first = startGateway(config)) {
      assertThat(bot.awaitDispatches(ANSWERED_BEFORE_STOP, CHILD_TIMEOUT)).as(first.describeOutput()).isTrue();
      sigterm(first);
      // Logs go to stderr; stdout is left to a command's own output.
      first.awaitStderrLine(l -> l.contains("stopping: waiting up to"), TIMEOUT);
      stopping.countDown();

      assertThat(first.awaitExit(TIMEOUT)).as(first.describeOutput()).isZero();
      assertThat(first.stderrLines()).as(first.describeOutput())
          .anySatisfy(l -> assertThat(l).endsWith("Gateway - stopped"))
          .noneSatisfy(l -> assertThat(l).contains("did not finish"));

      committed = kafka.committedOffsets(group, input);
      List<ConsumerRecord<String, String>> replies = readToEnd(output);
      replied = sourceOffsets(replies, input);
      assertThat(replies).as("one reply per finished message, none twice")
          .hasSize(replied.values().stream().mapToInt(Set::size).sum());
      assertThat(replies).as("every answer the bot gave was published").hasSize(answered());
      assertThat(replies.size()).as("the stop left work for the second gateway").isLessThan(TOTAL);
      for (int p = 0; p < PARTITIONS; p++) {
        TopicPartition tp = new TopicPartition(input, p);
        long offset = committed.getOrDefault(tp, 0L);
        // Nothing committed past unfinished work, nothing finished left uncommitted.
        assertThat(replied.getOrDefault(tp, Set.of())).as("offsets with a reply on %s (committed %d)", tp, offset)
            .containsExactlyInAnyOrderElementsOf(LongStream.range(0, offset).boxed().toList());
      }
      assertThat(ticketKeys()).as("tickets given back").isEmpty();
      assertThat(readToEnd(deadLetters)).isEmpty();
    }

    // --- the second gateway, same group: it does the rest ---------------------------------------
    int callsBefore = bot.dispatches().size();
    try (ChildJvm second = startGateway(config)) {
      awaitEveryMessageReplied(output, input, second);
      assertThat(bot.dispatches().size()).as("the second gateway called the bot").isGreaterThan(callsBefore);
      sigterm(second);
      assertThat(second.awaitExit(TIMEOUT)).as(second.describeOutput()).isZero();
    }

    Map<TopicPartition, Long> endOffsets = endOffsets(input);
    assertThat(kafka.committedOffsets(group, input)).as("everything committed in the end").isEqualTo(endOffsets);
    assertThat(ticketKeys()).isEmpty();
    Map<String, List<String>> answered = bot.answeredTextsByConversation();
    sent.forEach((conversation, texts) -> assertThat(answered.get(conversation))
        .as("every message of %s dispatched at least once", conversation)
        .containsAll(texts));
    assertThat(bot.overlaps()).as("never two calls of a conversation at once").isEmpty();
    assertThat(bot.orderViolations()).isEmpty();
    assertThat(readToEnd(deadLetters)).isEmpty();
  }

  private Map<String, List<String>> produce(String topic) throws Exception {
    Map<String, List<String>> sent = new HashMap<>();
    try (KafkaProducer<String, String> producer = kafka.producer()) {
      for (int m = 1; m <= MESSAGES_PER_CONVERSATION; m++) {
        for (int c = 0; c < CONVERSATIONS; c++) {
          String conversation = "conv-" + c;
          String text = conversation + " message " + m;
          producer.send(new ProducerRecord<>(topic, conversation, text)).get();
          sent.computeIfAbsent(conversation, k -> new ArrayList<>()).add(text);
        }
      }
    }
    return sent;
  }

  private static ChildJvm startGateway(Path config) {
    List<String> options = new ArrayList<>(List.of("-Xmx256m"));
    if (Runtime.version().feature() >= 24) {
      options.add("--sun-misc-unsafe-memory-access=allow"); // as the launcher does: kafka-clients' warning
    }
    return ChildJvm.start(options, "io.ticketgate.gateway.cli.Main", List.of("run", "--config", config.toString()));
  }

  /**
   * SIGTERM through the process handle: {@code Process.destroy()} sends the same signal but also
   * closes this side's pipes, and the child's last lines (the ones saying it stopped) would be lost.
   */
  private static void sigterm(ChildJvm child) {
    ProcessHandle handle = child.process().toHandle();
    assertThat(handle.supportsNormalTermination()).as("SIGTERM is available").isTrue();
    assertThat(handle.destroy()).as("SIGTERM sent to %d", handle.pid()).isTrue();
  }

  private int answered() {
    return (int) bot.dispatches().stream().filter(d -> d.status() == 200).count();
  }

  private List<Object> ticketKeys() {
    Object keys = redis.command("KEYS", "concurrent_lock:*:[0-9]*");
    @SuppressWarnings("unchecked")
    List<Object> list = (List<Object>) keys;
    return list;
  }

  private void awaitEveryMessageReplied(String output, String input, ChildJvm gateway) throws InterruptedException {
    long deadline = System.nanoTime() + CHILD_TIMEOUT.toNanos();
    int replied = 0;
    while (System.nanoTime() < deadline) {
      replied = sourceOffsets(readToEnd(output), input).values().stream().mapToInt(Set::size).sum();
      if (replied == TOTAL) {
        return;
      }
      if (!gateway.process().isAlive()) {
        break;
      }
      Thread.sleep(200);
    }
    throw new AssertionError(replied + " of " + TOTAL + " messages replied\n" + gateway.describeOutput());
  }

  /** The source offsets each reply names, by source partition. */
  private static Map<TopicPartition, Set<Long>> sourceOffsets(List<ConsumerRecord<String, String>> replies,
      String input) {
    Map<TopicPartition, Set<Long>> out = new HashMap<>();
    for (ConsumerRecord<String, String> r : replies) {
      assertThat(header(r, Headers.SOURCE_TOPIC)).isEqualTo(input);
      TopicPartition tp = new TopicPartition(input, Integer.parseInt(header(r, Headers.SOURCE_PARTITION)));
      out.computeIfAbsent(tp, k -> new TreeSet<>()).add(Long.parseLong(header(r, Headers.SOURCE_OFFSET)));
    }
    return out;
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    assertThat(h).as("header %s on %s", name, r).isNotNull();
    return new String(h.value(), StandardCharsets.UTF_8);
  }

  private Map<TopicPartition, Long> endOffsets(String topic) {
    try (KafkaConsumer<String, String> consumer = consumer()) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      return consumer.endOffsets(partitions, TIMEOUT);
    }
  }

  /** Every record on {@code topic} now: read from the beginning up to the end offsets taken first. */
  private List<ConsumerRecord<String, String>> readToEnd(String topic) {
    try (KafkaConsumer<String, String> consumer = consumer()) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic, TIMEOUT).stream()
          .map(p -> new TopicPartition(topic, p.partition())).toList();
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions, TIMEOUT);
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      List<ConsumerRecord<String, String>> records = new ArrayList<>();
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new AssertionError("could not read " + topic + " to " + end + " within " + TIMEOUT);
        }
        consumer.poll(Duration.ofMillis(100)).forEach(records::add);
      }
      return records;
    }
  }

  private KafkaConsumer<String, String> consumer() {
    return new KafkaConsumer<>(Map.of(
        ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers(),
        ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false), new StringDeserializer(), new StringDeserializer());
  }
}
