package io.ticketgate.gateway;

import static io.ticketgate.gateway.PipelineScenarios.KAFKA;
import static io.ticketgate.gateway.PipelineScenarios.config;
import static io.ticketgate.gateway.PipelineScenarios.lockStore;
import static io.ticketgate.gateway.PipelineScenarios.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.testing.PrometheusText;
import io.ticketgate.gateway.testing.StubBot;
import io.ticketgate.store.testing.RedisServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The pipeline end to end: real Kafka broker, real HTTP bot, every lock store. */
class GatewayIT {

  private static RedisServer redis;
  private StubBot bot;

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.builder().start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @AfterEach
  void closeBot() {
    if (bot != null) {
      bot.close();
    }
  }

  private static String header(ConsumerRecord<String, ?> r, String name) {
    var h = r.headers().lastHeader(name);
    return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
  }

  @ParameterizedTest
  @ValueSource(strings = {"in_memory", "redis", "concurrent_redis"})
  void everyConversationInOrderWithoutOverlap(String store) throws Exception {
    bot = StubBot.start(StubBot.Behaviour.echo().withRandomLatency(Duration.ZERO, Duration.ofMillis(8)))
        .fencing(store.equals("concurrent_redis"));
    String in = KAFKA.newTopic("in", 4);
    String out = KAFKA.newTopic("out", 2);
    String dlq = KAFKA.newTopic("dlq", 1);
    GatewayConfig config = config(in, out, dlq, bot, lockStore(store, redis));
    int total = produce(in, "conv", 25, 8);

    try (Gateway gateway = Gateway.start(config)) {
      assertThat(bot.awaitDispatches(total, Duration.ofSeconds(90))).as("all %d dispatched", total).isTrue();
      List<ConsumerRecord<String, String>> replies = KAFKA.consumeAll(out, total, Duration.ofSeconds(60));

      assertThat(bot.overlaps()).isEmpty();
      assertThat(bot.orderViolations()).isEmpty();
      assertThat(bot.textsByConversation()).hasSize(25).allSatisfy((c, texts) ->
          assertThat(texts).containsExactlyElementsOf(IntStream.rangeClosed(1, 8).mapToObj(m -> c + " says " + m).toList()));
      // Replies: keyed by conversation, carrying their source coordinates and ticket.
      assertThat(replies).allSatisfy(r -> {
        assertThat(r.key()).startsWith("conv-");
        assertThat(header(r, Headers.SOURCE_TOPIC)).isEqualTo(in);
        assertThat(header(r, Headers.SOURCE_PARTITION)).isNotNull();
        assertThat(header(r, Headers.SOURCE_OFFSET)).isNotNull();
        assertThat(header(r, Headers.TICKET)).matches("\\d+");
        assertThat(r.value()).contains("echo: " + r.key() + " says");
      });
      awaitCommitted(config, in, total);
    }
  }

