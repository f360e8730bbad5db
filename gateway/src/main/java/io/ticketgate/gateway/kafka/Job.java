package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.kafka.RecordDecoder.Message;
import io.ticketgate.gateway.kafka.RecordDecoder.Rejected;
import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockRequest;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One consumed record, from its ticket to its finished offset, on a virtual thread of its own.
 *
 * <p>Order within a conversation comes from {@link #previousTurn}: the job of the record consumed
 * before this one (same conversation, this process) completes it once it is served, and only then
 * does this job take its ticket. So tickets are issued in the order records were consumed, a job
 * that must take a new ticket (its first one expired, the store failed) cannot be overtaken by the
 * record behind it, and a waiting ticket is still queued in the store while its predecessor talks to
 * the bot, so the hand-over costs no extra round trip.
 *
 * <p>States: QUEUED (waiting for its turn) → STARTED (holding the ticket) → done; or QUEUED →
 * CANCELLED when its partition is revoked or the gateway stops before it started.
 */
final class Job implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(KafkaPipeline.class);

  static final int QUEUED = 0;
  static final int STARTED = 1;
  static final int CANCELLED = 2;

  private final KafkaPipeline pipeline;
  final PartitionState partition;
  final ConsumerRecord<byte[], byte[]> record;
  private final RecordDecoder.Decoded decoded;
  /** Completed when this job has been served or gave up; the next job of the conversation waits on it. */
  final CompletableFuture<Void> turn = new CompletableFuture<>();
  /** Completed when the job is over, whatever the outcome. */
  final CompletableFuture<Void> done = new CompletableFuture<>();
  CompletableFuture<Void> previousTurn;
  private final AtomicInteger state = new AtomicInteger(QUEUED);
  private volatile Thread thread;
  private volatile LockRequest request;
  /** From issue to service of the ticket that was finally served. */
  private Duration lockWait = Duration.ZERO;

  Job(KafkaPipeline pipeline, PartitionState partition, ConsumerRecord<byte[], byte[]> record, RecordDecoder.Decoded decoded) {
    this.pipeline = pipeline;
    this.partition = partition;
    this.record = record;
    this.decoded = decoded;
  }

  String conversationId() {
    return decoded instanceof Message m ? m.conversationId() : null;
  }

  /**
   * First half of cancelling: the job can no longer start. Done for every job of a partition before
   * any is stopped ({@link #stopCancelled}), because stopping a job completes its turn, and a
   * successor not yet marked could then take its ticket and start ahead of records that will be
   * delivered again.
   *
   * @return true when this call cancelled it, false when it had started (or was cancelled before)
   */
  boolean markCancelled() {
    return state.compareAndSet(QUEUED, CANCELLED);
  }

  /** Second half of cancelling: gives its ticket back at once and breaks its waits. */
  void stopCancelled() {
    LockRequest r = request;
    if (r != null) {
      r.cancel();
    }
    interrupt(); // breaks a wait for the previous turn or a backoff sleep
  }

  /** Interrupts the job's thread: a started job stops its bot call or backoff and releases its ticket. */
  void interrupt() {
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  @Override
  public void run() {
    thread = Thread.currentThread();
    boolean finished = false;
    try {
      if (decoded instanceof Rejected r) {
        pipeline.deadLetter(record, r.reason(), r.detail(), null);
        finished = true;
        return;
      }
      finished = handle((Message) decoded);
    } catch (InterruptedException e) {
      if (state.get() != CANCELLED) {
        log.info("{}: interrupted while the gateway is stopping; it will be delivered again", source());
      }
    } catch (RuntimeException | Error e) {
      finished = deadLetterAfterBug(e);
    } finally {
      if (state.get() == CANCELLED) {
        pipeline.listener.droppedOnRevoke();
        log.debug("{}: dropped before it started; its partition's next owner delivers it again", source());
      }
      turn.complete(null);
      String id = conversationId();
      if (id != null) {
        pipeline.turns.remove(id, turn);
      }
      pipeline.jobFinished(this, finished);
      done.complete(null);
    }
  }

  private boolean handle(Message m) throws InterruptedException {
    HeldLock held;
    pipeline.waiting.incrementAndGet();
    try {
      if (previousTurn != null) {
        try {
          previousTurn.get();
        } catch (ExecutionException e) {
          throw new IllegalStateException("a previous turn never fails", e);
        }
      }
      held = acquire(m);
    } finally {
      pipeline.waiting.decrementAndGet();
    }
    if (held == null || !state.compareAndSet(QUEUED, STARTED)) {
      if (held != null) {
        release(held);
      }
      return false;
    }
    turn.complete(null);
    long servedAt = System.nanoTime();
    try {
      Outcome outcome = dispatch(m, held);
      if (outcome.replies != null) {
        pipeline.publishReplies(record, m.conversationId(), outcome.replies, held.ticket(), lockWait);
        pipeline.listener.replied();
      } else {
        pipeline.deadLetter(record, outcome.reason, outcome.detail, held.ticket());
      }
      return true;
    } finally {
      release(held);
      pipeline.listener.lockHold(Duration.ofNanos(System.nanoTime() - servedAt));
    }
  }

  /** Takes a ticket and waits for it, trying again with a new ticket when the store fails; null when cancelled. */
  private HeldLock acquire(Message m) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      if (state.get() != QUEUED) {
        return null;
      }
      LockRequest r = pipeline.store.request(m.conversationId(), pipeline.lifetime, pipeline.dispatch.lockMaxWait());
      request = r;
      if (state.get() != QUEUED) {
        r.cancel();
        return null;
      }
      try {
        r.issued().get();
        pipeline.listener.ticketIssued();
        long issuedAt = System.nanoTime();
        HeldLock held = r.served().get();
        lockWait = Duration.ofNanos(System.nanoTime() - issuedAt);
        pipeline.listener.lockWait(lockWait);
        return held;
      } catch (CancellationException e) {
        return null;
      } catch (InterruptedException e) {
        if (!r.cancel()) {
          giveBackIfServed(r); // served just as we were interrupted: the turn must not leak
        }
        throw e;
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof LockException le)) {
          throw new IllegalStateException("lock request failed unexpectedly", e.getCause());
        }
        if (le.reason() == LockException.Reason.CANCELLED || le.reason() == LockException.Reason.CLOSED) {
          return null;
        }
        if (le.reason() == LockException.Reason.EXPIRED) {
          pipeline.listener.ticketExpired();
        }
        Duration pause = pipeline.backoff(attempt);
        log.warn("{}: {}; taking a new ticket in {} ms (attempt {})", source(), le.getMessage(), pause.toMillis(), attempt + 1);
        Thread.sleep(pause);
      }
    }
  }

  private void giveBackIfServed(LockRequest r) {
    HeldLock held;
    try {
      held = r.served().getNow(null);
    } catch (CancellationException | java.util.concurrent.CompletionException e) {
      return; // failed or cancelled: there is no turn to give back
    }
    if (held != null) {
      release(held);
    }
  }

  /** What the bot's answer amounted to: replies to publish, or a dead letter. */
  private record Outcome(List<BotReply> replies, String reason, String detail) {}

  private Outcome dispatch(Message m, HeldLock held) throws InterruptedException {
    BotRequest.SourceRecord source = new BotRequest.SourceRecord(record.topic(), record.partition(), record.offset());
    int maxAttempts = pipeline.dispatch.retries() + 1;
    for (int attempt = 1; ; attempt++) {
      BotRequest req = new BotRequest(m.conversationId(), m.text(), m.metadata(), held.ticket(), source, attempt);
      long start = System.nanoTime();
      try {
        List<BotReply> replies = pipeline.bot.handle(req);
        pipeline.listener.botCall(Duration.ofNanos(System.nanoTime() - start), "ok");
        return new Outcome(replies == null ? List.of() : replies, null, null);
      } catch (BotException e) {
        if (Thread.currentThread().isInterrupted()) {
          throw new InterruptedException("interrupted during a bot call: " + e.getMessage());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);
        pipeline.listener.botCall(took, e.isRetryable() ? "retryable_error" : "permanent_error");
        if (!e.isRetryable()) {
          return new Outcome(null, e.reason(), e.getMessage());
        }
        if (attempt >= maxAttempts) {
          return new Outcome(null, e.reason(), "gave up after " + attempt + " attempts: " + e.getMessage());
        }
        pipeline.listener.retried();
        Duration pause = pipeline.backoff(attempt);
        log.info("{}: bot call {} of {} failed ({}); retrying in {} ms, keeping ticket {}", source(), attempt,
            maxAttempts, e.getMessage(), pause.toMillis(), held.ticket());
        Thread.sleep(pause);
        renew(held);
      } catch (RuntimeException e) {
        // A Java handler's bug or a bad answer it could not map: retrying repeats it.
        pipeline.listener.botCall(Duration.ofNanos(System.nanoTime() - start), "permanent_error");
        log.warn("{}: the bot handler threw {}", source(), e.toString(), e);
        return new Outcome(null, "bot_error", e.toString());
      }
    }
  }

  private void renew(HeldLock held) {
    try {
      held.renew();
    } catch (LockException e) {
      // Keep going: the ticket number still fences the bot against a newer holder.
      log.warn("{}: could not renew ticket {} between retries: {}", source(), held.ticket(), e.getMessage());
    }
  }

  private void release(HeldLock held) {
    try {
      held.close();
    } catch (LockException e) {
      log.warn("{}: could not release ticket {}; it expires by itself: {}", source(), held.ticket(), e.getMessage());
    }
  }

  private boolean deadLetterAfterBug(Throwable e) {
    log.error("{}: unexpected failure; sending the record to the dead-letter topic", source(), e);
    try {
      pipeline.deadLetter(record, "internal_error", e.toString(), null);
      return true;
    } catch (InterruptedException | RuntimeException again) {
      log.error("{}: could not dead-letter it either; it stays uncommitted and is delivered again after a restart",
          source(), again);
      return false;
    }
  }

  String source() {
    String id = conversationId();
    return record.topic() + "-" + record.partition() + "@" + record.offset() + (id == null ? "" : " (conversation '" + id + "')");
  }
}
