package io.ticketgate.gateway.kafka;

import static io.ticketgate.gateway.kafka.PipelineFixture.COMMIT_INTERVAL;
import static io.ticketgate.gateway.kafka.PipelineFixture.OUT;
import static io.ticketgate.gateway.kafka.PipelineFixture.REVOCATION_TIMEOUT;
import static io.ticketgate.gateway.kafka.PipelineFixture.SHUTDOWN_TIMEOUT;
import static io.ticketgate.gateway.kafka.PipelineFixture.TOPIC;
import static io.ticketgate.gateway.kafka.PipelineFixture.assign;
import static io.ticketgate.gateway.kafka.PipelineFixture.awaitTrue;
import static io.ticketgate.gateway.kafka.PipelineFixture.awaitTwoPolls;
import static io.ticketgate.gateway.kafka.PipelineFixture.config;
import static io.ticketgate.gateway.kafka.PipelineFixture.pipeline;
import static io.ticketgate.gateway.kafka.PipelineFixture.producer;
import static io.ticketgate.gateway.kafka.PipelineFixture.published;
import static io.ticketgate.gateway.kafka.PipelineFixture.record;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.entry;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.bot.BotHandlers;
import io.ticketgate.gateway.config.BotSettings;
import io.ticketgate.gateway.config.BreakerSettings;
import io.ticketgate.gateway.kafka.PipelineFixture.Counting;
import io.ticketgate.gateway.kafka.PipelineFixture.RecordingConsumer;
import io.ticketgate.gateway.kafka.PipelineFixture.ScriptedBot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import io.ticketgate.store.HeldLock;
import io.ticketgate.store.memory.InMemoryLockStore;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pipeline's decisions that time makes (when to commit, when a revocation stops waiting, when
 * the bot's circuit breaker lets a probe through, how long a record waits before its next attempt),
 * on a {@link ManualClock} the test steps: real time passing decides none of them. The tests wait
 * only for other threads to reach a state, never for time to pass.
 */
class KafkaPipelineClockTest {

  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  /** Opens after 2 failures in a row, for 20 ms doubling up to 80 ms. */
  private static final BreakerSettings BREAKER = new BreakerSettings(true, 2, 1.0, 100, Duration.ofMillis(20),
      Duration.ofMillis(80));

