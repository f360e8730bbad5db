package io.ticketgate.gateway;

import static io.ticketgate.gateway.PipelineScenarios.KAFKA;
import static io.ticketgate.gateway.PipelineScenarios.lockStore;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ticketgate.gateway.config.BotSettings;
import io.ticketgate.gateway.config.BreakerSettings;
import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.GatewayConfigs;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.config.MetricsSettings;
import io.ticketgate.gateway.kafka.BreakerState;
import io.ticketgate.gateway.testing.PrometheusText;
import io.ticketgate.store.testing.ChildJvm;
import io.ticketgate.store.testing.RedisServer;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A bot outage end to end: real Kafka, a real HTTP bot that fails for seconds, far longer than a
 * record's retries last (4 attempts within about a tenth of a second): a JDK {@link HttpServer} in
 * this JVM answering 503, or a bot process ({@link RecordingBotMain}) killed with SIGKILL and started
 * again on the same port. The circuit breaker must hold the work: nothing dead-lettered, nothing
 * lost, each conversation in order, never two calls of one conversation at once. Outcomes only:
 * every wait is for a condition, under a generous deadline.
 */
class BotOutageIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Duration DEADLINE = Duration.ofSeconds(120);

  @Test
  void aBotAnswering503ForEightSecondsLosesNothingAndDeadLettersNothing() throws Exception {
    try (OutageBot bot = OutageBot.start()) {
      bot.unavailableFor(Duration.ofSeconds(8));
      String in = KAFKA.newTopic("in", 3);
      String out = KAFKA.newTopic("out", 1);
      // Tickets live 6 s: the holds outlast them, so a turn is kept only by renewing it.
      GatewayConfig config = configFor(in, out, bot.url(), Map.of(), Duration.ofSeconds(6));
      int total = produce(in, "c", 6, 1, 5);

      try (Gateway gateway = Gateway.start(config)) {
        List<ConsumerRecord<String, String>> replies = KAFKA.consumeAll(out, total, DEADLINE);
        awaitCommitted(config, in, total);

        assertEveryConversationAnsweredOnceInOrder(bot, replies, 6, 1, 5);
        PrometheusText metrics = PrometheusText.parse(gateway.metrics().scrape());
        assertNothingDeadLetteredAndNoTurnLost(metrics);
        assertThat(bot.unavailableAnswers()).as("503s the bot sent").isPositive();
        assertThat(metrics.value("ticketgate_bot_breaker_transitions_total", Map.of("to", "open")))
            .as("the breaker opened").isPositive();
        assertThat(metrics.value("ticketgate_messages_total", Map.of("outcome", "retried")))
            .as("failed calls tried again").isPositive();
        assertThat(metrics.value("ticketgate_bot_breaker_transitions_total", Map.of("to", "closed")))
            .as("and closed again").isPositive();
        assertThat(gateway.pipeline().breakerState()).isEqualTo(BreakerState.CLOSED);
        assertThat(metrics.value("ticketgate_records_held", Map.of())).isZero();
      }
    }
  }

  @Test
  void aBotWhoseProcessIsKilledAndStartedAgainOnTheSamePortLosesNothing(@TempDir Path dir) throws Exception {
    int port = freePortOutsideTheEphemeralRange();
    URI url = URI.create("http://127.0.0.1:" + port + "/bot");
    Path calls = dir.resolve("bot-calls.jsonl");
    // The first bot process never answers this call: the kill certainly cuts a call off.
    String cut = "s-0 says 6";
    try (RedisServer redis = RedisServer.builder().start(); BotProcess first = BotProcess.start(port, calls, 1, cut)) {
      String in = KAFKA.newTopic("in", 3);
      String out = KAFKA.newTopic("out", 1);
      GatewayConfig config = configFor(in, out, url, lockStore("concurrent_redis", redis), null);

      try (Gateway gateway = Gateway.start(config)) {
        int before = produce(in, "s", 5, 1, 3);
        KAFKA.consumeAll(out, before, DEADLINE);

        int during = produce(in, "s", 5, 4, 12);
        awaitCondition(() -> BotCall.read(calls).contains(new BotCall(1, "begin", "s-0", cut)),
            "the first bot process received '" + cut + "'");
        // SIGKILL while that call and those of other conversations are in flight: no answer, no goodbye,
        // broken connections, then refused ones.
        first.kill();
        awaitCondition(() -> gateway.pipeline().breakerState() != BreakerState.CLOSED && gateway.pipeline().held() > 0,
            "the breaker opened and records wait for it");
        // The outage goes on for a few seconds past the opening (the breaker's probes, 0.5 s then 1 s
        // then 2 s apart, find nobody), with records held; then a new process listens where the old one did.
        Thread.sleep(3000);
        try (BotProcess second = BotProcess.start(port, calls, 2, null)) {
          List<ConsumerRecord<String, String>> replies = KAFKA.consumeAll(out, before + during, DEADLINE);
          awaitCommitted(config, in, before + during);

          assertEveryConversationAnsweredOnceInOrderAcrossTheKill(BotCall.read(calls), replies, 5, 1, 12);
          assertThat(BotCall.read(calls)).as("the cut call, received by both processes")
              .contains(new BotCall(1, "begin", "s-0", cut), new BotCall(2, "begin", "s-0", cut));
          PrometheusText metrics = PrometheusText.parse(gateway.metrics().scrape());
          assertNothingDeadLetteredAndNoTurnLost(metrics);
          assertThat(metrics.value("ticketgate_bot_breaker_transitions_total", Map.of("to", "open"))).isPositive();
          assertThat(gateway.pipeline().breakerState()).isEqualTo(BreakerState.CLOSED);
          assertThat(metrics.value("ticketgate_records_held", Map.of())).isZero();
        }
      }
    }
  }

  /** A configuration for one test: its own topics and group, the http bot, a quick breaker, fast retries. */
  private static GatewayConfig configFor(String in, String out, URI bot, Map<String, Object> lockStore,
      Duration lockLifetime) {
    GatewayConfig d = GatewayConfigs.defaults();
    KafkaSettings k = d.kafka();
    DispatchSettings p = d.dispatch();
    // Retries last about a tenth of a second: without the breaker an outage of seconds dead-letters everything.
    DispatchSettings dispatch = new DispatchSettings(p.maxInFlight(), 3, Duration.ofMillis(20), Duration.ofMillis(100),
        lockLifetime, p.lockMaxWait(), Duration.ofSeconds(20), Duration.ofSeconds(10), Duration.ofMillis(200));
    // Opening at 3 failures in a row (the default), fewer than a record's 4 attempts: while every call fails,
    // the breaker opens before any record can spend its retries, however the calls interleave. (Above 4, a
    // record alone could, and would be dead-lettered: see the README.) The open intervals are shorter than the
    // defaults, so the breaker finds the bot back soon after each outage ends.
    BreakerSettings breaker = new BreakerSettings(true, 3, 0.5, 20, Duration.ofMillis(500), Duration.ofSeconds(2));
    return d.withKafka(new KafkaSettings(KAFKA.bootstrapServers(), "it-" + UUID.randomUUID(), List.of(in), out,
            KAFKA.newTopic("dlq", 1), k.conversationId(), k.maxMessageBytes(), Map.of(), Map.of()))
        .withLockStore(lockStore)
        .withBot(new BotSettings("http", bot, Duration.ofSeconds(5), Map.of(), Map.of(), null).withBreaker(breaker))
        .withDispatch(dispatch)
        .withMetrics(new MetricsSettings(true, "127.0.0.1", 0));
  }

  /** Produces messages {@code from}..{@code to} of each conversation, interleaved; returns how many. */
  private static int produce(String topic, String prefix, int conversations, int from, int to) {
    int n = 0;
    try (KafkaProducer<String, String> producer = KAFKA.producer()) {
      for (int m = from; m <= to; m++) {
        for (int c = 0; c < conversations; c++) {
          String id = prefix + "-" + c;
          producer.send(new ProducerRecord<>(topic, id, "{\"message\": \"" + id + " says " + m + "\"}"));
          n++;
        }
      }
      producer.flush();
    }
    return n;
  }

  private static void assertEveryConversationAnsweredOnceInOrder(OutageBot bot, List<ConsumerRecord<String, String>> replies,
      int conversations, int from, int to) {
    assertThat(bot.overlaps()).as("calls that arrived while another of their conversation was in progress").isEmpty();
    Map<String, List<String>> accepted = bot.acceptedByConversation();
    assertThat(accepted).hasSize(conversations);
    accepted.forEach((c, texts) -> assertThat(texts).as("calls of %s the bot answered", c)
        .containsExactlyElementsOf(IntStream.rangeClosed(from, to).mapToObj(m -> c + " says " + m).toList()));
    assertPublishedOnceInOrder(replies, from, to);
  }

  private static void assertPublishedOnceInOrder(List<ConsumerRecord<String, String>> replies, int from, int to) {
    Map<String, List<String>> published = new LinkedHashMap<>();
    for (ConsumerRecord<String, String> r : replies) {
      published.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value());
    }
    published.forEach((c, values) -> assertThat(values).as("replies of %s, in order", c).containsExactlyElementsOf(
        IntStream.rangeClosed(from, to).mapToObj(m -> "{\"text\":\"echo: " + c + " says " + m + "\"}").toList()));
  }

  private static void assertNothingDeadLetteredAndNoTurnLost(PrometheusText metrics) {
    assertThat(metrics.value("ticketgate_messages_total", Map.of("outcome", "dead_lettered"))).isZero();
    assertThat(metrics.value("ticketgate_messages_total", Map.of("outcome", "fenced")))
        .as("turns given up (lost while held, or fenced)").isZero();
    assertThat(metrics.value("ticketgate_tickets_expired_total", Map.of())).isZero();
  }

  /**
   * The bot's own record, across the kill: no overlapping calls in either process, every call of the
   * restarted process answered, and each conversation's calls in order, each message once, except
   * that the restarted process may receive again the one call of a conversation the kill cut off (or
   * whose answer it cut off: the record's end is written just before the answer is sent). Kafka's
   * side is stricter: each message's reply published exactly once, in order.
   */
  private static void assertEveryConversationAnsweredOnceInOrderAcrossTheKill(List<BotCall> calls,
      List<ConsumerRecord<String, String>> replies, int conversations, int from, int to) {
    Map<String, BotCall> inProgress = new HashMap<>();
    List<String> overlaps = new ArrayList<>();
    List<String> unmatched = new ArrayList<>();
    Map<String, List<BotCall>> received = new LinkedHashMap<>();
    for (BotCall call : calls) {
      String key = call.generation() + "/" + call.conversation();
      if (call.event().equals("begin")) {
        BotCall earlier = inProgress.put(key, call);
        if (earlier != null) {
          overlaps.add(call + " while " + earlier + " was in progress");
        }
        received.computeIfAbsent(call.conversation(), c -> new ArrayList<>()).add(call);
      } else {
        BotCall begun = inProgress.remove(key);
        if (begun == null || !begun.text().equals(call.text())) {
          unmatched.add(call + " after " + begun);
        }
      }
    }
    assertThat(overlaps).as("calls that arrived while another of their conversation was in progress").isEmpty();
    assertThat(unmatched).as("answers that were not to the call in progress").isEmpty();
    assertThat(inProgress.values()).as("calls the bot never answered, other than those the kill cut off")
        .allMatch(call -> call.generation() == 1);
    assertThat(received).hasSize(conversations);
    received.forEach((c, list) -> {
      List<String> texts = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        BotCall call = list.get(i);
        boolean receivedAgain = i > 0 && call.generation() == 2 && list.get(i - 1).generation() == 1
            && list.get(i - 1).text().equals(call.text());
        if (!receivedAgain) {
          texts.add(call.text());
        }
      }
      assertThat(texts).as("calls of %s the bot received: %s", c, list)
          .containsExactlyElementsOf(IntStream.rangeClosed(from, to).mapToObj(m -> c + " says " + m).toList());
    });
    assertPublishedOnceInOrder(replies, from, to);
  }

  private static void awaitCommitted(GatewayConfig config, String topic, long total) throws InterruptedException {
    awaitCondition(() -> KAFKA.committedOffsets(config.kafka().groupId(), topic).values().stream()
        .mapToLong(Long::longValue).sum() == total, "offsets committed up to " + total);
  }

  private static void awaitCondition(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime() < deadline).as("waited %s for %s", DEADLINE, what).isTrue();
      Thread.sleep(50);
    }
  }

  /**
   * A loopback port free now, below the kernel's range for outgoing connections' ports: the bot's port
   * stays unbound for seconds during the outage, and a port from that range could meanwhile be handed
   * to some outgoing connection on this machine, keeping the restarted bot from binding it.
   */
  private static int freePortOutsideTheEphemeralRange() throws IOException {
    Path range = Path.of("/proc/sys/net/ipv4/ip_local_port_range");
    int lowestEphemeral = Files.isReadable(range)
        ? Integer.parseInt(Files.readString(range).trim().split("\\s+")[0]) : 0;
    int lowest = 10_000;
    if (lowestEphemeral <= lowest) {
      // Not Linux, or an unusual range: any free port, and the small chance that it is taken meanwhile.
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      }
    }
    IOException last = null;
    for (int attempt = 0; attempt < 100; attempt++) {
      int port = ThreadLocalRandom.current().nextInt(lowest, lowestEphemeral);
      try (ServerSocket socket = new ServerSocket(port, 1, InetAddress.getLoopbackAddress())) {
        return socket.getLocalPort();
      } catch (BindException e) {
        last = e; // in use: another one
      }
    }
    throw new IOException("no free loopback port in [" + lowest + ", " + lowestEphemeral + ") after 100 tries", last);
  }

  /**
   * One line of {@link RecordingBotMain}'s record: a call that arrived ({@code begin}) or was about to
   * be answered ({@code end}), and which of the bot's processes saw it.
   */
  record BotCall(int generation, String event, String conversation, String text) {

    /** The complete lines of the record so far; a line still being written is left for the next read. */
    static List<BotCall> read(Path file) {
      try {
        if (!Files.exists(file)) {
          return List.of();
        }
        String content = Files.readString(file);
        List<BotCall> calls = new ArrayList<>();
        for (String line : content.substring(0, content.lastIndexOf('\n') + 1).lines().toList()) {
          JsonNode node = JSON.readTree(line);
          calls.add(new BotCall(node.get("generation").asInt(), node.get("event").asText(),
              node.get("conversation").asText(), node.get("text").asText()));
        }
        return calls;
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the bot's record " + file, e);
      }
    }
  }

  /** {@link RecordingBotMain} in a JVM of its own, killed on {@link #close()} if still running. */
  static final class BotProcess implements AutoCloseable {

    /** A cold JVM on a busy 2-core machine may take several seconds to listen. */
    private static final Duration START = Duration.ofSeconds(60);

    private final ChildJvm jvm;

    private BotProcess(ChildJvm jvm) {
      this.jvm = jvm;
    }

    /** Starts generation {@code generation} on {@code port} and waits until it listens. */
    static BotProcess start(int port, Path record, int generation, String held) {
      List<String> args =
          new ArrayList<>(List.of(Integer.toString(port), record.toString(), Integer.toString(generation)));
      if (held != null) {
        args.add(held);
      }
      // C1 only and one GC thread: a small JVM starts faster on 2 busy cores.
      ChildJvm jvm = ChildJvm.start(List.of("-Xmx64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"),
          RecordingBotMain.class.getName(), args);
      try {
        jvm.awaitLine(line -> line.equals("listening on " + port), START);
      } catch (RuntimeException e) {
        jvm.close();
        throw e;
      }
      return new BotProcess(jvm);
    }

    /** SIGKILL, and waits until the process is gone, so its port is free. */
    void kill() {
      jvm.process().destroyForcibly();
      assertThat(jvm.awaitExit(START)).as(jvm.describeOutput()).isEqualTo(137);
    }

    @Override
    public void close() {
      jvm.close();
    }
  }

  /**
   * {@code bot.type: http} served by a JDK {@link HttpServer} in this JVM, on a loopback port. It
   * answers {@code {"text": "echo: <text>"}}, or 503 with {@code Retry-After: 1} while unavailable;
   * it records, per conversation, the texts it answered with 200, and any call that arrived while
   * another of its conversation was in progress.
   */
  static final class OutageBot implements AutoCloseable {

    private final int port;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Object lock = new Object();
    private final HttpServer server;
    /** Whether an outage was asked for; then {@link #unavailableUntil} says until when. */
    private volatile boolean outage;
    private volatile long unavailableUntil;
    private volatile boolean unavailableFromFirstCall;
    private volatile Duration unavailableFor = Duration.ZERO;

    // Guarded by lock.
    private final Map<String, List<String>> accepted = new LinkedHashMap<>();
    private final Set<String> active = new HashSet<>();
    private final List<String> overlaps = new ArrayList<>();
    private int unavailableAnswers;

    private OutageBot(HttpServer server) {
      this.server = server;
      this.port = server.getAddress().getPort();
    }

    static OutageBot start() throws IOException {
      OutageBot bot = new OutageBot(HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64));
      bot.serve(bot.server);
      return bot;
    }

    private void serve(HttpServer s) {
      s.setExecutor(executor);
      s.createContext("/", this::handle);
      s.start();
    }

    URI url() {
      return URI.create("http://127.0.0.1:" + port + "/bot");
    }

    /** Answers 503 for {@code d}, counted from the first call that arrives. */
    void unavailableFor(Duration d) {
      unavailableFor = d;
      unavailableFromFirstCall = true;
    }

    Map<String, List<String>> acceptedByConversation() {
      synchronized (lock) {
        Map<String, List<String>> copy = new LinkedHashMap<>();
        accepted.forEach((c, texts) -> copy.put(c, List.copyOf(texts)));
        return copy;
      }
    }

    List<String> overlaps() {
      synchronized (lock) {
        return List.copyOf(overlaps);
      }
    }

    int unavailableAnswers() {
      synchronized (lock) {
        return unavailableAnswers;
      }
    }

    private void handle(HttpExchange exchange) throws IOException {
      try (exchange) {
        JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
        String conversation = body.path("conversation_id").asText();
        String text = body.path("text").asText();
        synchronized (lock) {
          if (!active.add(conversation)) {
            overlaps.add(conversation + ": " + text);
          }
          if (unavailableFromFirstCall) {
            unavailableFromFirstCall = false;
            unavailableUntil = System.nanoTime() + unavailableFor.toNanos();
            outage = true;
          }
        }
        boolean unavailable = outage && System.nanoTime() - unavailableUntil < 0;
        try {
          // A little work, so that calls of other conversations really run side by side.
          Thread.sleep(5);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        byte[] answer;
        int status;
        synchronized (lock) {
          active.remove(conversation);
          if (unavailable) {
            unavailableAnswers++;
            status = 503;
            answer = "down for maintenance".getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Retry-After", "1");
          } else {
            accepted.computeIfAbsent(conversation, c -> new ArrayList<>()).add(text);
            status = 200;
            answer = JSON.writeValueAsBytes(Map.of("text", "echo: " + text));
          }
        }
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, answer.length);
        try (OutputStream os = exchange.getResponseBody()) {
          os.write(answer);
        }
      }
    }

    @Override
    public synchronized void close() {
      server.stop(0);
      executor.shutdownNow();
      try {
        executor.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