  @Test
  void deadLettersCarryTheReasonAndTheOriginal() throws Exception {
    bot = StubBot.start(call -> switch (call.conversation()) {
      case "c404" -> new StubBot.Response(404, "{\"error\": \"no such bot\"}");
      case "cgarbage" -> new StubBot.Response(200, "<html>not json</html>");
      case "c500" -> new StubBot.Response(500, "internal error");
      default -> StubBot.Behaviour.echo().respond(call);
    });
    String in = KAFKA.newTopic("in", 1);
    String out = KAFKA.newTopic("out", 1);
    String dlq = KAFKA.newTopic("dlq", 1);
    GatewayConfig base = config(in, out, dlq, bot, Map.of());
    KafkaSettings k = base.kafka();
    GatewayConfig config = base.withKafka(new KafkaSettings(k.bootstrapServers(), k.groupId(), k.inputTopics(),
        k.outputTopic(), k.deadLetterTopic(), k.conversationId(), 200, k.consumer(), k.producer()));

    try (KafkaProducer<String, byte[]> p = KAFKA.bytesProducer()) {
      p.send(new ProducerRecord<>(in, "cjson", bytes("{\"message\": ")));
      p.send(new ProducerRecord<>(in, "cutf8", new byte[] {'h', (byte) 0xC3, (byte) 0x28}));
      p.send(new ProducerRecord<>(in, "cbig", bytes("x".repeat(201))));
      p.send(new ProducerRecord<>(in, null, bytes("who am I?")));
      p.send(new ProducerRecord<>(in, "cnull", null));
      p.send(new ProducerRecord<>(in, "c404", bytes("hello")));
      p.send(new ProducerRecord<>(in, "cgarbage", bytes("hello")));
      p.send(new ProducerRecord<>(in, "c500", bytes("hello")));
      p.send(new ProducerRecord<>(in, "cok", bytes("fine 1")));
      p.flush();
    }
    try (Gateway gateway = Gateway.start(config)) {
      List<ConsumerRecord<String, byte[]>> dead = KAFKA.consumeAllBytes(dlq, 8, Duration.ofSeconds(60));
      Map<String, String> reasonByKey = new HashMap<>();
      for (ConsumerRecord<String, byte[]> r : dead) {
        reasonByKey.put(String.valueOf(r.key()), header(r, Headers.DEAD_LETTER_REASON));
        assertThat(header(r, Headers.SOURCE_TOPIC)).isEqualTo(in);
        assertThat(header(r, Headers.SOURCE_OFFSET)).matches("\\d+");
        assertThat(header(r, Headers.DEAD_LETTER_DETAIL)).isNotBlank();
      }
      assertThat(reasonByKey).containsEntry("cjson", "malformed_json")
          .containsEntry("cutf8", "invalid_utf8")
          .containsEntry("cbig", "too_large")
          .containsEntry("null", "no_conversation_id")
          .containsEntry("cnull", "empty_value")
          .containsEntry("c404", "bot_http_404")
          .containsEntry("cgarbage", "bot_unparseable_response")
          .containsEntry("c500", "bot_http_500");
      ConsumerRecord<String, byte[]> big = dead.stream().filter(r -> "cbig".equals(r.key())).findFirst().orElseThrow();
      assertThat(new String(big.value(), StandardCharsets.UTF_8)).as("the original value is kept").isEqualTo("x".repeat(201));
      // A 500 (the bot failing on this message) is retried (1 + 3 retries) and then dead-lettered, without
      // opening the breaker; 404 is not retried.
      Map<String, Long> calls = bot.dispatches().stream().collect(Collectors.groupingBy(StubBot.Dispatch::conversation,
          Collectors.counting()));
      assertThat(calls).containsEntry("c500", 4L).containsEntry("c404", 1L);
      assertThat(KAFKA.consumeAll(out, 1, Duration.ofSeconds(30))).singleElement()
          .satisfies(r -> assertThat(r.key()).isEqualTo("cok"));
      awaitCommitted(config, in, 9);

      String scrape = scrape(gateway.metricsPort());
      PrometheusText metrics = PrometheusText.parse(scrape);
      assertThat(metrics.names()).contains("ticketgate_lock_wait_seconds_bucket", "ticketgate_lock_hold_seconds_bucket",
          "ticketgate_bot_dispatch_seconds_bucket", "ticketgate_messages_total", "ticketgate_tickets_issued_total");
      assertThat(scrape).contains("ticketgate_messages_total{outcome=\"dead_lettered\"} 8.0")
          .contains("ticketgate_messages_total{outcome=\"retried\"} 3.0");
    }
  }

  @Test
  void retriesKeepTheTurnAndSucceed() throws Exception {
    bot = StubBot.start(StubBot.Behaviour.echo().failingFirst(2, 503));
    String in = KAFKA.newTopic("in", 1);
    String out = KAFKA.newTopic("out", 1);
    GatewayConfig config = config(in, out, KAFKA.newTopic("dlq", 1), bot, Map.of());
    produce(in, "flaky", 1, 3);
    try (Gateway gateway = Gateway.start(config)) {
      assertThat(KAFKA.consumeAll(out, 3, Duration.ofSeconds(60))).extracting(ConsumerRecord::value)
          .allSatisfy(v -> assertThat(v).contains("echo: flaky-0 says"));
      // The first message was tried three times (two 503s) before the next one was sent at all.
      assertThat(bot.textsByConversation().get("flaky-0")).containsExactly(
          "flaky-0 says 1", "flaky-0 says 1", "flaky-0 says 1", "flaky-0 says 2", "flaky-0 says 3");
      assertThat(bot.overlaps()).isEmpty();
    }
  }