  @Test
  void finishedOffsetsAreCommittedOnceTheCommitIntervalHasPassedOnTheClockAndNotBefore() throws Exception {
    ManualClock clock = new ManualClock();
    ScriptedBot bot = ScriptedBot.echo();
    RecordingConsumer consumer = new RecordingConsumer();
    KafkaPipeline pipeline = pipeline(consumer, producer(), bot, new Counting(), config(3, BreakerSettings.defaults()),
        clock);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), List.of(record(0, 0, "c1 says 1"), record(0, 1, "c2 says 1")));
    awaitTrue("both records over", () -> bot.calls.size() == 2 && pipeline.inFlight() == 0);
    awaitTwoPolls(consumer);
    assertThat(consumer.lastCommit).as("no time has passed on the clock").isEmpty();

    clock.advance(COMMIT_INTERVAL.minusNanos(1));
    awaitTwoPolls(consumer);
    assertThat(consumer.lastCommit).as("a nanosecond short of the commit interval").isEmpty();

    clock.advance(Duration.ofNanos(1));
    awaitTwoPolls(consumer);
    assertThat(consumer.lastCommit).containsExactly(entry(P0, new OffsetAndMetadata(2, "")));
    assertThat(pipeline.stop(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void aRevocationInterruptsStartedRecordsOnlyOnceTheRevocationTimeoutHasPassedOnTheClockAndCommitsWhatFinished()
      throws Exception {
    // Offsets: 0 "a says 1" (its bot call returns only when interrupted), 1 "b says 1", 2 "a says 2" (queued behind 0).
    List<ConsumerRecord<byte[], byte[]>> records = List.of(record(0, 0, "a says 1"), record(0, 1, "b says 1"),
        record(0, 2, "a says 2"));
    CountDownLatch calling = new CountDownLatch(1);
    AtomicBoolean interrupted = new AtomicBoolean();
    ScriptedBot bot = ScriptedBot.holding("a says 1", calling, new CountDownLatch(1), interrupted);
    ManualClock clock = new ManualClock();
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, config(0, BreakerSettings.defaults()), clock);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), records);
    awaitTrue("b answered, a in its bot call", () -> bot.calls.size() == 2 && calling.getCount() == 0
        && pipeline.inFlight() == 2);

    consumer.schedulePollTask(() -> consumer.rebalance(List.of())); // the partition moves away
    awaitTrue("a says 2, not started, dropped by the revocation", () -> listener.dropped.get() == 1);
    // The poll thread is in the revocation callback now, where it reads the clock only to wait for the
    // started record: its first look there fixes the deadline.
    awaitLooks(clock, 1);
    clock.advance(REVOCATION_TIMEOUT.minusNanos(1));
    // Had the wait ended, the poll thread would look at most three times more (the look that ended it, and
    // two for the grace it gives interrupted jobs) before forgetting the partition and polling again.
    awaitLooks(clock, 4);
    assertThat(pipeline.assignment()).as("still waiting for a says 1, a nanosecond short of the timeout")
        .containsExactly(P0);
    assertThat(interrupted).isFalse();
    assertThat(consumer.lastCommit).doesNotContainKey(P0);

    clock.advance(Duration.ofNanos(1));
    awaitTrue("revoked", () -> pipeline.assignment().isEmpty());
    assertThat(interrupted).isTrue();
    OffsetAndMetadata committed = consumer.lastCommit.get(P0);
    assertThat(committed.offset()).as("a says 1 never finished").isZero();
    CommitMetadata.Progress progress = CommitMetadata.decode(0, committed.metadata());
    assertThat(progress.end()).isEqualTo(3);
    assertThat(progress.unfinished()).as("b finished; a's records did not").containsExactly(0L, 2L);
    assertThat(published(producer, OUT)).as("b's reply only").hasSize(1);
    assertThat(listener.deadLetters).isEmpty();
    assertThat(pipeline.stop(Duration.ofSeconds(5))).isTrue();
  }

  @Test
  void aStopInterruptsStartedRecordsOnlyOnceTheShutdownTimeoutHasPassedOnTheClockAndCommitsWhatFinished()
      throws Exception {
    // Offsets: 0 "a says 1" (its bot call returns only when interrupted), 1 "b says 1".
    AtomicReference<Thread> caller = new AtomicReference<>();
    AtomicBoolean interrupted = new AtomicBoolean();
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      if (request.text().equals("a says 1")) {
        caller.set(Thread.currentThread());
        // Parks with the interrupt flag left set, so the test sees an interrupt the moment it is made.
        while (!Thread.currentThread().isInterrupted()) {
          LockSupport.park(this);
        }
        interrupted.set(true);
        throw BotException.retryable("bot_timeout", "interrupted", null);
      }
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    });
    BooleanSupplier callInterrupted = () -> interrupted.get() || caller.get().isInterrupted();
    ManualClock clock = new ManualClock();
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, config(0, BreakerSettings.defaults()), clock);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), List.of(record(0, 0, "a says 1"), record(0, 1, "b says 1")));
    awaitTrue("b answered, a in its bot call", () -> bot.calls.size() == 2 && caller.get() != null
        && pipeline.inFlight() == 1);

    CompletableFuture<Boolean> stopping = CompletableFuture.supplyAsync(() -> pipeline.stop(Duration.ofSeconds(60)));
    awaitTrue("the stop paused consumption", () -> consumer.paused().contains(P0));
    // Stopping, the poll thread reads the clock first for the deadline of its wait for the record.
    awaitLooks(clock, 1);
    clock.advance(SHUTDOWN_TIMEOUT);
    // Had the wait ended, the record's call would have been interrupted before the look after the one that ended it.
    awaitLooks(clock, 2);
    assertThat(callInterrupted.getAsBoolean()).as("interrupted once the shutdown timeout is reached, not passed")
        .isFalse();
    assertThat(stopping).isNotDone();

    clock.advance(Duration.ofNanos(1));
    stopping.get(20, TimeUnit.SECONDS);
    assertThat(interrupted).isTrue();
    OffsetAndMetadata committed = consumer.lastCommit.get(P0);
    assertThat(committed.offset()).as("a says 1 never finished").isZero();
    CommitMetadata.Progress progress = CommitMetadata.decode(0, committed.metadata());
    assertThat(progress.end()).isEqualTo(2);
    assertThat(progress.unfinished()).as("b finished; a did not").containsExactly(0L);
    assertThat(published(producer, OUT)).as("b's reply only").hasSize(1);
    assertThat(listener.deadLetters).isEmpty();
  }

  @Test
  void aStopGivesBackRecordsThatHaveNotStartedAndLetsTheStartedOnesFinish() throws Exception {
    // Offsets: 0 "a says 1" (its bot call waits for the test), 1 "a says 2" (queued behind it), 2 "b says 1".
    CountDownLatch calling = new CountDownLatch(1);
    CountDownLatch answer = new CountDownLatch(1);
    ScriptedBot bot = ScriptedBot.holding("a says 1", calling, answer, new AtomicBoolean());
    ManualClock clock = new ManualClock();
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, config(0, BreakerSettings.defaults()), clock);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(),
        List.of(record(0, 0, "a says 1"), record(0, 1, "a says 2"), record(0, 2, "b says 1")));
    awaitTrue("b answered, a says 1 in its bot call, a says 2 queued", () -> bot.calls.size() == 2
        && calling.getCount() == 0 && pipeline.inFlight() == 2);

    CompletableFuture<Boolean> stopping = CompletableFuture.supplyAsync(() -> pipeline.stop(Duration.ofSeconds(60)));
    awaitTrue("a says 2 given back as the stop began", () -> listener.dropped.get() == 1);
    answer.countDown(); // the started record finishes, with no time passing on the clock
    assertThat(stopping.get(20, TimeUnit.SECONDS)).as("nothing left in flight").isTrue();

    // Two conversations: their calls have no order between them.
    assertThat(bot.calls).extracting(ScriptedBot.Call::text).as("a says 2 never reached the bot")
        .containsExactlyInAnyOrder("a says 1", "b says 1");
    assertThat(published(producer, OUT)).hasSize(2);
    OffsetAndMetadata committed = consumer.lastCommit.get(P0);
    assertThat(committed.offset()).as("a says 1 finished; a says 2 is the next owner's").isEqualTo(1);
    CommitMetadata.Progress progress = CommitMetadata.decode(1, committed.metadata());
    assertThat(progress.unfinished()).containsExactly(1L);
    assertThat(listener.deadLetters).isEmpty();
  }

  @Test
  void aRecordInterruptedWhileItsRepliesAreAcknowledgedStillFinishesAndRecordsItsMark() throws Exception {
    InMemoryLockStore store = new InMemoryLockStore();
    ManualClock clock = new ManualClock();
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    // Acknowledges nothing until the test says so: the record waits for its reply's acknowledgement.
    MockProducer<byte[], byte[]> producer = new MockProducer<>(false, null, new ByteArraySerializer(),
        new ByteArraySerializer());
    KafkaPipeline pipeline = pipeline(consumer, producer, ScriptedBot.echo(), listener,
        config(0, BreakerSettings.defaults()), clock, store);
    pipeline.start();
    ConsumerRecord<byte[], byte[]> record = record(0, 0, "a says 1");
    assign(consumer, List.of(P0), Map.of(), List.of(record));
    awaitTrue("the reply sent, its acknowledgement awaited", () -> producer.history().size() == 1);

    CompletableFuture<Boolean> stopping = CompletableFuture.supplyAsync(() -> pipeline.stop(Duration.ofSeconds(60)));
    awaitLooks(clock, 1);
    clock.advance(SHUTDOWN_TIMEOUT.plusNanos(1)); // the deadline passes: the started record is interrupted
    awaitLooks(clock, 3);
    assertThat(stopping).as("the record still waits for its acknowledgement").isNotDone();
    assertThat(producer.completeNext()).isTrue();
    assertThat(stopping.get(20, TimeUnit.SECONDS)).isTrue();

    assertThat(listener.replied).as("answered and finished, not given up").hasValue(1);
    assertThat(consumer.lastCommit.get(P0).offset()).as("its offset committed").isEqualTo(1);
    try (HeldLock next = store.lock("a")) {
      assertThat(ProgressMark.covers(next.progress(), record))
          .as("the conversation's next turn, in any replica, knows the record was answered").isTrue();
    }
  }

  @Test
  void whileTheBreakerIsOpenConsumptionIsPausedAndTheOpenIntervalPassingOnTheClockLetsExactlyOneProbeThrough()
      throws Exception {
    AtomicBoolean down = new AtomicBoolean(true);
    ScriptedBot bot = ScriptedBot.echoUnlessDown(down);
    ManualClock clock = new ManualClock();
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    // One retry, after a pause of 0 (1 ms halved, rounded down): every record is held before it could
    // spend it, since any two failures open the breaker.
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, config(1, BREAKER), clock);
    List<ConsumerRecord<byte[], byte[]>> records = List.of(record(0, 0, "a says 1"), record(0, 1, "b says 1"),
        record(0, 2, "c says 1"), record(0, 3, "a says 2"));
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), records);
    awaitTrue("every started record held (a says 2 waits for a says 1's turn)", () -> pipeline.held() == 3);
    awaitTrue("consumption paused while the breaker is open", () -> consumer.paused().contains(P0));
    assertThat(listener.breakerTransitions).containsExactly(BreakerState.OPEN);
    int callsBeforeTheProbe = bot.calls.size();

    clock.advance(BREAKER.openFor().minusNanos(1));
    assertThat(pipeline.breakerState()).as("a nanosecond short of the open interval").isEqualTo(BreakerState.OPEN);
    assertThat(bot.calls).hasSize(callsBeforeTheProbe);

    clock.advance(Duration.ofNanos(1));
    awaitTrue("the probe failed and the breaker opened again", () -> listener.breakerTransitions.size() == 3);
    assertThat(listener.breakerTransitions).containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN,
        BreakerState.OPEN);
    assertThat(bot.calls).as("one probe, for one held record").hasSize(callsBeforeTheProbe + 1);
    awaitTrue("the prober held again", () -> pipeline.held() == 3);
    assertThat(consumer.paused()).contains(P0);

    down.set(false);
    clock.advance(BREAKER.openFor().multipliedBy(2)); // the failed probe doubled the interval
    awaitTrue("every record answered", () -> pipeline.inFlight() == 0 && published(producer, OUT).size() == 4);
    awaitTrue("consumption resumed once the breaker closed", () -> consumer.paused().isEmpty());
    assertThat(listener.breakerTransitions).containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN,
        BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.CLOSED);
    assertThat(withoutRepeats(bot.texts("a"))).containsExactly("a says 1", "a says 2");
    assertThat(pipeline.stop(Duration.ofSeconds(5))).isTrue();
    assertThat(listener.deadLetters).isEmpty();
    assertThat(consumer.lastCommit).containsEntry(P0, new OffsetAndMetadata(4, ""));
  }

  @ParameterizedTest(name = "HTTP {0} with Retry-After: 3 -> waited for: {1}")
  @CsvSource({"429, true", "503, true", "500, false", "502, false", "504, false", "408, false"})
  void aRetryAfterPutsTheNextAttemptOffOnlyWhenA429OrA503CarriesIt(int status, boolean honoured) throws Exception {
    ManualClock clock = new ManualClock();
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    // The backoff's first pause is 100 to 200 ms; a Retry-After may ask for up to 10 s.
    var config = config(3, BreakerSettings.defaults(), Duration.ofMillis(200), Duration.ofSeconds(10));
    try (FailingOnceBot http = FailingOnceBot.start(status, "3");
        BotHandler bot = BotHandlers.create(new BotSettings("http", http.url(), Duration.ofSeconds(5), Map.of(),
            Map.of(), null))) {
      KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, config, clock);
      pipeline.start();
      assign(consumer, List.of(P0), Map.of(), List.of(record(0, 0, "c1 says 1")));
      awaitTrue("the first call failed; the record pauses before its next", () -> clock.sleeping() == 1);
      Duration pause = clock.pauses().get(0);
      if (honoured) {
        assertThat(pause).as("the bot's Retry-After, longer than the backoff").isEqualTo(Duration.ofSeconds(3));
      } else {
        assertThat(pause).as("the backoff's").isBetween(Duration.ofMillis(100), Duration.ofMillis(200));
      }

      clock.advance(pause.minusNanos(1));
      assertThat(clock.sleeping()).as("a nanosecond short of the pause").isEqualTo(1);
      assertThat(http.calls()).isEqualTo(1);

      clock.advance(Duration.ofNanos(1));
      awaitTrue("answered by the second call", () -> listener.replied.get() == 1 && pipeline.inFlight() == 0);
      assertThat(http.calls()).isEqualTo(2);
      assertThat(clock.pauses()).hasSize(1);
      assertThat(listener.deadLetters).isEmpty();
      assertThat(pipeline.stop(Duration.ofSeconds(5))).isTrue();
      assertThat(published(producer, OUT)).hasSize(1);
    }
  }

  /** Waits until {@code clock} has been read {@code n} more times. */
  private static void awaitLooks(ManualClock clock, int n) throws InterruptedException {
    long target = clock.looks() + n;
    awaitTrue(n + " more looks at the clock", () -> clock.looks() >= target);
  }

  /** {@code texts} with each run of equal neighbours (a retried call) folded into one. */
  private static List<String> withoutRepeats(List<String> texts) {
    List<String> out = new ArrayList<>();
    for (String t : texts) {
      if (out.isEmpty() || !out.get(out.size() - 1).equals(t)) {
        out.add(t);
      }
    }
    return out;
  }

  /**
   * An HTTP bot on a loopback port (a JDK {@link HttpServer}) that answers its first call with
   * {@code status} and a {@code Retry-After} header, and every later one with a reply.
   */
  private static final class FailingOnceBot implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService executor = Executors.newSingleThreadExecutor();
    private final AtomicInteger calls = new AtomicInteger();
    private final int status;
    private final String retryAfter;

    private FailingOnceBot(HttpServer server, int status, String retryAfter) {
      this.server = server;
      this.status = status;
      this.retryAfter = retryAfter;
    }

    static FailingOnceBot start(int status, String retryAfter) throws IOException {
      HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 16);
      FailingOnceBot bot = new FailingOnceBot(server, status, retryAfter);
      server.createContext("/", bot::answer);
      server.setExecutor(bot.executor);
      server.start();
      return bot;
    }

    URI url() {
      return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/bot");
    }

    int calls() {
      return calls.get();
    }

    private void answer(HttpExchange exchange) throws IOException {
      try (InputStream in = exchange.getRequestBody()) {
        in.readAllBytes();
      }
      int status = 200;
      byte[] body = "{\"text\": \"ok\"}".getBytes(StandardCharsets.UTF_8);
      if (calls.incrementAndGet() == 1) {
        status = this.status;
        body = "not now".getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Retry-After", retryAfter);
      }
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(status, body.length);
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(body);
      }
    }

    @Override
    public void close() throws InterruptedException {
      server.stop(0);
      executor.shutdownNow();
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        throw new AssertionError("the test bot's thread did not stop");
      }
    }
  }
}
