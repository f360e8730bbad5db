package io.ticketgate.gateway;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ticketgate.gateway.bot.BotHandlers;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.kafka.BotCallOutcome;
import io.ticketgate.gateway.kafka.BreakerState;
import io.ticketgate.gateway.kafka.KafkaPipeline;
import io.ticketgate.gateway.kafka.PipelineListener;
import io.ticketgate.gateway.metrics.GatewayMetrics;
import io.ticketgate.gateway.metrics.Health;
import io.ticketgate.gateway.metrics.MetricsServer;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStores;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: the lock store, the bot, the Kafka pipeline, and the metrics and health
 * endpoints, started together and stopped together.
 *
 * <pre>{@code
 * try (Gateway gateway = Gateway.start(GatewayConfigs.load(Path.of("gateway.yml"), null))) {
 *   gateway.stopped().join();
 * }
 * }</pre>
 *
 * <p>The lock store is built from the configuration's {@code lock_store:} section with
 * {@code keep_alive} on unless the section turns it off, so a live replica's tickets expire only
 * when it cannot renew them (paused, or cut off from the store for their lifetime). Thread-safe.
 */
public final class Gateway implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Gateway.class);
  private static final Duration STORE_PROBE_INTERVAL = Duration.ofSeconds(5);

  private final GatewayConfig config;
  private final LockStore store;
  private final BotHandler bot;
  private final GatewayMetrics metrics;
  private volatile KafkaPipeline pipeline;
  private final MetricsServer server;
  private final LockStoreProbe storeProbe;

  private Gateway(GatewayConfig config, LockStore store, BotHandler bot) {
    this.config = config;
    this.store = store;
    this.bot = bot;
    this.metrics = new GatewayMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
    // The server first: if its port is taken, nothing else has been started that would need closing.
    this.server = config.metrics().enabled() ? serveMetrics(config, metrics) : null;
    Consumer<byte[], byte[]> consumer = null;
    Producer<byte[], byte[]> producer = null;
    try {
      consumer = KafkaPipeline.newConsumer(config.kafka(), config.dispatch());
      producer = KafkaPipeline.newProducer(config.kafka());
      metrics.bindConsumer(consumer);
      metrics.bindProducer(producer);
      this.pipeline = new KafkaPipeline(config, store, bot, new MetricsListener(metrics), consumer, producer);
    } catch (RuntimeException e) {
      // A client Kafka refuses to build (a bad pass-through property, an unresolvable bootstrap
      // server): an application embedding the gateway must not be left with the metrics port bound.
      if (producer != null) {
        producer.close(Duration.ZERO);
      }
      if (consumer != null) {
        consumer.close();
      }
      if (server != null) {
        server.close();
      }
      metrics.close();
      throw e;
    }
    metrics.gauges(pipeline::inFlight, pipeline::waiting);
    metrics.committedLag(pipeline::committedLag);
    metrics.breaker(pipeline::breakerState, pipeline::held);
    store.observeCalls(metrics.storeCalls());
    if (config.bot().concurrency().mode() != io.ticketgate.gateway.config.ConcurrencySettings.Mode.UNLIMITED) {
      metrics.botConcurrency(pipeline::botConcurrencyLimit, pipeline::botCallsInFlight);
    }
    // Last: nothing after it can fail and leave its thread running.
    this.storeProbe = new LockStoreProbe(store, metrics, STORE_PROBE_INTERVAL);
    metrics.readiness(() -> ready().up());
  }

  private MetricsServer serveMetrics(GatewayConfig config, GatewayMetrics metrics) {
    try {
      return MetricsServer.start(metrics, config.metrics().host(), config.metrics().port(), this::live, this::ready);
    } catch (java.io.IOException e) {
      metrics.close();
      throw new java.io.UncheckedIOException("cannot serve metrics on " + config.metrics().host() + ":"
          + config.metrics().port() + " (metrics.port): " + e.getMessage(), e);
    }
  }

  /** Starts a gateway with the bot the configuration names. */
  public static Gateway start(GatewayConfig config) {
    return start(config, null);
  }

  /**
   * Starts a gateway.
   *
   * @param bot the bot to use, or null to build the one the configuration names; the gateway closes it
   */
  public static Gateway start(GatewayConfig config, BotHandler bot) {
    Map<String, Object> section = new LinkedHashMap<>(config.lockStore());
    section.putIfAbsent("keep_alive", true);
    LockStore store = LockStores.create(section, config.lockStoreSource());
    BotHandler handler = null;
    try {
      handler = bot != null ? bot : BotHandlers.create(config.bot());
      Gateway g = new Gateway(config, store, handler);
      g.pipeline.start();
      log.info("started: consuming {} from {} as group '{}', lock store {}, bot {}{}", config.kafka().inputTopics(),
          config.kafka().bootstrapServers(), config.kafka().groupId(), store, handler.getClass().getSimpleName(),
          g.server == null ? "" : ", metrics on port " + g.server.port());
      return g;
    } catch (RuntimeException e) {
      if (handler != null && handler != bot) {
        handler.close();
      }
      store.close();
      throw e;
    }
  }

  /** The port serving {@code /metrics} and the health endpoints, or -1 when disabled. */
  public int metricsPort() {
    return server == null ? -1 : server.port();
  }

  /** The metrics, for embedding applications that serve them their own way. */
  public GatewayMetrics metrics() {
    return metrics;
  }

  /** The pipeline, for its counters and assignment. */
  public KafkaPipeline pipeline() {
    return pipeline;
  }

  /** The lock store in use. */
  public LockStore lockStore() {
    return store;
  }

  /** Completes when the gateway has stopped (by {@link #stop} or a failure). */
  public CompletableFuture<Void> stopped() {
    return pipeline.stopped();
  }

  /**
   * Stops polling, finishes in-flight work within {@code dispatch.shutdown_timeout}, releases
   * tickets, commits, and closes everything.
   *
   * @return true when all in-flight work finished in time
   */
  public boolean stop() {
    boolean clean = pipeline.stop(config.dispatch().shutdownTimeout());
    if (server != null) {
      server.close();
    }
    storeProbe.close();
    bot.close();
    store.close();
    metrics.close();
    log.info("stopped{}", clean ? "" : " (some records did not finish and will be delivered again)");
    return clean;
  }

  @Override
  public void close() {
    if (!pipeline.stopped().isDone()) {
      stop();
    }
  }

  private Health live() {
    KafkaPipeline pipeline = this.pipeline;
    if (pipeline == null) {
      return Health.unhealthy("starting");
    }
    return pipeline.isLive() ? Health.healthy() : Health.unhealthy(
        pipeline.failure() == null ? "the poll loop is stuck" : "failed: " + pipeline.failure());
  }

  /**
   * Ready when the poll loop runs and the lock store answers. A replica without partitions is ready
   * too: with more replicas than partitions the spare ones wait for a rebalance, and a readiness
   * that failed them looked like a broken deployment and stalled rolling updates.
   */
  private Health ready() {
    KafkaPipeline pipeline = this.pipeline;
    if (pipeline == null || !pipeline.isLive()) {
      return live();
    }
    Health store = storeProbe.health();
    if (!store.up()) {
      return store;
    }
    int partitions = pipeline.assignment().size();
    Map<String, Object> details = new LinkedHashMap<>(store.details());
    details.put("partitions", partitions);
    details.put("in_flight", pipeline.inFlight());
    if (partitions == 0) {
      details.put("idle", "no partitions assigned (more replicas than partitions, or a rebalance is under way)");
    }
    return Health.healthy(details);
  }

  /** Turns pipeline events into metrics. */
  private record MetricsListener(GatewayMetrics m) implements PipelineListener {
    @Override
    public void ticketIssued() {
      m.ticketIssued();
    }

    @Override
    public void ticketExpired() {
      m.ticketExpired();
    }

    @Override
    public void lockWait(Duration wait) {
      m.lockWait(wait);
    }

    @Override
    public void servedAfterExpiry(Duration wait) {
      m.servedAfterExpiry(wait);
    }

    @Override
    public void lockHold(Duration hold) {
      m.lockHold(hold);
    }

    @Override
    public void botCall(Duration took, BotCallOutcome outcome) {
      m.botCall(took, outcome);
    }

    @Override
    public void breakerTransition(BreakerState to) {
      m.breakerTransition(to);
    }

    @Override
    public void replied() {
      m.replied();
    }

    @Override
    public void retried() {
      m.retried();
    }

    @Override
    public void fenced() {
      m.fenced();
    }

    @Override
    public void deadLettered(String reason) {
      m.deadLettered(reason);
    }

    @Override
    public void droppedOnRevoke() {
      m.droppedOnRevoke();
    }

    @Override
    public void skippedDuplicate() {
      m.skippedDuplicate();
    }
  }
}
