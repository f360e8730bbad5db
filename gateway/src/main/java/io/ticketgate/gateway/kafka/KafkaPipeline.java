package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.Headers;
import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.store.LockStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The consume → ticket → bot → reply → release → commit pipeline.
 *
 * <h2>Threads</h2>
 * One poll thread owns the {@link Consumer} (which is not thread-safe): it polls, decodes, starts
 * one {@link Job} per record on a virtual thread, pauses and resumes partitions, handles rebalances
 * and commits offsets. Jobs wait for their ticket, call the bot and publish through the shared,
 * thread-safe {@link Producer}. See {@code docs/concurrency.md}.
 *
 * <h2>Guarantees</h2>
 * <ul>
 *   <li>One conversation is never dispatched twice at once, nor out of ticket order: the lock store
 *       decides, across every replica.
 *   <li>At-least-once: an offset is committed only when every record before it is finished, that is,
 *       its replies (or its dead letter) were acknowledged by Kafka and its ticket released.
 *   <li>At most {@code max_in_flight} records (plus one poll's worth) are in flight; beyond that the
 *       consumer pauses instead of buffering.
 *   <li>On revocation, records that have not started are dropped and their tickets deleted at once;
 *       started ones get {@code revocation_timeout} to finish; then finished offsets are committed.
 * </ul>
 */
public final class KafkaPipeline implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(KafkaPipeline.class);
  private static final Duration POLL_TIMEOUT = Duration.ofMillis(100);
  private static final Duration SHARE_POLL_TIMEOUT = Duration.ofMillis(5);
  private static final long STORE_BACKOFF_MAX_MILLIS = 1000;

  final LockStore store;
  final BotHandler bot;
  final PipelineListener listener;
  final DispatchSettings dispatch;
  final Duration lifetime;
  /** Per conversation: the last job consumed, whose turn the next job waits for. */
  final ConcurrentHashMap<String, Job> turns = new ConcurrentHashMap<>();
  final AtomicInteger waiting = new AtomicInteger();

  private final KafkaSettings kafka;
  private final Consumer<byte[], byte[]> consumer;
  private final Producer<byte[], byte[]> producer;
  private final RecordDecoder decoder;
  private final Map<TopicPartition, PartitionState> partitions = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final ExecutorService jobs = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ticketgate-job-", 0).factory());
  private final Thread pollThread;
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private volatile boolean running;
  private volatile boolean paused;
  /** Some partition is paused for being over its share of max_in_flight; poll thread only. */
  private boolean partitionsOverShare;
  /** Set by the job that unparks a paused poll thread, so only one job per pause does it. */
  private final AtomicBoolean resumeSignalled = new AtomicBoolean();
  private volatile long lastPollNanos = System.nanoTime();
  private volatile Set<TopicPartition> assignment = Set.of();
  private volatile Throwable failure;

  /**
   * @param consumer a consumer made by {@link #newConsumer}; the pipeline owns and closes it
   * @param producer a producer made by {@link #newProducer}; the pipeline owns and closes it
   */
  public KafkaPipeline(GatewayConfig config, LockStore store, BotHandler bot, PipelineListener listener,
      Consumer<byte[], byte[]> consumer, Producer<byte[], byte[]> producer) {
    this.kafka = config.kafka();
    this.dispatch = config.dispatch();
    this.store = store;
    this.bot = bot;
    this.listener = listener;
    this.consumer = consumer;
    this.producer = producer;
    this.decoder = new RecordDecoder(kafka);
    this.lifetime = dispatch.lockLifetime() != null ? dispatch.lockLifetime() : store.lockLifetime();
    this.pollThread = new Thread(this::pollLoop, "ticketgate-poll");
  }

  /** A consumer configured as the pipeline needs it: manual commits, byte arrays, one group. */
  public static Consumer<byte[], byte[]> newConsumer(KafkaSettings kafka, DispatchSettings dispatch) {
    Properties p = new Properties();
    p.putAll(kafka.consumer());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, kafka.groupId());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.putIfAbsent(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // Small polls: a poll returns one partition's records at a time, and the per-partition share of
    // max_in_flight (applyBackpressure) can only be checked between polls, so a poll of 500 would let
    // one partition's few conversations fill half the window.
    p.putIfAbsent(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Integer.toString(Math.max(1, Math.min(500, dispatch.maxInFlight() / 20))));
    p.putIfAbsent(ConsumerConfig.CLIENT_ID_CONFIG, "ticketgate-" + ProcessHandle.current().pid());
    return new KafkaConsumer<>(p, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** An idempotent producer that waits for all in-sync replicas, so an acknowledged reply is durable. */
  public static Producer<byte[], byte[]> newProducer(KafkaSettings kafka) {
    Properties p = new Properties();
    p.putAll(kafka.producer());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.putIfAbsent(ProducerConfig.LINGER_MS_CONFIG, "1");
    p.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, "ticketgate-" + ProcessHandle.current().pid() + "-producer");
    return new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  /** Starts consuming. */
  public void start() {
    running = true;
    pollThread.start();
  }

  /**
   * Stops polling, gives in-flight work up to {@code timeout} to finish, gives back the tickets of
   * whatever did not, commits what finished, and closes the Kafka clients. Blocks until done.
   *
   * @return true when everything in flight finished in time
   */
  public boolean stop(Duration timeout) {
    running = false;
    consumer.wakeup();
    LockSupport.unpark(pollThread); // parked while paused: stop without sitting out the park
    try {
      stopped.get(timeout.toMillis() + 30_000, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      log.error("the poll thread did not stop cleanly", e);
      return false;
    }
    return inFlight.get() == 0;
  }

  /** Completes when the pipeline has stopped, by {@link #stop} or because it failed. */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  /** Records consumed and not finished. */
  public int inFlight() {
    return inFlight.get();
  }

  /** Records waiting for their turn. */
  public int waiting() {
    return waiting.get();
  }

  /** The partitions this replica owns now. */
  public Set<TopicPartition> assignment() {
    return assignment;
  }

  /** Whether the poll thread is alive and polled recently (the consumer is not stuck). */
  public boolean isLive() {
    return failure == null && (!running || System.nanoTime() - lastPollNanos < TimeUnit.SECONDS.toNanos(60));
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
      long nextCommit = System.nanoTime() + dispatch.commitInterval().toNanos();
      while (running) {
        ConsumerRecords<byte[], byte[]> records;
        try {
          records = consumer.poll(pollTimeout());
        } catch (WakeupException e) {
          continue; // stop() woke us; the loop condition decides
        }
        lastPollNanos = System.nanoTime();
        for (ConsumerRecord<byte[], byte[]> r : records) {
          accept(r);
        }
        applyBackpressure();
        if (System.nanoTime() - nextCommit >= 0) {
          commitFinished(false);
          nextCommit = System.nanoTime() + dispatch.commitInterval().toNanos();
        }
      }
      drain();
    } catch (Throwable t) {
      failure = t;
      log.error("the poll loop failed; stopping the gateway", t);
      abortAll();
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
    PartitionState ps = partitions.computeIfAbsent(tp, k -> new PartitionState());
    ps.offsets.started(r.offset());
    inFlight.incrementAndGet();
    Job job = new Job(this, ps, r, decoder.decode(r));
    String id = job.conversationId();
    if (id != null) {
      job.previous = turns.put(id, job);
    }
    ps.jobs.add(job);
    jobs.execute(job);
  }

  /**
   * Whether this replica still owns the job's partition in the assignment the job was consumed in
   * (a partition lost and assigned again is a new assignment, whose records are consumed anew).
   */
  boolean owns(Job job) {
    return partitions.get(new TopicPartition(job.record.topic(), job.record.partition())) == job.partition;
  }

  void jobFinished(Job job, boolean finished) {
    if (finished) {
      job.partition.offsets.finished(job.record.offset());
    }
    job.partition.jobs.remove(job);
    int n = inFlight.decrementAndGet();
    if (paused && n <= resumeAt() && resumeSignalled.compareAndSet(false, true)) {
      LockSupport.unpark(pollThread);
    }
  }

  /**
   * How long the next poll may block. While consumption is paused a poll returns nothing, so a
   * plain {@code poll(100 ms)} would sit out its whole timeout after the jobs had drained below the
   * resume mark: measured, that idle time capped a fast bot at a third of what the pipeline can do.
   * So a paused poll thread parks instead, until the last job that takes the count down to the
   * mark unparks it (or 100 ms pass, to keep polling for rebalances), then polls without waiting.
   */
  private Duration pollTimeout() {
    if (!paused) {
      // A partition over its share resumes only on a later loop: poll briefly so that one idle
      // poll does not keep it waiting when the others have nothing to fetch.
      return partitionsOverShare ? SHARE_POLL_TIMEOUT : POLL_TIMEOUT;
    }
    if (inFlight.get() > resumeAt()) {
      LockSupport.parkNanos(this, POLL_TIMEOUT.toNanos());
    }
    return Duration.ZERO;
  }

  private int resumeAt() {
    return dispatch.maxInFlight() / 2;
  }

  /**
   * Two limits, both on the poll thread. Globally, at most {@code max_in_flight} records: beyond
   * it every partition pauses until half have finished. Per partition, a fair share of that
   * (max_in_flight / assigned partitions): a consumer hands back one partition's fetched records
   * at a time, so without the share one busy partition fills the window with a handful of
   * conversations queued behind each other while the other partitions' conversations wait idle. A
   * partition over its share pauses until it is down to half of it. Measured with {@code ./load-test
   * compare} (1,000 conversations, 12 partitions, 50 ms bot): 1.8k msg/s without the share and with
   * polls of 500, 4.8k with the share, 9.5k with the share and polls of 50.
   */
  private void applyBackpressure() {
    int n = inFlight.get();
    if (!paused && n >= dispatch.maxInFlight()) {
      consumer.pause(consumer.assignment());
      paused = true;
      log.debug("{} records in flight (max_in_flight {}): pausing consumption", n, dispatch.maxInFlight());
    } else if (paused && n <= resumeAt()) {
      paused = false;
      resumeSignalled.set(false);
      List<TopicPartition> resume = new ArrayList<>();
      for (TopicPartition tp : consumer.paused()) {
        PartitionState ps = partitions.get(tp);
        if (ps == null || !ps.overShare) {
          resume.add(tp);
        }
      }
      consumer.resume(resume);
      log.debug("{} records in flight: resuming consumption", n);
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
        if (!paused) {
          consumer.resume(List.of(e.getKey()));
        }
      }
      anyOverShare |= ps.overShare;
    }
    partitionsOverShare = anyOverShare;
  }

  /** Commits, per partition, up to the lowest unfinished offset. */
  private void commitFinished(boolean sync) {
    Map<TopicPartition, OffsetAndMetadata> offsets = committable(partitions.keySet());
    if (offsets.isEmpty()) {
      return;
    }
    if (sync) {
      consumer.commitSync(offsets);
      markCommitted(offsets);
    } else {
      consumer.commitAsync(offsets, (committed, error) -> {
        if (error != null) {
          log.warn("committing offsets failed (they are committed again later): {}", error.toString());
        } else {
          markCommitted(committed);
        }
      });
    }
  }

  private Map<TopicPartition, OffsetAndMetadata> committable(Collection<TopicPartition> tps) {
    Map<TopicPartition, OffsetAndMetadata> offsets = new HashMap<>();
    for (TopicPartition tp : tps) {
      PartitionState ps = partitions.get(tp);
      if (ps == null) {
        continue;
      }
      long c = ps.offsets.committable();
      if (c >= 0 && c > ps.committed) {
        offsets.put(tp, new OffsetAndMetadata(c));
      }
    }
    return offsets;
  }

  private void markCommitted(Map<TopicPartition, OffsetAndMetadata> offsets) {
    offsets.forEach((tp, o) -> {
      PartitionState ps = partitions.get(tp);
      if (ps != null) {
        ps.committed = Math.max(ps.committed, o.offset());
      }
    });
  }

  private void drain() {
    List<Job> all = new ArrayList<>();
    partitions.values().forEach(ps -> all.addAll(ps.jobs));
    log.info("stopping: waiting up to {} s for {} record(s) in flight", dispatch.shutdownTimeout().toSeconds(), all.size());
    if (!awaitJobs(all, dispatch.shutdownTimeout())) {
      log.warn("stopping: {} record(s) did not finish in time; giving their tickets back, they will be delivered again",
          inFlight.get());
      abortAll();
      awaitJobs(all, Duration.ofSeconds(5));
    }
    try {
      commitFinished(true);
    } catch (RuntimeException e) {
      log.warn("final commit failed; the uncommitted records will be delivered again: {}", e.toString());
    }
  }

  private void abortAll() {
    List<Job> all = new ArrayList<>();
    partitions.values().forEach(ps -> all.addAll(ps.jobs));
    cancelUnstarted(all).forEach(Job::interrupt);
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

  private static boolean awaitJobs(Collection<Job> jobs, Duration timeout) {
    try {
      CompletableFuture.allOf(jobs.stream().map(j -> j.done).toArray(CompletableFuture[]::new))
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      throw new IllegalStateException("job futures never fail", e);
    }
  }

  /** Runs on the poll thread, inside {@code poll}. */
  private final class Rebalance implements ConsumerRebalanceListener {
    @Override
    public void onPartitionsAssigned(Collection<TopicPartition> added) {
      for (TopicPartition tp : added) {
        partitions.put(tp, new PartitionState());
      }
      assignment = Set.copyOf(consumer.assignment());
      if (paused && !added.isEmpty()) {
        consumer.pause(added);
      }
      log.info("assigned {}; now owning {} partition(s)", added, assignment.size());
    }

    @Override
    public void onPartitionsRevoked(Collection<TopicPartition> revoked) {
      if (revoked.isEmpty()) {
        return;
      }
      List<Job> jobs = new ArrayList<>();
      for (TopicPartition tp : revoked) {
        PartitionState ps = partitions.get(tp);
        if (ps != null) {
          jobs.addAll(ps.jobs);
        }
      }
      List<Job> started = cancelUnstarted(jobs);
      int dropped = jobs.size() - started.size();
      if (!awaitJobs(started, dispatch.revocationTimeout())) {
        log.warn("revoked {}: started records did not finish within {} s; committing what finished",
            revoked, dispatch.revocationTimeout().toSeconds());
      }
      // A started job refused as fenced meanwhile went back to its queue: it must not start again here.
      cancelUnstarted(started);
      try {
        Map<TopicPartition, OffsetAndMetadata> offsets = committable(revoked);
        if (!offsets.isEmpty()) {
          consumer.commitSync(offsets);
        }
      } catch (RuntimeException e) {
        log.warn("revoked {}: commit failed; the new owner repeats the uncommitted records: {}", revoked, e.toString());
      }
      revoked.forEach(partitions::remove);
      assignment = Set.copyOf(consumer.assignment().stream().filter(tp -> !revoked.contains(tp)).toList());
      log.info("revoked {}: dropped {} record(s) that had not started (their tickets deleted), {} finished in flight",
          revoked, dropped, started.size());
    }

    @Override
    public void onPartitionsLost(Collection<TopicPartition> lost) {
      List<Job> jobs = new ArrayList<>();
      for (TopicPartition tp : lost) {
        PartitionState ps = partitions.get(tp);
        if (ps != null) {
          jobs.addAll(ps.jobs);
        }
      }
      // Cancel before forgetting the partitions: a job checks ownership after going back to its queue.
      cancelUnstarted(jobs);
      lost.forEach(partitions::remove);
      assignment = Set.copyOf(consumer.assignment().stream().filter(tp -> !lost.contains(tp)).toList());
      log.warn("lost {} without a clean revocation; their records will be delivered to the new owner", lost);
    }
  }

  // ------------------------------------------------------------------ called by jobs

  Duration backoff(int attempt) {
    return backoff(attempt, dispatch.retryBackoffMax().toMillis());
  }

  /**
   * The pause before taking a new ticket after the lock store failed. Capped lower than bot retries:
   * a failing store call is cheap (the client refuses at once while disconnected), and with the
   * bot's 10 s cap a job whose attempt failed just before a Redis restart ended would sleep seconds
   * past it, stalling its conversation long after the store was back.
   */
  Duration storeBackoff(int attempt) {
    return backoff(attempt, Math.min(dispatch.retryBackoffMax().toMillis(), STORE_BACKOFF_MAX_MILLIS));
  }

  private Duration backoff(int attempt, long max) {
    long base = dispatch.retryBackoff().toMillis();
    long exp = base << Math.min(20, Math.max(0, attempt - 1));
    long capped = Math.min(max, exp);
    // Full jitter halves synchronized retries from replicas hitting the same failure.
    return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
  }

  void publishReplies(ConsumerRecord<byte[], byte[]> source, String conversationId, List<BotReply> replies, int ticket,
      Duration lockWait) throws InterruptedException {
    byte[] key = conversationId.getBytes(StandardCharsets.UTF_8);
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(replies.size());
    for (BotReply reply : replies) {
      RecordHeaders h = sourceHeaders(source);
      h.add(Headers.TICKET, bytes(Integer.toString(ticket)));
      h.add(Headers.LOCK_WAIT_MS, bytes(Long.toString(lockWait.toMillis())));
      out.add(new ProducerRecord<>(kafka.outputTopic(), null, key, reply.payload(), h));
    }
    send(out, source);
  }

  void deadLetter(ConsumerRecord<byte[], byte[]> source, String reason, String detail, Integer ticket)
      throws InterruptedException {
    RecordHeaders h = new RecordHeaders(source.headers().toArray());
    sourceHeaders(source).forEach(h::add);
    h.add(Headers.DEAD_LETTER_REASON, bytes(reason));
    h.add(Headers.DEAD_LETTER_DETAIL, bytes(detail == null ? "" : detail));
    if (ticket != null) {
      h.add(Headers.TICKET, bytes(Integer.toString(ticket)));
    }
    send(List.of(new ProducerRecord<>(kafka.deadLetterTopic(), null, source.key(), source.value(), h)), source);
    listener.deadLettered(reason);
    log.info("{}-{}@{}: dead-lettered ({}): {}", source.topic(), source.partition(), source.offset(), reason, detail);
  }

  /** Sends and waits for every acknowledgement, trying again until Kafka takes them or the gateway stops. */
  private void send(List<ProducerRecord<byte[], byte[]>> records, ConsumerRecord<byte[], byte[]> source)
      throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
      for (ProducerRecord<byte[], byte[]> r : records) {
        acks.add(producer.send(r));
      }
      try {
        for (Future<RecordMetadata> ack : acks) {
          ack.get();
        }
        return;
      } catch (ExecutionException e) {
        Duration pause = backoff(attempt);
        log.warn("{}-{}@{}: publishing failed ({}); trying again in {} ms", source.topic(), source.partition(),
            source.offset(), e.getCause().toString(), pause.toMillis());
        Thread.sleep(pause);
      }
    }
  }

  private static RecordHeaders sourceHeaders(ConsumerRecord<byte[], byte[]> source) {
    RecordHeaders h = new RecordHeaders();
    h.add(Headers.SOURCE_TOPIC, bytes(source.topic()));
    h.add(Headers.SOURCE_PARTITION, bytes(Integer.toString(source.partition())));
    h.add(Headers.SOURCE_OFFSET, bytes(Long.toString(source.offset())));
    return h;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
