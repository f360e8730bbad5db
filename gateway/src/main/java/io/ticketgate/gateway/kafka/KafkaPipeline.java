package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.store.LockStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.GroupProtocol;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RebalanceInProgressException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consume → ticket → bot → reply → release → commit pipeline.
 *
 * <h2>Threads</h2>
 * One poll thread owns the {@link Consumer} (which is not thread-safe) and every piece of state
 * about it: partitions, offsets, commits, pause/resume, the conversation chains and the in-flight
 * count. It polls, decodes, and starts one {@link Job} per record on a virtual thread. Jobs see only
 * a {@link JobContext}: they wait for their ticket, call the bot, publish through the shared,
 * thread-safe {@link Producer}, and post themselves to the {@link Mailbox} when they are over; the
 * poll thread does the bookkeeping when it takes them from there. See {@code docs/concurrency.md}.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>One conversation is never dispatched twice at once, nor out of ticket order: the lock store
 *       decides, across every replica.
 *   <li>At-least-once: an offset is committed only when every record before it is finished, that is,
 *       its replies (or its dead letter) were acknowledged by Kafka and its ticket released.
 *   <li>At most {@code max_in_flight} records (plus one poll's worth) are in flight; beyond that the
 *       consumer pauses instead of buffering.
 *   <li>A bot outage dead-letters nothing: once the bot's circuit breaker ({@link BotBreaker}) opens,
 *       records that need the bot wait for it, keeping their turns, and consumption pauses until it
 *       closes. Held records are abandoned (not committed, delivered again) at a stop or revocation.
 *   <li>On revocation, records that have not started are dropped and their tickets deleted at once;
 *       started ones get {@code revocation_timeout} to finish; then finished offsets are committed,
 *       with the offsets finished above the committed one in the commit's metadata, so the next
 *       owner skips them ({@link CommitMetadata}). A graceful move or stop therefore dispatches no
 *       finished record again; only a crash can.
 * </ul>
 */
public final class KafkaPipeline implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaPipeline.class);
  /** Written by the poll thread each commit round, read by the metrics gauge. */
  private volatile long committedLag;
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  private static final Duration SHARE_POLL_TIMEOUT = Duration.ofMillis(5);
  /** How long a stopping poll thread polls at a time while jobs drain (it keeps the group informed). */
  private static final Duration DRAIN_POLL = Duration.ofMillis(20);
  /** After the shutdown or revocation timeout: how long interrupted jobs get to give their tickets back. */
  private static final Duration ABORT_GRACE = Duration.ofSeconds(5);
  /** How long the final commit keeps trying through a rebalance that is in progress. */
  private static final Duration FINAL_COMMIT_TIMEOUT = Duration.ofSeconds(10);
  /** The shortest real wait between two looks at the clock while jobs of revoked partitions finish. */
  private static final long MIN_AWAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

  private final KafkaSettings kafka;
  private final DispatchSettings dispatch;
  private final PipelineListener listener;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final RecordDecoder decoder;
  private final JobContext jobContext;
  private final Mailbox mailbox = new Mailbox();
  /** Every deadline the pipeline decides by, and the jobs' pauses between attempts. */
  private final PipelineClock clock;
  /** Shared with the jobs; its state is guarded by its own lock (see {@link BotBreaker}). */
  private final BotBreaker breaker;
  /** Shared with the jobs; its state is guarded by its own lock (see {@link BotLimiter}). */
  private final BotLimiter limiter;
  private final AtomicInteger waiting = new AtomicInteger();
  private final ExecutorService jobs = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ticketgate-job-", 0).factory());
  private final Thread pollThread;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();

  // Poll thread only.
  private final Map<TopicPartition, PartitionState> partitions = new HashMap<>();
  private final Conversations conversations = new Conversations();
  /** Assigned since the last poll returned; their previous owner's progress is read before any record. */
  private final Set<TopicPartition> newlyAssigned = new HashSet<>();
  private int inFlight;
  private boolean paused;
  /** Every partition is paused because the bot's circuit breaker is open. */
  private boolean breakerPaused;
  /** Some partition is paused for being over its share of max_in_flight. */
  private boolean partitionsOverShare;
  /** Stopping: every partition stays paused, including ones assigned meanwhile. */
  private boolean draining;

  // Written by the poll thread, read by anyone (health, metrics, tests).
  private volatile int inFlightView;
  private volatile long lastPollNanos;
  private volatile Set<TopicPartition> assignment = Set.of();
  private volatile Throwable failure;
  /** Cleared by {@link #stop}; the poll thread then drains and leaves. */
  private volatile boolean running;

  /**
   * @param consumer a consumer made by {@link #newConsumer}; the pipeline owns and closes it
   * @param producer a producer made by {@link #newProducer}; the pipeline owns and closes it
   */
  public KafkaPipeline(GatewayConfig config, LockStore store, BotHandler bot, PipelineListener listener,
      Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer) {
    this(config, store, bot, listener, consumer, producer, PipelineClock.SYSTEM);
  }

  /** As the public constructor, on {@code clock}: the unit tests step it instead of sleeping. */
  KafkaPipeline(GatewayConfig config, LockStore store, BotHandler bot, PipelineListener listener,
      Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer, PipelineClock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
    this.lastPollNanos = clock.nanoTime();
    this.kafka = config.kafka();
    this.dispatch = config.dispatch();
    this.listener = listener;
    this.consumer = consumer;
    this.producer = producer;
    this.decoder = new RecordDecoder(kafka);
    Backoff backoff = new Backoff(dispatch);
    Duration lifetime = dispatch.lockLifetime() != null ? dispatch.lockLifetime() : store.lockLifetime();
    // A transition happens on a job's thread (or wherever the open interval is found over): it is counted
    // there, and the poll thread, which alone pauses and resumes the consumer, is woken to look.
    this.breaker = new BotBreaker(config.bot().breaker(), clock::nanoTime, to -> {
      listener.breakerTransition(to);
      mailbox.wake();
    });
    this.limiter = new BotLimiter(config.bot().concurrency(), dispatch.maxInFlight());
    this.jobContext = new JobContext(store, bot, breaker, limiter, new Publisher(producer, kafka.outputTopic(),
        kafka.deadLetterTopic(), backoff, clock, listener), backoff, clock, listener, mailbox, lifetime,
        dispatch.lockMaxWait(), dispatch.retries(), waiting);
    this.pollThread = new Thread(this::pollLoop, "ticketgate-poll");
  }

  /**
   * A consumer configured as the pipeline needs it: manual commits, byte arrays, one group. With the
   * classic group protocol (Kafka's default) the assignor defaults to cooperative-sticky, so a
   * rebalance moves only the partitions that change owner and every other partition's work goes on;
   * with {@code group.protocol: consumer} (KIP-848) the broker assigns, incrementally as well.
   */
  public static Consumer<byte[], byte[]> newConsumer(KafkaSettings kafka, DispatchSettings dispatch) {
    return new KafkaConsumer<>(consumerConfig(kafka, dispatch), new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The configuration {@link #newConsumer} builds its consumer from. */
  static Properties consumerConfig(KafkaSettings kafka, DispatchSettings dispatch) {
    Properties p = new Properties();
    p.putAll(kafka.consumer());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.groupId());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    String protocol = p.getProperty(ConsumerConfig.GROUP_PROTOCOL_CONFIG, GroupProtocol.CLASSIC.name());
    if (protocol.equalsIgnoreCase(GroupProtocol.CLASSIC.name())) {
      p.putIfAbsent(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
    }
    // Small polls: a poll returns one partition's records at a time, and the per-partition share of
    // max_in_flight (applyBackpressure) can only be checked between polls, so a poll of 500 would let
    // one partition's few conversations fill half the window.
    p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(Math.max(1, Math.min(500, dispatch.maxInFlight() / 20))));
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, defaultClientId());
    return p;
  }

  /** An idempotent producer that waits for all in-sync replicas, so an acknowledged reply is durable. */
  public static Producer<byte[], byte[]> newProducer(KafkaSettings kafka) {
    Properties p = new Properties();
    p.putAll(kafka.producer());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "1");
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, defaultClientId() + "-producer");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /**
   * {@code ticketgate-<host>-<pid>}: distinct per replica in broker logs and quotas also in
   * containers, where every replica's pid is 1 but the host name is the container's.
   */
  static String defaultClientId() {
    String host = System.getenv("HOSTNAME");
    if (host == null || host.isBlank()) {
      try {
        host = java.net.InetAddress.getLocalHost().getHostName();
      } catch (java.io.IOException e) {
        log.debug("no host name for the Kafka client id: {}", e.toString());
        host = "unknown-host";
      }
    }
    return "ticketgate-" + host.replaceAll("[^A-Za-z0-9._-]", "_") + "-" + ProcessHandle.current().pid();
  }

  /** Starts consuming. */
  public void start() {
    running = true;
    pollThread.start();
  }

  /**
   * Stops polling, gives back the records that have not started, gives the started ones up to
   * {@code timeout} to finish, gives back the tickets of whatever did not, commits what finished, and
   * closes the Kafka clients. Blocks until done.
   *
   * <p>The stop is a request the poll thread acts on within one poll (at most 100 ms); the consumer
   * is never woken up from here, since a wake-up that lands outside {@code poll} would fail the
   * final commit instead.
   *
   * @return true when nothing is left in flight: every record either finished or was given back to
   *     be delivered again
   */
  public boolean stop(Duration timeout) {
    running = false;
    mailbox.wake();
    try {
      stopped.get(timeout.toMillis() + 30_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      log.error("the poll thread did not stop cleanly", e);
      return false;
    }
    return inFlightView == 0;
  }

  /** Completes when the pipeline has stopped, by {@link #stop} or because it failed. */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  /** Records consumed and not finished. */
  public int inFlight() {
    return inFlightView;
  }

  /** Records waiting for their turn. */
  public int waiting() {
    return waiting.get();
  }

  /** The limit on bot calls in flight now, or null when calls are not limited ({@code bot.concurrency: unlimited}). */
  public Integer botConcurrencyLimit() {
    return limiter.limited() ? limiter.limit() : null;
  }

  /** Bot calls in flight now, counted only when they are limited; null otherwise. */
  public Integer botCallsInFlight() {
    return limiter.limited() ? limiter.inFlight() : null;
  }

  /** Where the bot's circuit breaker stands. */
  public BreakerState breakerState() {
    return breaker.state();
  }

  /** Records waiting for the bot's circuit breaker to let their call through, keeping their turns. */
  public int held() {
    return breaker.waiting();
  }

  /** The partitions this replica owns now. */
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  /** Whether the poll thread is alive and polled recently (the consumer is not stuck). */
  public boolean isLive() {
    return failure == null && (!running || clock.nanoTime() - lastPollNanos < TimeUnit.SECONDS.toNanos(60));
  }

  /** Why the pipeline failed, or null. */
  public Throwable failure() {
    return failure;
  }

  @Override
  public void close() {
    if (!stopped.isDone()) {
      stop(dispatch.shutdownTimeout());
    }
  }

  // ------------------------------------------------------------------ poll thread

  private void pollLoop() {
    try {
      consumer.subscribe(kafka.inputTopics(), new Rebalance());
      long nextCommit = clock.nanoTime() + dispatch.commitInterval().toNanos();
      while (running) {
        ConsumerRecords<byte[], byte[]> records = consumer.poll(pollTimeout());
        lastPollNanos = clock.nanoTime();
        takeMail();
        inheritProgress();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          accept(r);
        }
        applyBackpressure();
        applyBreaker();
        if (clock.nanoTime() - nextCommit >= 0) {
          commitFinished();
          measureCommittedLag();
          nextCommit = clock.nanoTime() + dispatch.commitInterval().toNanos();
        }
      }
      drain();
    } catch (Throwable t) {
      failure = t;
      log.error("the poll loop failed; stopping the gateway", t);
      abort(allJobs());
    } finally {
      try {
        consumer.close(Duration.ofSeconds(10));
      } catch (RuntimeException e) {
        log.warn("closing the consumer: {}", e.toString());
      }
      jobs.shutdown();
      producer.close(Duration.ofSeconds(10));
      stopped.complete(null);
    }
  }

  private void accept(ConsumerRecord<byte[], byte[]> r) {
    TopicPartition tp = new TopicPartition(r.topic(), r.partition());
    PartitionState ps = partitions.get(tp);
    if (ps == null || draining) {
      // Fetched for a partition that is gone, or while stopping: not started, not committed, so
      // whoever owns the partition next reads it again.
      return;
    }
    if (ps.offsets.finishedBefore(r.offset())) {
      ps.offsets.skipped(r.offset());
      listener.skippedDuplicate();
      log.debug("{}: finished by the partition's previous owner; not dispatched again", Job.describe(r));
      return;
    }
    ps.offsets.started(r.offset());
    Job job = new Job(jobContext, ps.assignment, r, decoder.decode(r));
    String id = job.conversationId();
    if (id != null) {
      job.follow(conversations.chain(id, job));
    }
    ps.jobs.add(job);
    inFlightView = ++inFlight;
    jobs.execute(job);
  }

  /**
   * For partitions assigned since the last poll: reads the committed offset's metadata, so records
   * the previous owner finished after it are skipped, not dispatched again ({@link CommitMetadata}).
   */
  private void inheritProgress() {
    if (newlyAssigned.isEmpty()) {
      return;
    }
    Set<TopicPartition> added = Set.copyOf(newlyAssigned);
    newlyAssigned.clear();
    Map<TopicPartition, OffsetAndMetadata> committed;
    try {
      committed = consumer.committed(added);
    } catch (KafkaException e) {
      log.warn("assigned {}: could not read the committed offsets' metadata ({}); records the previous owner "
          + "finished after its last commit will be dispatched again", added, e.toString());
      return;
    }
    committed.forEach((tp, c) -> {
      PartitionState ps = partitions.get(tp);
      if (ps == null || c == null) {
        return;
      }
      ps.committedOffset = c.offset();
      ps.committedMetadata = c.metadata();
      try {
        CommitMetadata.Progress progress = CommitMetadata.decode(c.offset(), c.metadata());
        if (progress != null) {
          ps.offsets.inherit(progress);
          log.debug("{}: the previous owner committed {} and finished every offset below {} but {}", tp, c.offset(),
              progress.end(), progress.unfinished());
        }
      } catch (IllegalArgumentException e) {
        log.warn("{}: the committed offset's metadata '{}' is not readable ({}); dispatching every record from offset {}",
            tp, c.metadata(), e.getMessage(), c.offset());
      }
    });
  }

  /** Does the bookkeeping for every job that reported itself over. */
  private void takeMail() {
    for (Job job = mailbox.take(); job != null; job = mailbox.take()) {
      String id = job.conversationId();
      if (id != null) {
        conversations.over(id, job);
      }
      PartitionState ps = partitions.get(new TopicPartition(job.record.topic(), job.record.partition()));
      // A job of an earlier assignment of the partition counts for nothing there any more.
      if (ps != null && ps.jobs.remove(job) && job.finished()) {
        ps.offsets.finished(job.record.offset());
      }
      inFlight--;
    }
    inFlightView = inFlight;
  }

  /**
   * How long the next poll may block. While consumption is paused a poll returns nothing, so a
   * plain {@code poll(100 ms)} would sit out its whole timeout after the jobs had drained below the
   * resume mark: measured, that idle time capped a fast bot at a third of what the pipeline can do.
   * So a paused poll thread waits on the mailbox instead, until jobs report back (or 100 ms pass, to
   * keep polling for rebalances), then polls without waiting.
   */
  private Duration pollTimeout() {
    if (!paused && !breakerPaused) {
      // A partition over its share resumes only on a later loop: poll briefly so that one idle
      // poll does not keep it waiting when the others have nothing to fetch.
      return partitionsOverShare ? SHARE_POLL_TIMEOUT : POLL_TIMEOUT;
    }
    // Real time, not the pipeline's clock: this bounds a park so the group keeps hearing from us.
    long deadline = System.nanoTime() + POLL_TIMEOUT.toNanos();
    takeMail();
    while (running && stillPaused() && deadline - System.nanoTime() > 0) {
      mailbox.await(deadline - System.nanoTime());
      takeMail();
    }
    return Duration.ZERO;
  }

  /**
   * Whether no reason for the current pause has gone: then there is nothing to resume yet. (A
   * breaker transition between this look and the park wakes nobody; the wait is 100 ms at most.)
   */
  private boolean stillPaused() {
    return (!paused || inFlight > resumeAt()) && (!breakerPaused || breaker.holdsConsumption());
  }

  private int resumeAt() {
    return dispatch.maxInFlight() / 2;
  }

  /**
   * Two limits. Globally, at most {@code max_in_flight} records: beyond it every partition pauses
   * until half have finished. Per partition, a fair share of that (max_in_flight / assigned
   * partitions): a consumer hands back one partition's fetched records at a time, so without the
   * share one busy partition fills the window with a handful of conversations queued behind each
   * other while the other partitions' conversations wait idle. A partition over its share pauses
   * until it is down to half of it. Measured with {@code ./load-test compare} (1,000 conversations,
   * 12 partitions, 50 ms bot): 1.8k msg/s without the share and with polls of 500, 4.8k with the
   * share, 9.5k with the share and polls of 50.
   */
  private void applyBackpressure() {
    if (!paused && inFlight >= dispatch.maxInFlight()) {
      consumer.pause(consumer.assignment());
      paused = true;
      log.debug("{} records in flight (max_in_flight {}): pausing consumption", inFlight, dispatch.maxInFlight());
    } else if (paused && inFlight <= resumeAt()) {
      paused = false;
      if (!breakerPaused) {
        resumeAllButOverShare();
      }
      log.debug("{} records in flight: resuming consumption", inFlight);
    }
    int share = Math.max(1, dispatch.maxInFlight() / Math.max(1, partitions.size()));
    boolean anyOverShare = false;
    for (Map.Entry<TopicPartition, PartitionState> e : partitions.entrySet()) {
      PartitionState ps = e.getValue();
      int mine = ps.jobs.size();
      if (!ps.overShare && mine >= share) {
        ps.overShare = true;
        consumer.pause(List.of(e.getKey()));
      } else if (ps.overShare && mine <= share / 2) {
        ps.overShare = false;
        if (!paused && !breakerPaused) {
          consumer.resume(List.of(e.getKey()));
        }
      }
      anyOverShare |= ps.overShare;
    }
    partitionsOverShare = anyOverShare;
  }

  private void resumeAllButOverShare() {
    List<TopicPartition> resume = new ArrayList<>();
    for (TopicPartition tp : consumer.paused()) {
      PartitionState ps = partitions.get(tp);
      if (ps == null || !ps.overShare) {
        resume.add(tp);
      }
    }
    consumer.resume(resume);
  }

  /**
   * While the bot's circuit breaker is open nothing new is consumed: records already in flight wait
   * for it, holding their turns, and new ones would only join them and fill {@code max_in_flight}
   * with work that cannot move. Consumption resumes when the breaker closes, and also when it is
   * half-open with no record waiting to make the probe call: a new record has to make it.
   */
  private void applyBreaker() {
    boolean hold = breaker.holdsConsumption();
    if (hold && !breakerPaused) {
      breakerPaused = true;
      consumer.pause(consumer.assignment());
      log.warn("the bot's circuit breaker is {}: pausing consumption; the {} record(s) in flight wait for it where "
          + "they need the bot, keeping their turns", breaker.state().label(), inFlight);
    } else if (!hold && breakerPaused) {
      breakerPaused = false;
      if (!paused && !draining) {
        resumeAllButOverShare();
      }
      log.info("the bot's circuit breaker is {}: resuming consumption", breaker.state().label());
    }
  }

  /**
   * Poll thread, each commit round: the records of this replica's partitions after their committed
   * offsets (the end offset the last fetch saw, minus the committed offset). Unlike the consumer's
   * {@code records-lag}, which counts from its position, it includes records consumed and not yet
   * finished: what a crash here would hand to the next owner.
   */
  private void measureCommittedLag() {
    long total = 0;
    for (Map.Entry<TopicPartition, PartitionState> e : partitions.entrySet()) {
      java.util.OptionalLong behindPosition = consumer.currentLag(e.getKey());
      if (behindPosition.isEmpty()) {
        continue; // no fetch answered for it yet: unknown, not zero
      }
      PartitionState ps = e.getValue();
      long position = ps.offsets.next();
      long consumedNotCommitted = position >= 0 && ps.committedOffset >= 0 ? Math.max(0, position - ps.committedOffset) : 0;
      total += behindPosition.getAsLong() + consumedNotCommitted;
    }
    committedLag = total;
  }

  /** Records after the committed offsets of this replica's partitions, as of the last commit round. */
  public long committedLag() {
    return committedLag;
  }

  /** Commits, without waiting, what finished since the last commit. */
  private void commitFinished() {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions.keySet());
    if (offsets.isEmpty()) {
      return;
    }
    consumer.commitAsync(offsets, (committed, error) -> {
      if (error instanceof RebalanceInProgressException) {
        // Expected while the group rebalances; the revocation callback or the next round commits.
        log.debug("committing offsets waits for the rebalance in progress");
      } else if (error != null) {
        log.warn("committing offsets failed (they are committed again later): {}", error.toString());
      } else {
        markCommitted(committed);
      }
    });
  }

  /** Commits and waits: at revocation and at the end. */
  private void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    if (!offsets.isEmpty()) {
      consumer.commitSync(offsets);
      markCommitted(offsets);
    }
  }

  /** Per partition: the lowest unfinished offset, and what finished beyond it, where that changed. */
  private Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> tps) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : tps) {
      PartitionState ps = partitions.get(tp);
      if (ps == null) {
        continue;
      }
      long offset = ps.offsets.committable();
      if (offset < 0) {
        continue;
      }
      String metadata = ps.offsets.metadata();
      if (offset != ps.committedOffset || !metadata.equals(ps.committedMetadata)) {
        offsets.put(tp, new OffsetAndMetadata(offset, metadata));
      }
    }
    return offsets;
  }

  private void markCommitted(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, o) -> {
      PartitionState ps = partitions.get(tp);
      // An asynchronous commit's answer can come after a newer commit's: keep the newest position.
      if (ps != null && o.offset() >= ps.committedOffset) {
        ps.committedOffset = o.offset();
        ps.committedMetadata = o.metadata();
      }
    });
  }

  /**
   * The graceful end: no new records, every partition paused, records that have not started given
   * back, and the poll loop keeps turning (so the group sees a live member and rebalance callbacks
   * run) until the started jobs are over or {@code shutdown_timeout} has passed. Then what did not
   * finish is interrupted, and what finished is committed.
   */
  private void drain() {
    draining = true;
    consumer.pause(consumer.assignment());
    // As at a revocation: a record still waiting for its turn has not reached the bot, so the next
    // owner can deliver it without anyone seeing it twice, while starting it now would only race the
    // deadline, whose interrupt could land in its bot call and have the bot answer it twice.
    List<Job> all = allJobs();
    List<Job> started = cancelUnstarted(all);
    // Held records would wait for the bot as long as it is down: they give their turns back now and
    // are delivered again, like work that does not finish in time.
    started.forEach(Job::abandonHold);
    log.info("stopping: waiting up to {} s for {} started record(s); {} not started are given back and delivered "
        + "again", dispatch.shutdownTimeout().toSeconds(), started.size(), all.size() - started.size());
    if (!pollUntilOver(allJobs(), dispatch.shutdownTimeout())) {
      log.warn("stopping: {} record(s) did not finish in time; giving their tickets back, they will be delivered again",
          inFlight);
      abort(allJobs());
      pollUntilOver(allJobs(), ABORT_GRACE);
    }
    long deadline = clock.nanoTime() + FINAL_COMMIT_TIMEOUT.toNanos();
    while (true) {
      try {
        commitSync(committable(partitions.keySet()));
        return;
      } catch (RebalanceInProgressException e) {
        if (clock.nanoTime() - deadline > 0) {
          log.warn("final commit: a rebalance was still in progress after {} s; the uncommitted records will be "
              + "delivered again", FINAL_COMMIT_TIMEOUT.toSeconds());
          return;
        }
        // Let the rebalance finish: revoked partitions are committed by the callback, the rest after.
        consumer.poll(DRAIN_POLL);
      } catch (KafkaException e) {
        log.warn("final commit failed; the uncommitted records will be delivered again: {}", e.toString());
        return;
      }
    }
  }

  /**
   * Keeps polling (partitions paused, so nothing new arrives) and taking mail until every job in
   * {@code waitFor} is over, or {@code timeout} has passed.
   */
  private boolean pollUntilOver(Collection<Job> waitFor, Duration timeout) {
    long deadline = clock.nanoTime() + timeout.toNanos();
    while (true) {
      takeMail();
      if (waitFor.stream().allMatch(j -> j.done.isDone())) {
        takeMail();
        return true;
      }
      if (clock.nanoTime() - deadline > 0) {
        return false;
      }
      consumer.poll(DRAIN_POLL);
      lastPollNanos = clock.nanoTime();
    }
  }

  private List<Job> allJobs() {
    List<Job> all = new ArrayList<>();
    partitions.values().forEach(ps -> all.addAll(ps.jobs));
    return all;
  }

  /** Cancels what has not started and interrupts what has. */
  private static void abort(Collection<Job> jobs) {
    cancelUnstarted(jobs).forEach(Job::interrupt);
  }

  /**
   * Cancels every job in {@code jobs} that has not started, in two passes (see
   * {@link Job#markCancelled}), and returns the ones that had started.
   */
  private static List<Job> cancelUnstarted(Collection<Job> jobs) {
    List<Job> cancelled = new ArrayList<>();
    List<Job> started = new ArrayList<>();
    for (Job job : jobs) {
      (job.markCancelled() ? cancelled : started).add(job);
    }
    cancelled.forEach(Job::stopCancelled);
    return started;
  }

  /**
   * Blocks the poll thread until every job is over, or {@code timeout} has passed by the pipeline's
   * clock. Used inside rebalance callbacks, where polling is not allowed.
   */
  private boolean awaitJobs(Collection<Job> jobs, Duration timeout) {
    CompletableFuture<Void> all = CompletableFuture.allOf(jobs.stream().map(j -> j.done).toArray(CompletableFuture[]::new));
    long deadline = clock.nanoTime() + timeout.toNanos();
    while (true) {
      long left = deadline - clock.nanoTime();
      if (left <= 0) {
        return all.isDone();
      }
      try {
        // Waits what is left in real time, then looks at the clock again: it alone says when the time is up.
        all.get(Math.max(left, MIN_AWAIT_NANOS), TimeUnit.NANOSECONDS);
        return true;
      } catch (TimeoutException e) {
        // This look's real wait is over; the loop asks the clock whether the whole wait is.
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      } catch (ExecutionException e) {
        throw new IllegalStateException("job futures never fail", e);
      }
    }
  }

  /** Runs on the poll thread, inside {@code poll} (and {@code close}). */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> added) {
      if (added.isEmpty()) {
        return;
      }
      for (TopicPartition tp : added) {
        partitions.put(tp, new PartitionState());
      }
      // Their previous owner's progress is read right after this poll returns, before any of their
      // records is accepted, in one request for all of them (inheritProgress).
      newlyAssigned.addAll(added);
      assignment = Set.copyOf(consumer.assignment());
      if (paused || draining || breakerPaused) {
        consumer.pause(added);
      }
      log.info("assigned {}; now owning {} partition(s)", added, assignment.size());
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      if (revoked.isEmpty()) {
        return;
      }
      List<Job> revokedJobs = jobsOf(revoked);
      List<Job> started = cancelUnstarted(revokedJobs);
      // A record held by the breaker would keep the rebalance waiting for a bot that is down: it gives
      // its turn back at once and the new owner delivers it.
      started.forEach(Job::abandonHold);
      int dropped = revokedJobs.size() - started.size();
      if (!awaitJobs(started, dispatch.revocationTimeout())) {
        // Interrupted, a started job gives its ticket back and publishes nothing: the new owner
        // answers the record, once.
        log.warn("revoked {}: started records did not finish within {} s (revocation_timeout); interrupting them, "
            + "the new owner delivers them again", revoked, dispatch.revocationTimeout().toSeconds());
        started.forEach(Job::interrupt);
        awaitJobs(started, ABORT_GRACE);
      }
      // A started job refused as fenced meanwhile went back to its queue: it must not start again here.
      cancelUnstarted(started);
      takeMail();
      try {
        commitSync(committable(revoked));
      } catch (KafkaException e) {
        log.warn("revoked {}: commit failed; the new owner repeats the uncommitted records: {}", revoked, e.toString());
      }
      forget(revoked);
      log.info("revoked {}: dropped {} record(s) that had not started (their tickets deleted), {} finished in flight",
          revoked, dropped, started.size());
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      // Cancel before forgetting the partitions: a job checks ownership after going back to its queue.
      cancelUnstarted(jobsOf(lost)).forEach(Job::abandonHold);
      forget(lost);
      log.warn("lost {} without a clean revocation; their records will be delivered to the new owner", lost);
    }

    /** Marks the partitions revoked, for their jobs to see, and returns the jobs. */
    private List<Job> jobsOf(Collection<TopicPartition> tps) {
      List<Job> out = new ArrayList<>();
      for (TopicPartition tp : tps) {
        PartitionState ps = partitions.get(tp);
        if (ps != null) {
          ps.assignment.revoke();
          out.addAll(ps.jobs);
        }
      }
      return out;
    }

    private void forget(Collection<TopicPartition> tps) {
      tps.forEach(partitions::remove);
      newlyAssigned.removeAll(tps);
      Set<TopicPartition> now = new HashSet<>(assignment);
      now.removeAll(tps);
      assignment = Set.copyOf(now);
    }
  }
}