  @Test
  void offsetsAreNeverCommittedPastUnfinishedWork() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    bot = StubBot.start(call -> {
      if (call.text().contains("blocker")) {
        release.await(60, TimeUnit.SECONDS);
      }
      return StubBot.Behaviour.echo().respond(call);
    });
    String in = KAFKA.newTopic("in", 1);
    String out = KAFKA.newTopic("out", 1);
    GatewayConfig config = config(in, out, KAFKA.newTopic("dlq", 1), bot, Map.of());
    try (KafkaProducer<String, String> p = KAFKA.producer()) {
      p.send(new ProducerRecord<>(in, "a", "first"));
      p.send(new ProducerRecord<>(in, "b", "the blocker"));
      for (int i = 0; i < 8; i++) {
        p.send(new ProducerRecord<>(in, "other-" + i, "after " + i));
      }
      p.flush();
    }
    try (Gateway gateway = Gateway.start(config)) {
      KAFKA.consumeAll(out, 9, Duration.ofSeconds(60)); // everything but the blocker answered
      awaitCommitted(config, in, 1); // offset 0 finished, so the commit reaches the blocker
      Thread.sleep(5 * config.dispatch().commitInterval().toMillis()); // several more commit rounds pass
      assertThat(KAFKA.committedOffsets(config.kafka().groupId(), in))
          .as("the blocker at offset 1 holds the commit").containsEntry(new TopicPartition(in, 0), 1L);
      // Consumed to the end, so the consumer's own lag is 0; nine records after the committed offset.
      awaitCondition(() -> gateway.pipeline().committedLag() == 9, "a committed lag of 9");
      assertThat(gateway.metrics().scrape()).contains("ticketgate_committed_lag 9.0");
      release.countDown();
      awaitCommitted(config, in, 10);
      awaitCondition(() -> gateway.pipeline().committedLag() == 0, "no committed lag once all is committed");
    }
  }

  @Test
  void backpressurePausesInsteadOfBuffering() throws Exception {
    bot = StubBot.start(StubBot.Behaviour.echo().withLatency(Duration.ofMillis(50)));
    String in = KAFKA.newTopic("in", 2);
    String out = KAFKA.newTopic("out", 1);
    GatewayConfig base = config(in, out, KAFKA.newTopic("dlq", 1), bot, Map.of());
    DispatchSettings d = base.dispatch();
    GatewayConfig config = base.withDispatch(new DispatchSettings(4, d.retries(), d.retryBackoff(), d.retryBackoffMax(),
        d.lockLifetime(), d.lockMaxWait(), d.shutdownTimeout(), d.revocationTimeout(), d.commitInterval()));
    int total = produce(in, "bp", 60, 1);
    try (Gateway gateway = Gateway.start(config)) {
      int maxSeen = 0;
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
      while (bot.dispatches().size() < total && System.nanoTime() < deadline) {
        maxSeen = Math.max(maxSeen, gateway.pipeline().inFlight());
        Thread.sleep(2);
      }
      assertThat(bot.dispatches()).hasSize(total);
      // max_in_flight 4, plus at most one poll of max.poll.records (= 4) before the pause takes effect.
      assertThat(maxSeen).isBetween(1, 8);
      assertThat(bot.overlaps()).isEmpty();
    }
  }

  /**
   * One partition's backlog of a single conversation must not take the whole max_in_flight window:
   * the other partitions' conversations keep being consumed and dispatched. Without the
   * per-partition share, the busy partition's queued records filled the window, consumption paused,
   * and records arriving on the other partition waited for the busy conversation to drain.
   */
  @Test
  void aBusyPartitionDoesNotCrowdOutTheOthers() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    java.util.Queue<String> started = new java.util.concurrent.ConcurrentLinkedQueue<>();
    bot = StubBot.start(call -> {
      started.add(call.conversation());
      if (call.conversation().equals("busy")) {
        release.await(60, TimeUnit.SECONDS);
      }
      return StubBot.Behaviour.echo().respond(call);
    });
    String in = KAFKA.newTopic("in", 2);
    String out = KAFKA.newTopic("out", 1);
    GatewayConfig base = config(in, out, KAFKA.newTopic("dlq", 1), bot, Map.of());
    DispatchSettings d = base.dispatch();
    // A window of 8: each of the 2 partitions may hold 4.
    GatewayConfig config = base.withDispatch(new DispatchSettings(8, d.retries(), d.retryBackoff(), d.retryBackoffMax(),
        d.lockLifetime(), d.lockMaxWait(), d.shutdownTimeout(), d.revocationTimeout(), d.commitInterval()));
    try (Gateway gateway = Gateway.start(config);
        KafkaProducer<String, String> p = KAFKA.producer()) {
      for (int m = 1; m <= 12; m++) {
        p.send(new ProducerRecord<>(in, 0, "busy", "{\"message\": \"busy says " + m + "\"}"));
      }
      p.flush();
      awaitCondition(() -> started.size() == 1 && gateway.pipeline().inFlight() >= 4,
          "the busy conversation's first call is held and its records are in flight");

      for (int c = 0; c < 3; c++) {
        p.send(new ProducerRecord<>(in, 1, "quiet-" + c, "{\"message\": \"quiet " + c + "\"}"));
      }
      p.flush();
      awaitCondition(() -> started.stream().filter(c -> c.startsWith("quiet-")).count() == 3,
          "the other partition's conversations to be dispatched while the busy one is held");
      assertThat(release.getCount()).as("still holding the busy conversation").isEqualTo(1);

      release.countDown();
      assertThat(bot.awaitDispatches(15, Duration.ofSeconds(60))).isTrue();
      assertThat(bot.overlaps()).isEmpty();
      assertThat(bot.orderViolations()).isEmpty();
    }
  }

  private static void awaitCondition(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() < deadline).as("waited 30 s for " + what).isTrue();
      Thread.sleep(20);
    }
  }

  private static void awaitCommitted(GatewayConfig config, String topic, long total) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    long committed = 0;
    while (System.nanoTime() < deadline) {
      committed = KAFKA.committedOffsets(config.kafka().groupId(), topic).values().stream().mapToLong(Long::longValue).sum();
      if (committed == total) {
        return;
      }
      Thread.sleep(50);
    }
    assertThat(committed).as("committed offsets of %s", topic).isEqualTo(total);
  }

  static String scrape(int port) throws Exception {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      return r.body();
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
