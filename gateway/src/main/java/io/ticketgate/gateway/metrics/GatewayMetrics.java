package io.ticketgate.gateway.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.ticketgate.gateway.kafka.BotCallOutcome;
import io.ticketgate.gateway.kafka.BreakerState;
import io.ticketgate.store.StoreCallObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's meters in one Prometheus registry, with methods named for what the pipeline reports.
 *
 * <p>Prometheus names (Micrometer names in parentheses):
 * <ul>
 *   <li>{@code ticketgate_lock_wait_seconds} ({@code ticketgate.lock.wait}): histogram, ticket issued
 *       until served;
 *   <li>{@code ticketgate_lock_hold_seconds} ({@code ticketgate.lock.hold}): histogram, served until
 *       released;
 *   <li>{@code ticketgate_bot_dispatch_seconds{outcome}} ({@code ticketgate.bot.dispatch}): histogram
 *       of single bot calls, {@code outcome} = {@code ok}, {@code retryable_error},
 *       {@code permanent_error} or {@code fenced};
 *   <li>{@code ticketgate_messages_total{outcome}}: {@code replied}, {@code dead_lettered},
 *       {@code retried}, {@code fenced}, {@code dropped_on_revoke};
 *   <li>{@code ticketgate_dead_letters_total{reason}}: at most {@value #MAX_REASONS} distinct reasons,
 *       later ones counted as {@value #OTHER_REASON};
 *   <li>{@code ticketgate_tickets_issued_total}, {@code ticketgate_tickets_expired_total};
 *   <li>{@code ticketgate_lock_store_up} (1 or 0, the last health probe),
 *       {@code ticketgate_lock_store_ping_seconds} (histogram of probes that answered),
 *       {@code ticketgate_lock_store_errors_total{reason}} (probes that failed);
 *   <li>{@code ticketgate_lock_store_call_seconds{operation}} (histogram of the turn steps that
 *       answered: {@code issue}, {@code look}, {@code renew}, {@code release},
 *       {@code release_and_look}, {@code release_and_issue}) and
 *       {@code ticketgate_lock_store_call_errors_total{operation,kind}} (steps that failed), once
 *       the store reports to {@link #storeCalls()};
 *   <li>{@code ticketgate_in_flight}, {@code ticketgate_waiting}: gauges read from the suppliers given
 *       to {@link #gauges}; {@code ticketgate_committed_lag}, records after the committed offsets;
 *       {@code ticketgate_ready}, 1 while the replica is ready (see {@link #readiness});
 *   <li>{@code ticketgate_bot_breaker_state}: one gauge, 0 closed, 1 half-open, 2 open (so "above 0"
 *       is "not closed", one series per replica whatever the state);
 *       {@code ticketgate_bot_breaker_transitions_total{to}}, {@code to} = {@code closed},
 *       {@code half_open} or {@code open}; {@code ticketgate_records_held}, records waiting for the
 *       breaker with their turns kept (see {@link #breaker});
 *   <li>{@code ticketgate_bot_concurrency_limit}, {@code ticketgate_bot_calls_in_flight}: the bot
 *       calls allowed in flight at once and those in flight now, only while calls are limited
 *       ({@code bot.concurrency} a number or {@code adaptive}; see {@link #botConcurrency});
 *   <li>JVM memory, GC, threads, class loading, processor and uptime; and, once bound, the Kafka
 *       clients' own metrics ({@code kafka_consumer_*}, {@code kafka_producer_*}, records lag
 *       included).
 * </ul>
 * Histograms publish 15 fixed buckets (1 ms to 60 s, and {@code +Inf}; store calls 0.1 ms to 5 s) for server-side quantiles
 * ({@code histogram_quantile}); no client-side percentiles are computed. No meter is tagged with a
 * conversation id: that would make one time series per conversation.
 *
 * <p>Thread-safe. {@link #close()} unbinds the Kafka clients and the JVM listeners.
 */
public final class GatewayMetrics implements AutoCloseable {

  /** The most distinct dead-letter reasons tagged; later ones count as {@value #OTHER_REASON}. */
  public static final int MAX_REASONS = 50;
  /** The reason tag for dead letters past the first {@value #MAX_REASONS} reasons. */
  public static final String OTHER_REASON = "other";
  /** The content type of {@link #scrape()}: Prometheus text format 0.0.4. */
  public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

  private static final Logger LOG = LoggerFactory.getLogger(GatewayMetrics.class);
  /**
   * The bucket bounds of every histogram: 14, and Prometheus's {@code +Inf}, chosen for lock waits,
   * holds and bot calls, which run from a millisecond (an in-process hand-over) to a minute (a ticket
   * waiting out a dead holder). Fixed instead of Micrometer's percentile histogram, whose 85 buckets
   * per histogram made 510 bucket series per replica.
   */
  static final Duration[] BUCKETS = {Duration.ofMillis(1), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofMillis(2500),
      Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30), Duration.ofSeconds(60)};
  /**
   * The bucket bounds of the lock store's call latencies: 14 from 0.1 ms (a Redis round trip on a
   * quiet network) to 5 s (past any sane socket timeout), and {@code +Inf}.
   */
  static final Duration[] STORE_CALL_BUCKETS = {Duration.ofMillis(1).dividedBy(10), Duration.ofMillis(1).dividedBy(4),
      Duration.ofMillis(1).dividedBy(2), Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
      Duration.ofMillis(10), Duration.ofMillis(25), Duration.ofMillis(50), Duration.ofMillis(100),
      Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(5)};
  /** Kafka clients add meters as partitions are assigned; this is how soon they appear. */
  private static final Duration KAFKA_REFRESH = Duration.ofSeconds(15);
  private static final int MAX_REASON_LENGTH = 64;

  private final PrometheusMeterRegistry registry;
  private final JvmGcMetrics gcMetrics;
  private final Timer lockWait;
  private final Timer lockHold;
  private final Timer lockWaitAfterExpiry;
  private final Counter turnsAfterExpiry;
  private final Map<BotCallOutcome, Timer> botDispatch;
  private final Map<BreakerState, Counter> breakerTransitions;
  private final Counter replied;
  private final Counter deadLettered;
  private final Counter retried;
  private final Counter fenced;
  private final Counter droppedOnRevoke;
  private final Counter skippedDuplicate;
  private final Counter ticketsIssued;
  private final Counter ticketsExpired;
  private final Timer storePing;
  private final Map<StoreCallObserver.Operation, Timer> storeCalls;
  private final Map<String, Counter> storeCallErrors = new ConcurrentHashMap<>();
  private final Map<String, Counter> storeErrors = new ConcurrentHashMap<>();
  private volatile boolean storeUp;
  private final Map<String, Counter> deadLetterReasons = new ConcurrentHashMap<>();
  private final List<Binding> bindings = new ArrayList<>();
  private final Object lock = new Object();
  private ScheduledExecutorService kafkaScheduler;
  private Gauge inFlightGauge;
  private Gauge waitingGauge;
  private Gauge committedLagGauge;
  private Gauge readyGauge;
  private Gauge breakerStateGauge;
  private Gauge concurrencyLimitGauge;
  private Gauge callsInFlightGauge;
  private Gauge heldGauge;
  private boolean warnedAboutReasons;
  private boolean closed;

  /** Meters in a new Prometheus registry. */
  public GatewayMetrics() {
    this(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /**
   * Meters in {@code registry}, for a caller that configured it (common tags, for instance) first.
   * The JVM meters are bound to it here.
   */
  public GatewayMetrics(PrometheusMeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    new JvmMemoryMetrics().bindTo(registry);
    this.gcMetrics = new JvmGcMetrics();
    gcMetrics.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ClassLoaderMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);

    lockWait = histogram("ticketgate.lock.wait", "Time from a ticket being issued to it being served",
        Tags.empty());
    lockHold = histogram("ticketgate.lock.hold", "Time from a ticket being served to it being released",
        Tags.empty());
    lockWaitAfterExpiry = histogram("ticketgate.lock.wait.after.expiry",
        "Lock waits that ended only because the ticket ahead expired (its holder died or stalled)", Tags.empty());
    turnsAfterExpiry = Counter.builder("ticketgate.turns.after.expiry")
        .description("Turns served only because the ticket ahead expired instead of being released")
        .register(registry);
    Map<BotCallOutcome, Timer> dispatch = new EnumMap<>(BotCallOutcome.class);
    for (BotCallOutcome outcome : BotCallOutcome.values()) {
      dispatch.put(outcome, histogram("ticketgate.bot.dispatch", "Duration of one call to the bot",
          Tags.of("outcome", outcome.label())));
    }
    botDispatch = dispatch;
    Map<BreakerState, Counter> transitions = new EnumMap<>(BreakerState.class);
    for (BreakerState to : BreakerState.values()) {
      transitions.put(to, Counter.builder("ticketgate.bot.breaker.transitions")
          .description("Transitions of the bot's circuit breaker, by the state it moved to")
          .tag("to", to.label())
          .register(registry));
    }
    breakerTransitions = transitions;
    // Registered up front so dashboards see zeros, not gaps, before the first event.
    replied = messages("replied");
    deadLettered = messages("dead_lettered");
    retried = messages("retried");
    fenced = messages("fenced");
    droppedOnRevoke = messages("dropped_on_revoke");
    skippedDuplicate = messages("skipped_duplicate");
    ticketsIssued = Counter.builder("ticketgate.tickets.issued")
        .description("Tickets taken from the lock store").register(registry);
    ticketsExpired = Counter.builder("ticketgate.tickets.expired")
        .description("Tickets of this replica that expired while waiting, before they were served").register(registry);
    storePing = histogram("ticketgate.lock.store.ping", "Round trip of the lock store health probe", Tags.empty());
    Gauge.builder("ticketgate.lock.store.up", this, m -> m.storeUp ? 1 : 0)
        .description("1 when the lock store answered the last health probe, 0 when it failed")
        .register(registry);
    storeError("store_failed"); // the usual reason, at zero, so the dashboard and alerts see a series
    Map<StoreCallObserver.Operation, Timer> calls = new EnumMap<>(StoreCallObserver.Operation.class);
    for (StoreCallObserver.Operation operation : StoreCallObserver.Operation.values()) {
      calls.put(operation, histogram("ticketgate.lock.store.call", "Lock store steps that answered, by operation",
          Tags.of("operation", operation.label()), STORE_CALL_BUCKETS));
    }
    storeCalls = calls;
    // The failure of an outage, at zero, so the dashboard sees a series before the first one.
    storeCallError(StoreCallObserver.Operation.ISSUE, StoreCallObserver.Failure.UNREACHABLE);
  }

  private Counter storeCallError(StoreCallObserver.Operation operation, StoreCallObserver.Failure failure) {
    return storeCallErrors.computeIfAbsent(operation.label() + '/' + failure.label(),
        k -> Counter.builder("ticketgate.lock.store.call.errors")
            .description("Lock store steps that failed, by operation and kind of failure")
            .tag("operation", operation.label()).tag("kind", failure.label()).register(registry));
  }

  /**
   * What the lock store reports its steps to ({@code LockStore.observeCalls}):
   * {@code ticketgate_lock_store_call_seconds{operation}}, the latency of steps that answered, and
   * {@code ticketgate_lock_store_call_errors_total{operation,kind}}, steps that failed, {@code kind}
   * = {@code timeout}, {@code unreachable}, {@code rejected} or {@code error}.
   */
  public StoreCallObserver storeCalls() {
    return new StoreCallObserver() {
      @Override
      public void answered(Operation operation, long nanos) {
        storeCalls.get(operation).record(nanos, TimeUnit.NANOSECONDS);
      }

      @Override
      public void failed(Operation operation, long nanos, Failure failure) {
        storeCallError(operation, failure).increment();
      }
    };
  }

  private Counter storeError(String reason) {
    return storeErrors.computeIfAbsent(reason, r -> Counter.builder("ticketgate.lock.store.errors")
        .description("Lock store health probes that failed, by reason").tag("reason", r).register(registry));
  }

  /**
   * The lock store answered a health probe ({@code error} null) or failed it, after {@code took}.
   *
   * @param error why it failed, such as {@code store_failed}; null when it answered
   */
  public void lockStoreProbe(Duration took, String error) {
    storeUp = error == null;
    if (error == null) {
      storePing.record(took);
    } else {
      storeError(error).increment();
    }
  }

  private Timer histogram(String name, String description, Tags tags) {
    return histogram(name, description, tags, BUCKETS);
  }

  private Timer histogram(String name, String description, Tags tags, Duration[] buckets) {
    return Timer.builder(name)
        .description(description)
        .tags(tags)
        .serviceLevelObjectives(buckets)
        .register(registry);
  }

  private Counter messages(String outcome) {
    return Counter.builder("ticketgate.messages")
        .description("Messages finished, by what became of them")
        .tag("outcome", outcome)
        .register(registry);
  }

  /** The registry, to add meters or configure it. */
  public PrometheusMeterRegistry registry() {
    return registry;
  }

  /** A ticket was served {@code waited} after it was issued. */
  public void lockWait(Duration waited) {
    lockWait.record(waited);
  }

  /**
   * A ticket was served {@code waited} after it was issued, and only because the ticket ahead of it
   * expired: a replica died or stalled holding it.
   */
  public void servedAfterExpiry(Duration waited) {
    turnsAfterExpiry.increment();
    lockWaitAfterExpiry.record(waited);
  }

  /** A ticket was released {@code held} after it was served. */
  public void lockHold(Duration held) {
    lockHold.record(held);
  }

  /** One bot call took {@code took} and ended as {@code outcome}. */
  public void botCall(Duration took, BotCallOutcome outcome) {
    botDispatch.get(Objects.requireNonNull(outcome, "outcome")).record(took);
  }

  /** The bot's circuit breaker moved to {@code to}. */
  public void breakerTransition(BreakerState to) {
    breakerTransitions.get(Objects.requireNonNull(to, "to")).increment();
  }

  /** A message's replies were published. */
  public void replied() {
    replied.increment();
  }

  /** A message's bot call failed and will be tried again. */
  public void retried() {
    retried.increment();
  }

  /** The bot refused a message's ticket as fenced; it is dispatched again with a new ticket or dropped. */
  public void fenced() {
    fenced.increment();
  }

  /**
   * A message went to the dead-letter topic.
   *
   * @param reason a short code such as {@code malformed_json} or {@code bot_http_404}; blank means
   *     {@code unknown}; codes past the first {@value #MAX_REASONS} are counted as
   *     {@value #OTHER_REASON}, so a bot inventing codes cannot explode the series count
   */
  public void deadLettered(String reason) {
    deadLettered.increment();
    reasonCounter(reason).increment();
  }

  private Counter reasonCounter(String reason) {
    String tag = reason == null || reason.isBlank() ? "unknown" : reason.strip();
    if (tag.length() > MAX_REASON_LENGTH) {
      tag = tag.substring(0, MAX_REASON_LENGTH);
    }
    Counter known = deadLetterReasons.get(tag);
    if (known != null) {
      return known;
    }
    synchronized (lock) {
      known = deadLetterReasons.get(tag);
      if (known != null) {
        return known;
      }
      if (deadLetterReasons.size() >= MAX_REASONS && !tag.equals(OTHER_REASON)) {
        if (!warnedAboutReasons) {
          warnedAboutReasons = true;
          LOG.warn("Dead-letter reason '{}' and any further new reasons are counted as '{}': {} distinct"
              + " reasons are already tagged, which suggests a handler puts variable text in its reason codes",
              tag, OTHER_REASON, MAX_REASONS);
        }
        return deadLetterReasons.computeIfAbsent(OTHER_REASON, this::reasonMeter);
      }
      Counter created = reasonMeter(tag);
      deadLetterReasons.put(tag, created);
      return created;
    }
  }

  private Counter reasonMeter(String reason) {
    return Counter.builder("ticketgate.dead.letters")
        .description("Messages sent to the dead-letter topic, by reason")
        .tag("reason", reason)
        .register(registry);
  }

  /** A message's ticket was given up because its partition was revoked before it was handled. */
  public void droppedOnRevoke() {
    droppedOnRevoke.increment();
  }

  /** A redelivered message was not dispatched: the partition's previous owner had finished it. */
  public void skippedDuplicate() {
    skippedDuplicate.increment();
  }

  /** A ticket was taken from the lock store. */
  public void ticketIssued() {
    ticketsIssued.increment();
  }

  /** A ticket of this replica expired while it waited, before it was served. */
  public void ticketExpired() {
    ticketsExpired.increment();
  }

  /**
   * Registers the gauges {@code ticketgate.in.flight} (messages being handled) and
   * {@code ticketgate.waiting} (messages waiting for their turn). Calling again replaces the
   * suppliers. A supplier that returns null reads as NaN.
   */
  public void gauges(Supplier<Number> inFlight, Supplier<Number> waiting) {
    Objects.requireNonNull(inFlight, "inFlight");
    Objects.requireNonNull(waiting, "waiting");
    synchronized (lock) {
      if (inFlightGauge != null) {
        registry.remove(inFlightGauge);
        registry.remove(waitingGauge);
      }
      inFlightGauge = gauge("ticketgate.in.flight", "Messages being handled: served, bot call or publish in progress",
          inFlight);
      waitingGauge = gauge("ticketgate.waiting", "Messages holding a ticket that is not yet served", waiting);
    }
  }

  /**
   * Registers {@code ticketgate.committed.lag}: records of this replica's partitions after their
   * committed offsets, read from {@code committedLag}. Registered once.
   */
  public void committedLag(Supplier<Number> committedLag) {
    Objects.requireNonNull(committedLag, "committedLag");
    synchronized (lock) {
      if (committedLagGauge == null) {
        committedLagGauge = gauge("ticketgate.committed.lag", "Records after the committed offsets of this replica's "
            + "partitions: behind the consumer's position plus consumed and not yet committed", committedLag);
      }
    }
  }

  /**
   * Registers {@code ticketgate.ready}: 1 while the replica is ready (what {@code /health/ready}
   * answers UP), else 0, read from {@code ready}. Registered once. Alerts count ready replicas with
   * it: {@code up} also counts a replica that answers scrapes but cannot serve.
   */
  public void readiness(java.util.function.BooleanSupplier ready) {
    Objects.requireNonNull(ready, "ready");
    synchronized (lock) {
      if (readyGauge == null) {
        readyGauge = gauge("ticketgate.ready", "1 while the replica is ready (its /health/ready answers UP), else 0",
            () -> ready.getAsBoolean() ? 1 : 0);
      }
    }
  }

  /**
   * Registers {@code ticketgate.bot.breaker.state} (the breaker's {@link BreakerState#gaugeValue()})
   * and {@code ticketgate.records.held} (records waiting for the breaker). Calling again replaces the
   * suppliers.
   */
  public void breaker(Supplier<BreakerState> state, Supplier<Number> held) {
    Objects.requireNonNull(state, "state");
    Objects.requireNonNull(held, "held");
    synchronized (lock) {
      breakerStateGauge = replace(breakerStateGauge, "ticketgate.bot.breaker.state", "The bot's circuit breaker: 0 closed, 1 half-open "
          + "(one probe call allowed), 2 open (no calls)", () -> {
            BreakerState s = state.get();
            return s == null ? null : s.gaugeValue();
          });
      heldGauge = replace(heldGauge, "ticketgate.records.held", "Records waiting for the bot's circuit breaker to let their call "
          + "through, keeping their turns", held);
    }
  }

  /**
   * Registers {@code ticketgate.bot.concurrency.limit} (how many bot calls may be in flight, fixed
   * or adaptive) and {@code ticketgate.bot.calls.in.flight}; only when calls are limited
   * ({@code bot.concurrency}). Calling again replaces the suppliers.
   */
  public void botConcurrency(Supplier<Number> limit, Supplier<Number> inFlight) {
    Objects.requireNonNull(limit, "limit");
    Objects.requireNonNull(inFlight, "inFlight");
    synchronized (lock) {
      concurrencyLimitGauge = replace(concurrencyLimitGauge, "ticketgate.bot.concurrency.limit", "How many calls to "
          + "the bot may be in flight at once (bot.concurrency; adaptive limits follow the bot's latency)", limit);
      callsInFlightGauge = replace(callsInFlightGauge, "ticketgate.bot.calls.in.flight", "Calls to the bot in flight "
          + "now", inFlight);
    }
  }

  /** Registers a gauge in place of {@code old} (which may be null); under {@link #lock}. */
  private Gauge replace(Gauge old, String name, String description, Supplier<Number> supplier) {
    if (old != null) {
      registry.remove(old);
    }
    return gauge(name, description, supplier);
  }

  private Gauge gauge(String name, String description, Supplier<Number> supplier) {
    Supplier<Number> safe = () -> {
      Number n = supplier.get();
      return n == null ? Double.NaN : n;
    };
    return Gauge.builder(name, safe).description(description).strongReference(true).register(registry);
  }

  /**
   * Publishes {@code consumer}'s own metrics (fetch rates, records lag per partition, ...), refreshed
   * every 15 s as partitions come and go.
   *
   * @return a handle that removes them again; {@link #close()} removes any still bound
   */
  public Binding bindConsumer(Consumer<?, ?> consumer) {
    Objects.requireNonNull(consumer, "consumer");
    return bind(scheduler -> new KafkaClientMetrics(consumer, Tags.empty(), scheduler, KAFKA_REFRESH));
  }

  /**
   * Publishes {@code producer}'s own metrics (send rates, errors, batch sizes, ...).
   *
   * @return a handle that removes them again; {@link #close()} removes any still bound
   */
  public Binding bindProducer(Producer<?, ?> producer) {
    Objects.requireNonNull(producer, "producer");
    return bind(scheduler -> new KafkaClientMetrics(producer, Tags.empty(), scheduler, KAFKA_REFRESH));
  }

  private Binding bind(java.util.function.Function<ScheduledExecutorService, KafkaClientMetrics> factory) {
    synchronized (lock) {
      if (closed) {
        throw new IllegalStateException("GatewayMetrics is closed: cannot bind a Kafka client");
      }
      if (kafkaScheduler == null) {
        // One thread refreshes all bound clients instead of one thread per client.
        kafkaScheduler = Executors.newSingleThreadScheduledExecutor(task -> {
          Thread t = new Thread(task, "ticketgate-kafka-metrics");
          t.setDaemon(true);
          return t;
        });
      }
      KafkaClientMetrics kafkaMetrics = factory.apply(kafkaScheduler);
      kafkaMetrics.bindTo(registry);
      Binding binding = new Binding(kafkaMetrics);
      bindings.add(binding);
      return binding;
    }
  }

  /** The registry in Prometheus text format 0.0.4 ({@link #CONTENT_TYPE}). */
  public String scrape() {
    return registry.scrape(CONTENT_TYPE);
  }

  /** Unbinds the Kafka clients and JVM listeners and closes the registry. */
  @Override
  public void close() {
    List<Binding> remaining;
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
      remaining = new ArrayList<>(bindings);
    }
    remaining.forEach(Binding::close);
    if (kafkaScheduler != null) {
      kafkaScheduler.shutdownNow();
    }
    gcMetrics.close();
    registry.close();
  }

  /** Kafka client metrics bound to the registry; closing removes them. */
  public final class Binding implements AutoCloseable {

    private final KafkaClientMetrics kafkaMetrics;
    private boolean unbound;

    private Binding(KafkaClientMetrics kafkaMetrics) {
      this.kafkaMetrics = kafkaMetrics;
    }

    /** Removes the client's meters; later calls do nothing. */
    @Override
    public void close() {
      synchronized (lock) {
        if (unbound) {
          return;
        }
        unbound = true;
        bindings.remove(this);
      }
      kafkaMetrics.close();
    }
  }
}
