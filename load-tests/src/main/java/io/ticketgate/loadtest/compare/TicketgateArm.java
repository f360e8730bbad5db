package io.ticketgate.loadtest.compare;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.Gateway;
import io.ticketgate.gateway.TurnCheck;
import io.ticketgate.gateway.bot.BotHandlers;
import io.ticketgate.gateway.config.BotSettings;
import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.config.LoggingSettings;
import io.ticketgate.gateway.config.MetricsSettings;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.clients.consumer.ConsumerInterceptor;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * The Ticketgate arm: the real gateway ({@link Gateway}) with the in-process bot or Rasa's REST
 * bot, on the lock store {@code --store} names. Production defaults except
 * {@code dispatch.commit_interval}, 0.1 s instead of 1 s: the arm is done only once everything is
 * committed, and a 1 s commit period would add up to a second to a run of a few seconds. Metrics
 * are computed but not served.
 *
 * <p>The consumer's commits and first poll are observed through a {@link ConsumerInterceptor}
 * ({@link CommitWatcher}), which Kafka calls when a commit succeeds, so the arm knows the moment
 * its last record was committed without changing the gateway.
 *
 * <p>The progress lines carry the lock store's turn steps, answered or failed, from the gateway's own
 * meters of them: every step is one request to the store (the harness counts Redis's side).
 */
public final class TicketgateArm {

  /** This JVM's runtime, for the interceptor, which Kafka instantiates itself. */
  private static volatile ArmRuntime runtime;

  private TicketgateArm() {}

  /** Entry point; takes the arm contract's options plus {@code --store}, {@code --redis}, {@code --key-prefix}. */
  public static void main(String[] argv) {
    RawClients.main("ticketgate", argv, TicketgateArm::run);
  }

  static void run(ArmArgs args, ArmRuntime rt) throws Exception {
    runtime = rt;
    GatewayConfig config = config(args);
    ArmArgs.BotSpec spec = args.requireBot();
    BotHandler bot = spec.http() ? BotHandlers.create(config.bot()) : new InProcessBot(spec.latencyMillis());
    try (Gateway gateway = Gateway.start(config, new LoggedBot(bot, rt))) {
      MeterRegistry meters = gateway.metrics().registry();
      rt.reportStoreSteps(() -> storeSteps(meters));
      while (!rt.checkDone()) {
        if (gateway.stopped().isDone()) {
          throw new IllegalStateException("the gateway stopped before the arm was done: "
              + gateway.pipeline().failure());
        }
        Thread.sleep(20);
      }
      rt.finish();
    }
  }

  /**
   * The turn steps the gateway's lock store took so far: those that answered
   * ({@code ticketgate.lock.store.call}) and those that failed ({@code ticketgate.lock.store.call.errors}).
   */
  static long storeSteps(MeterRegistry meters) {
    long steps = 0;
    for (Timer answered : meters.find("ticketgate.lock.store.call").timers()) {
      steps += answered.count();
    }
    for (Counter failed : meters.find("ticketgate.lock.store.call.errors").counters()) {
      steps += (long) failed.count();
    }
    return steps;
  }

  static GatewayConfig config(ArmArgs args) {
    String store = args.store() == null ? "in_memory" : args.store();
    Map<String, Object> lockStore = new LinkedHashMap<>();
    lockStore.put("type", store);
    if (!store.equals("in_memory")) {
      String redis = args.redis();
      int colon = redis == null ? -1 : redis.lastIndexOf(':');
      if (colon < 1) {
        throw new IllegalArgumentException("--store " + store + " needs --redis host:port, got " + redis);
      }
      lockStore.put("host", redis.substring(0, colon));
      lockStore.put("port", Integer.parseInt(redis.substring(colon + 1)));
      if (args.keyPrefix() != null) {
        lockStore.put("key_prefix", args.keyPrefix());
      }
    }
    KafkaSettings kafka = new KafkaSettings(args.bootstrap(), args.group(), List.of(args.input()),
        args.requireOutput(), args.requireOutput() + "-dead-letters", KafkaSettings.ConversationIdSource.key(),
        KafkaSettings.DEFAULT_MAX_MESSAGE_BYTES, Map.of("interceptor.classes", CommitWatcher.class.getName()),
        Map.of());
    DispatchSettings d = DispatchSettings.defaults();
    DispatchSettings dispatch = new DispatchSettings(d.maxInFlight(), d.retries(), d.retryBackoff(),
        d.retryBackoffMax(), d.lockLifetime(), d.lockMaxWait(), d.shutdownTimeout(), d.revocationTimeout(),
        Duration.ofMillis(100));
    ArmArgs.BotSpec spec = args.requireBot();
    BotSettings bot = spec.http()
        ? new BotSettings("rasa", spec.url(), BotSettings.DEFAULT_TIMEOUT, Map.of(), Map.of())
        : new BotSettings(InProcessBot.class.getName(), null, BotSettings.DEFAULT_TIMEOUT, Map.of(), Map.of());
    return new GatewayConfig(kafka, lockStore, "compare --store " + store, bot, dispatch,
        new MetricsSettings(false, "127.0.0.1", 0), LoggingSettings.defaults());
  }

  /** Logs each bot call to the dispatch log and counts the answered ones as handled. */
  private record LoggedBot(BotHandler delegate, ArmRuntime rt) implements BotHandler {
    @Override
    public List<BotReply> handle(BotRequest request) throws BotException {
      return handle(request, TurnCheck.HELD);
    }

    /** Passes the turn on, so the HTTP bot checks it before writing, as in a gateway without this wrapper. */
    @Override
    public List<BotReply> handle(BotRequest request, TurnCheck turn) throws BotException {
      long seq = request.metadata().get("seq") instanceof Number n ? n.longValue() : -1;
      long start = ArmRuntime.nowMicros();
      try {
        List<BotReply> replies = delegate.handle(request, turn);
        rt.dispatched(request.conversationId(), seq, request.ticket(), start, ArmRuntime.nowMicros(), true);
        rt.handled.incrementAndGet();
        return replies;
      } catch (BotException | RuntimeException e) {
        rt.dispatched(request.conversationId(), seq, request.ticket(), start, ArmRuntime.nowMicros(), false);
        throw e;
      }
    }

    @Override
    public void close() {
      delegate.close();
    }
  }

  /**
   * Sees the gateway consumer's first records and its successful commits. The input topic is
   * fresh, its offsets start at 0, so the sum of committed offsets is the number of committed
   * records.
   */
  public static final class CommitWatcher implements ConsumerInterceptor<byte[], byte[]> {
    private final Map<TopicPartition, Long> committed = new ConcurrentHashMap<>();

    /** Kafka's constructor. */
    public CommitWatcher() {}

    @Override
    public ConsumerRecords<byte[], byte[]> onConsume(ConsumerRecords<byte[], byte[]> records) {
      if (!records.isEmpty() && runtime != null) {
        runtime.consumed();
      }
      return records;
    }

    @Override
    public void onCommit(Map<TopicPartition, OffsetAndMetadata> offsets) {
      offsets.forEach((tp, o) -> committed.merge(tp, o.offset(), Math::max));
      ArmRuntime rt = runtime;
      if (rt != null) {
        rt.committed.set(committed.values().stream().mapToLong(Long::longValue).sum());
        rt.checkDone();
      }
    }

    @Override
    public void close() {}

    @Override
    public void configure(Map<String, ?> configs) {}
  }
}
