package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.TurnCheck;
import io.ticketgate.gateway.config.BreakerSettings;
import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.GatewayConfigs;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.memory.InMemoryLockStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;

/**
 * A pipeline on Kafka's in-memory consumer and producer and the in-memory lock store: its decisions
 * can be tested without a broker. Records are keyed by conversation; texts are "c says n".
 */
final class PipelineFixture {

  static final String TOPIC = "in";
  static final String OUT = "out";
  static final String DLQ = "dlq";
  static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(10);
  static final Duration REVOCATION_TIMEOUT = Duration.ofMillis(300);
  static final Duration COMMIT_INTERVAL = Duration.ofMillis(50);

  private PipelineFixture() {}

  /**
   * Keeps the last commit per partition, whichever way it was made: what the next owner reads. (The
   * mock's own {@code committed()} loses the metadata once the partition is unassigned.)
   */
  static final class RecordingConsumer extends MockConsumer<byte[], byte[]> {
    final Map<TopicPartition, OffsetAndMetadata> lastCommit = new ConcurrentHashMap<>();

    RecordingConsumer() {
      super("earliest");
    }

    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
      super.commitAsync(offsets, callback);
      lastCommit.putAll(offsets);
    }
  }

  /** Counts what the pipeline reports. */
  static final class Counting implements PipelineListener {
    final AtomicInteger skipped = new AtomicInteger();
    final AtomicInteger dropped = new AtomicInteger();
    final AtomicInteger retried = new AtomicInteger();
    final AtomicInteger fenced = new AtomicInteger();
    final AtomicInteger replied = new AtomicInteger();
    final List<String> deadLetters = new CopyOnWriteArrayList<>();
    final List<BotCallOutcome> botCalls = new CopyOnWriteArrayList<>();
    final List<BreakerState> breakerTransitions = new CopyOnWriteArrayList<>();

    @Override
    public void breakerTransition(BreakerState to) {
      breakerTransitions.add(to);
    }

    @Override
    public void skippedDuplicate() {
      skipped.incrementAndGet();
    }

    @Override
    public void droppedOnRevoke() {
      dropped.incrementAndGet();
    }

    @Override
    public void retried() {
      retried.incrementAndGet();
    }

    @Override
    public void botCall(Duration took, BotCallOutcome outcome) {
      botCalls.add(outcome);
    }

    @Override
    public void fenced() {
      fenced.incrementAndGet();
    }

    @Override
    public void replied() {
      replied.incrementAndGet();
    }

    @Override
    public void deadLettered(String reason) {
      deadLetters.add(reason);
    }
  }

  /** What a scripted bot does with one call: answer, or throw. */
  @FunctionalInterface
  interface Script {
    List<BotReply> answer(BotRequest request, int callOfThisText) throws BotException;
  }

  /** As {@link Script}, also given the turn the call runs in, as the gateway hands it to a handler. */
  @FunctionalInterface
  interface TurnScript {
    List<BotReply> answer(BotRequest request, int callOfThisText, TurnCheck turn) throws BotException;
  }

  /**
   * A bot that follows a script, records every call, and notes any call that arrives while another
   * call of the same conversation is still in progress.
   */
  static final class ScriptedBot implements BotHandler {
    record Call(String conversation, String text, int ticket, int attempt) {}

    final List<Call> calls = new CopyOnWriteArrayList<>();
    final List<String> overlaps = new CopyOnWriteArrayList<>();
    private final Set<String> active = ConcurrentHashMap.newKeySet();
    private final Map<String, AtomicInteger> callsPerText = new ConcurrentHashMap<>();
    private final TurnScript script;

    ScriptedBot(Script script) {
      this.script = (request, n, turn) -> script.answer(request, n);
    }

    ScriptedBot(TurnScript script) {
      this.script = script;
    }

    static ScriptedBot echo() {
      return new ScriptedBot((request, n) -> List.of(BotReply.json("{\"text\": \"echo: " + request.text() + "\"}")));
    }

    /** Echoes, but answers every call with a 503 (a retryable failure that opens the breaker) while {@code down}. */
    static ScriptedBot echoUnlessDown(AtomicBoolean down) {
      return new ScriptedBot((request, n) -> {
        if (down.get()) {
          throw BotException.retryable("bot_http_503", "unavailable", null);
        }
        return List.of(BotReply.json("{\"text\": \"echo: " + request.text() + "\"}"));
      });
    }

    /**
     * Answers {@code {"text": "ok"}} at once, except the call for {@code held}: that one counts
     * {@code calling} down and waits for {@code answer}; an interrupt ends it as a timed-out call
     * (retryable), and sets {@code interrupted}.
     */
    static ScriptedBot holding(String held, CountDownLatch calling, CountDownLatch answer, AtomicBoolean interrupted) {
      return new ScriptedBot((request, n) -> {
        if (request.text().equals(held)) {
          calling.countDown();
          try {
            answer.await();
          } catch (InterruptedException e) {
            interrupted.set(true);
            Thread.currentThread().interrupt();
            throw BotException.retryable("bot_timeout", "interrupted", e);
          }
        }
        return List.of(BotReply.json("{\"text\": \"ok\"}"));
      });
    }

    @Override
    public List<BotReply> handle(BotRequest request) throws BotException {
      return handle(request, TurnCheck.HELD);
    }

    @Override
    public List<BotReply> handle(BotRequest request, TurnCheck turn) throws BotException {
      if (!active.add(request.conversationId())) {
        overlaps.add(request.text());
      }
      try {
        calls.add(new Call(request.conversationId(), request.text(), request.ticket(), request.attempt()));
        int n = callsPerText.computeIfAbsent(request.text(), k -> new AtomicInteger()).incrementAndGet();
        return script.answer(request, n, turn);
      } finally {
        active.remove(request.conversationId());
      }
    }

    /** The texts of every call of {@code conversation}, in call order. */
    List<String> texts(String conversation) {
      return calls.stream().filter(c -> c.conversation().equals(conversation)).map(Call::text).toList();
    }
  }

  static MockProducer<byte[], byte[]> producer() {
    return new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static KafkaPipeline pipeline(RecordingConsumer consumer, MockProducer<byte[], byte[]> producer, BotHandler bot,
      PipelineListener listener, int retries) {
    return pipeline(consumer, producer, bot, listener, retries, BreakerSettings.defaults());
  }

  static KafkaPipeline pipeline(RecordingConsumer consumer, MockProducer<byte[], byte[]> producer, BotHandler bot,
      PipelineListener listener, int retries, BreakerSettings breaker) {
    return pipeline(consumer, producer, bot, listener, retries, breaker, new InMemoryLockStore());
  }

  static KafkaPipeline pipeline(RecordingConsumer consumer, MockProducer<byte[], byte[]> producer, BotHandler bot,
      PipelineListener listener, int retries, BreakerSettings breaker, LockStore store) {
    return new KafkaPipeline(config(retries, breaker), store, bot, listener, consumer, producer);
  }

  /** A pipeline whose deadlines and pauses are {@code clock}'s: nothing time decides happens until the test advances it. */
  static KafkaPipeline pipeline(RecordingConsumer consumer, MockProducer<byte[], byte[]> producer, BotHandler bot,
      PipelineListener listener, GatewayConfig config, ManualClock clock) {
    return pipeline(consumer, producer, bot, listener, config, clock, new InMemoryLockStore());
  }

  /** As {@link #pipeline(RecordingConsumer, MockProducer, BotHandler, PipelineListener, GatewayConfig, ManualClock)}, on {@code store}. */
  static KafkaPipeline pipeline(RecordingConsumer consumer, MockProducer<byte[], byte[]> producer, BotHandler bot,
      PipelineListener listener, GatewayConfig config, ManualClock clock, LockStore store) {
    return new KafkaPipeline(config, store, bot, listener, consumer, producer, clock);
  }

  /** Retry pauses of 1 ms doubling up to 2 ms; see {@link #config(int, BreakerSettings, Duration, Duration)}. */
  static GatewayConfig config(int retries, BreakerSettings breaker) {
    return config(retries, breaker, Duration.ofMillis(1), Duration.ofMillis(2));
  }

  /**
   * Topic {@value #TOPIC} in, {@value #OUT} and {@value #DLQ} out; tickets of 5 min; a stop waits
   * {@link #SHUTDOWN_TIMEOUT}, a revocation {@link #REVOCATION_TIMEOUT}; commits every
   * {@link #COMMIT_INTERVAL}.
   */
  static GatewayConfig config(int retries, BreakerSettings breaker, Duration retryBackoff, Duration retryBackoffMax) {
    GatewayConfig d = GatewayConfigs.defaults();
    KafkaSettings k = d.kafka();
    DispatchSettings s = d.dispatch();
    return d
        .withKafka(new KafkaSettings(k.bootstrapServers(), "g", List.of(TOPIC), OUT, DLQ, k.conversationId(),
            k.maxMessageBytes(), Map.of(), Map.of()))
        .withBot(d.bot().withBreaker(breaker))
        .withDispatch(new DispatchSettings(s.maxInFlight(), retries, retryBackoff, retryBackoffMax,
            Duration.ofMinutes(5), s.lockMaxWait(), SHUTDOWN_TIMEOUT, REVOCATION_TIMEOUT, COMMIT_INTERVAL));
  }

  /** A record of {@code text} ("c says n"), keyed by its conversation, at {@code offset}. */
  static ConsumerRecord<byte[], byte[]> record(int partition, long offset, String text) {
    String conversation = text.substring(0, text.indexOf(' '));
    return new ConsumerRecord<>(TOPIC, partition, offset, conversation.getBytes(StandardCharsets.UTF_8),
        text.getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Assigns {@code partitions} (on the poll thread, as a broker would), with a previous owner's
   * commits if any, and hands over the records.
   */
  static void assign(MockConsumer<byte[], byte[]> c, List<TopicPartition> partitions,
      Map<TopicPartition, OffsetAndMetadata> previousCommits, List<ConsumerRecord<byte[], byte[]>> records) {
    Map<TopicPartition, Long> beginning = new java.util.HashMap<>();
    partitions.forEach(tp -> beginning.put(tp, 0L));
    c.updateBeginningOffsets(beginning);
    c.schedulePollTask(() -> {
      c.rebalance(partitions);
      if (!previousCommits.isEmpty()) {
        c.commitSync(previousCommits);
      }
      records.forEach(c::addRecord);
    });
  }

  /** Interleaved: message 1 of every conversation, then message 2, ...; conversation i on partition i % partitions. */
  static List<ConsumerRecord<byte[], byte[]>> interleaved(int conversations, int messages, int partitions) {
    long[] next = new long[partitions];
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    for (int m = 1; m <= messages; m++) {
      for (int c = 0; c < conversations; c++) {
        int p = c % partitions;
        out.add(record(p, next[p]++, "c" + c + " says " + m));
      }
    }
    return out;
  }

  /** The values published to {@code topic}, as text. */
  static List<String> published(MockProducer<byte[], byte[]> producer, String topic) {
    return producer.history().stream().filter(r -> r.topic().equals(topic))
        .map(r -> new String(r.value(), StandardCharsets.UTF_8)).toList();
  }

  /** The header {@code name} of each record published to {@code topic}. */
  static List<String> header(MockProducer<byte[], byte[]> producer, String topic, String name) {
    List<String> out = new ArrayList<>();
    for (ProducerRecord<byte[], byte[]> r : producer.history()) {
      if (r.topic().equals(topic)) {
        var h = r.headers().lastHeader(name);
        out.add(h == null ? null : new String(h.value(), StandardCharsets.UTF_8));
      }
    }
    return out;
  }

  /**
   * Returns once the poll thread has polled twice more. The consumer runs one scheduled task per
   * poll, so by then the loop turn in which the first of them ran has made every decision it makes
   * after its poll (accept, pause, resume, commit).
   */
  static void awaitTwoPolls(MockConsumer<byte[], byte[]> c) throws InterruptedException {
    CountDownLatch second = new CountDownLatch(1);
    c.schedulePollTask(() -> {});
    c.schedulePollTask(second::countDown);
    if (!second.await(20, TimeUnit.SECONDS)) {
      throw new AssertionError("the poll thread did not poll twice within 20 s");
    }
  }

  static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("not within 20 s: " + what);
      }
      Thread.sleep(5);
    }
  }
}
