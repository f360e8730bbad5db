package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.DeadLetterReasons;
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
import org.slf4j.MDC;

/**
 * One consumed record, from its ticket to its finished offset, on a virtual thread of its own.
 *
 * <p>Order within a conversation comes from {@link #previous}, the job of the record consumed before
 * this one (same conversation, this process):
 * <ul>
 *   <li>this job asks for its ticket only once the previous job's {@link Turn#served} completed (it
 *       was served, or gave up), queued behind the previous job's held ticket
 *       ({@link io.ticketgate.store.LockStore#requestAfter}): that ticket's release issues this one
 *       in the same store call and, unless another process queued in between, serves it. So tickets
 *       are issued in the order records were consumed, a job that must take a new ticket (its first
 *       one expired, the store failed) cannot be overtaken by the record behind it, and a turn
 *       passes to the next record of the conversation in one store call;
 *   <li>once served, it also waits until the previous job is {@link #done} before it starts. Normally
 *       that costs nothing (the previous job's release is what served us); it matters when the
 *       previous job's ticket expired while it still worked (the process was paused, the store was
 *       down): the store then serves us, but the conversation is still ours to finish in order;
 *   <li>when the bot refuses this job's ticket as fenced (a newer holder had the turn meanwhile),
 *       or the held ticket may have expired before a bot call ({@link HeldLock#isLost()}: the process
 *       was paused past its lifetime), and the partition is still ours, the job gives its turn up
 *       ({@link Turn#superseded}) and takes a new ticket. A successor that based its ticket on the
 *       given-up turn gives back whatever it holds and starts over behind the new turn, so it can
 *       neither deadlock on a served ticket nor overtake.
 * </ul>
 *
 * <p>A started job whose bot call fails while the bot's circuit breaker is open (or opens it) waits
 * for the breaker, keeping its turn, instead of spending its retries ({@link #passBreaker}); the
 * next record of the conversation stays queued behind it, so the conversation's order holds.
 *
 * <p>States: QUEUED (waiting for its turn) → STARTED (holding the ticket, about to call the bot) →
 * done; QUEUED → CANCELLED when its partition is revoked or the gateway stops before it started; and
 * STARTED → QUEUED again after a fenced refusal.
 */
final class Job implements Runnable {

  private static final Logger log = LoggerFactory.getLogger(Job.class);

  static final int QUEUED = 0;
  static final int STARTED = 1;
  static final int CANCELLED = 2;

  /** The reason a 429 answer is dead-lettered with; its Retry-After does not hold the breaker open. */
  private static final String RATE_LIMITED = DeadLetterReasons.botHttp(429);
  private static final String ABANDONED_HOLD = "gave up waiting for the bot's circuit breaker (the gateway is stopping, "
      + "or the partition moved)";
  // hold: whether the job waits for the breaker; written by the job and, to abandon it, the poll thread.
  private static final int FREE = 0;
  private static final int HOLDING = 1;
  private static final int ABANDONED = 2;

  private final JobContext ctx;
  private final Assignment assignment;
  final ConsumerRecord<byte[], byte[]> record;
  private final RecordDecoder.Decoded decoded;
  /** This job's current turn; replaced when it is given up after a fenced refusal. */
  volatile Turn turn = new Turn();
  /** Completed when the job is over, whatever the outcome. */
  final CompletableFuture<Void> done = new CompletableFuture<>();
  /** The job of the previous record of the conversation in this process, or null; set before the job runs. */
  private volatile Job previous;
  /** Whether the record was finished (replies or dead letter acknowledged); read by the poll thread after {@link #done}. */
  private volatile boolean finished;
  private final AtomicInteger state = new AtomicInteger(QUEUED);
  /** FREE, HOLDING (waiting for the breaker) or ABANDONED (must not wait for it any more). */
  private final AtomicInteger hold = new AtomicInteger(FREE);
  /** Job thread only: the job ended because its hold was abandoned, for the log line. */
  private boolean gaveUpHolding;
  private volatile Thread thread;
  private volatile LockRequest request;
  /** From issue to service of the ticket that was finally served. */
  private Duration lockWait = Duration.ZERO;

  /**
   * One turn of a job. {@code served} completes when the job starts with it (with its held ticket),
   * or gives up (with null); the next job of the conversation asks for its ticket only then, queued
   * behind that held ticket. {@code superseded} completes when the job gave this turn up to take a
   * new ticket, telling the next job to start over behind the new turn.
   */
  static final class Turn {
    final CompletableFuture<HeldLock> served = new CompletableFuture<>();
    final CompletableFuture<Void> superseded = new CompletableFuture<>();
  }

  Job(JobContext ctx, Assignment assignment, ConsumerRecord<byte[], byte[]> record, RecordDecoder.Decoded decoded) {
    this.ctx = ctx;
    this.assignment = assignment;
    this.record = record;
    this.decoded = decoded;
  }

  /** Poll thread, before the job runs: the job of the conversation's previous record here, or null. */
  void follow(Job previous) {
    this.previous = previous;
  }

  /**
   * Whether the record is finished: its replies (or its dead letter) were acknowledged and its ticket
   * released, so its offset may be committed. Meaningful once the job has posted itself to the
   * mailbox.
   */
  boolean finished() {
    return finished;
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
    // The job's own virtual thread: every line it logs carries the record (JSON logs show the MDC).
    MDC.put("topic", record.topic());
    MDC.put("partition", Integer.toString(record.partition()));
    MDC.put("offset", Long.toString(record.offset()));
    String conversation = conversationId();
    if (conversation != null) {
      MDC.put("conversation", conversation);
    }
    try {
      if (decoded instanceof Rejected r) {
        ctx.publisher().deadLetter(record, r.reason(), r.detail(), null);
        finished = true;
        return;
      }
      finished = handle((Message) decoded);
    } catch (InterruptedException e) {
      if (gaveUpHolding) {
        log.info("{}: {}; its ticket is given back and the record will be delivered again", source(), ABANDONED_HOLD);
      } else if (state.get() != CANCELLED) {
        log.info("{}: interrupted (the gateway is stopping, or the partition moved after revocation_timeout); "
            + "its ticket is given back and the record will be delivered again", source());
      }
    } catch (RuntimeException | Error e) {
      finished = deadLetterAfterBug(e);
    } finally {
      if (state.get() == CANCELLED) {
        ctx.listener().droppedOnRevoke();
        log.debug("{}: dropped before it started; its partition's next owner delivers it again", source());
      }
      turn.served.complete(null);
      this.finished = finished;
      // Posted before done completes: whoever waits for done finds the job in the mailbox.
      ctx.mailbox().post(this);
      done.complete(null);
      // A busy conversation would otherwise chain every finished job to the live one.
      previous = null;
      MDC.clear();
    }
  }

  private boolean handle(Message m) throws InterruptedException {
    int fencings = 0;
    while (true) {
      HeldLock held = awaitTurn(m);
      if (held == null) {
        return false;
      }
      MDC.put("ticket", Integer.toString(held.ticket()));
      long servedAt = System.nanoTime();
      Outcome outcome;
      String progress = null; // recorded with the release once the record's outcome is published
      try {
        if (ProgressMark.covers(held.progress(), record)) {
          // A crash between the answer and the commit sent it again; the conversation's last release says
          // its replies were acknowledged already.
          ctx.listener().skippedDuplicate();
          log.info("{}: already answered (the conversation's progress mark is {}); not sent to the bot again",
              source(), held.progress());
          return true;
        }
        outcome = dispatch(m, held);
        if (!outcome.fenced) {
          if (outcome.replies != null) {
            ctx.publisher().replies(record, m.conversationId(), outcome.replies, held.ticket(), lockWait);
            ctx.listener().replied();
          } else {
            ctx.publisher().deadLetter(record, outcome.reason, outcome.detail, held.ticket());
          }
          progress = ProgressMark.of(record);
          return true;
        }
      } finally {
        // An interrupt held off while the replies were acknowledged must not cut this release short: it
        // records the mark that tells the conversation's next turn, in any replica, the record is answered.
        boolean interrupted = progress != null && Thread.interrupted();
        release(held, progress);
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
        ctx.listener().lockHold(Duration.ofNanos(System.nanoTime() - servedAt));
      }
      ctx.listener().fenced();
      fencings++;
      // A bot answering "fenced" to everything would otherwise keep this conversation busy for ever.
      int maxFencings = ctx.retries() + 1;
      if (fencings >= maxFencings && assignment.owned()) {
        // A turn lost before the call ends as a fenced refusal does, under the dead-letter reason the README lists.
        String reason = BotException.TURN_LOST.equals(outcome.reason) ? DeadLetterReasons.BOT_FENCED : outcome.reason;
        ctx.publisher().deadLetter(record, reason, "refused as fenced " + fencings + " times, each time with a new "
            + "ticket: " + outcome.detail, held.ticket());
        return true;
      }
      String why = BotException.TURN_LOST.equals(outcome.reason) ? outcome.detail
          : "the bot refused ticket " + held.ticket() + " as fenced";
      if (!requeue()) {
        log.warn("{}: {} and the partition has moved to another replica, which delivers the record again; dropping "
            + "it here", source(), why);
        return false;
      }
      log.warn("{}: {} (another holder may have had the turn meanwhile, for instance while this process was "
          + "paused); taking a new ticket", source(), why);
    }
  }

  /**
   * Gives the turn up after a fenced refusal, so the job can take a new ticket: STARTED → QUEUED,
   * and a successor that based its ticket on the old turn starts over.
   *
   * @return false when the partition is no longer this replica's (the job is then cancelled)
   */
  private boolean requeue() {
    if (!state.compareAndSet(STARTED, QUEUED)) {
      return false;
    }
    Turn old = turn;
    turn = new Turn();
    old.superseded.complete(null);
    // QUEUED first, then the ownership check: the poll thread cancels a revoked partition's queued jobs
    // before it forgets the partition, so one of the two sees the other.
    if (!assignment.owned()) {
      state.compareAndSet(QUEUED, CANCELLED);
      return false;
    }
    return true;
  }

  /**
   * Waits for the previous job's turn, takes a ticket, waits until it is served and the previous job
   * is done, and moves to STARTED.
   *
   * @return the held ticket, or null when the job was cancelled (its partition moved, the gateway stops)
   */
  private HeldLock awaitTurn(Message m) throws InterruptedException {
    ctx.waiting().incrementAndGet();
    try {
      while (true) {
        Job before = previous;
        Turn basis = before == null ? null : before.turn;
        HeldLock ahead = basis == null ? null : await(basis.served);
        HeldLock held = acquire(m, basis, ahead);
        if (held == null) {
          if (state.get() != QUEUED) {
            return null;
          }
          continue; // the previous job gave its turn up: start over behind its new one
        }
        if (before != null) {
          try {
            awaitEither(before.done, basis.superseded);
          } catch (InterruptedException e) {
            release(held);
            throw e;
          }
          if (!before.done.isDone()) {
            release(held);
            continue;
          }
        }
        // A job never starts for a partition this replica no longer owns: the new owner delivers it.
        if (!assignment.owned()) {
          state.compareAndSet(QUEUED, CANCELLED);
        }
        if (!state.compareAndSet(QUEUED, STARTED)) {
          release(held);
          return null;
        }
        turn.served.complete(held);
        return held;
      }
    } finally {
      ctx.waiting().decrementAndGet();
    }
  }

  private static <T> T await(CompletableFuture<T> future) throws InterruptedException {
    try {
      return future.get();
    } catch (ExecutionException e) {
      throw new IllegalStateException("a turn never fails", e);
    }
  }

  /** Blocks until either future completes, in whatever way. */
  private static void awaitEither(CompletableFuture<?> a, CompletableFuture<?> b) throws InterruptedException {
    if (a.isDone() || b.isDone()) {
      return; // the usual case: no future and no callbacks per record
    }
    CompletableFuture<Void> either = new CompletableFuture<>();
    a.whenComplete((v, e) -> either.complete(null));
    b.whenComplete((v, e) -> either.complete(null));
    await(either);
  }

  /**
   * Takes a ticket and waits for it, trying again with a new ticket when the store fails. The first
   * ticket is queued behind {@code ahead}, the previous job's held ticket, so that its release
   * issues this one and the turn passes in one store call.
   *
   * @param basis the previous job's turn this ticket follows, or null
   * @param ahead the ticket {@code basis} was served with, or null
   * @return the held ticket; null when the job was cancelled or {@code basis} was given up
   */
  private HeldLock acquire(Message m, Turn basis, HeldLock ahead) throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      if (state.get() != QUEUED || basis != null && basis.superseded.isDone()) {
        return null;
      }
      long requestedAt = System.nanoTime();
      // This job's thread only blocks on the request's futures (its one dependent completes a
      // future), so the store hands the turn over on the thread that served it: the releasing
      // job's, or the Redis client's, with no thread started per turn.
      LockRequest r = ahead != null && attempt == 1
          ? ctx.store().requestAfter(ahead, ctx.lifetime(), ctx.lockMaxWait(), LockRequest.Completion.SERVING_THREAD)
          : ctx.store().request(m.conversationId(), ctx.lifetime(), ctx.lockMaxWait(),
              LockRequest.Completion.SERVING_THREAD);
      request = r;
      if (state.get() != QUEUED) {
        r.cancel();
        return null;
      }
      try {
        r.issued().get();
        ctx.listener().ticketIssued();
        if (basis != null) {
          awaitEither(r.served(), basis.superseded);
          if (!r.served().isDone()) {
            if (!r.cancel()) {
              giveBackIfServed(r);
            }
            return null;
          }
        }
        HeldLock held = r.served().get();
        lockWait = Duration.ofNanos(System.nanoTime() - requestedAt);
        ctx.listener().lockWait(lockWait);
        if (held.aheadExpired()) {
          ctx.listener().servedAfterExpiry(lockWait);
        }
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
          ctx.listener().ticketExpired();
        }
        Duration pause = ctx.backoff().store(attempt);
        log.warn("{}: {}; taking a new ticket in {} ms (attempt {})", source(), le.getMessage(), pause.toMillis(), attempt + 1);
        ctx.clock().sleep(pause);
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

  /** What the bot's answer amounted to: replies to publish, a dead letter, or a fenced refusal. */
  private record Outcome(List<BotReply> replies, String reason, String detail, boolean fenced) {}

  /**
   * Calls the bot until it answers, the record's retries are spent while the breaker is closed, or
   * the turn is lost.
   *
   * <p>The retry budget ({@code retries}) counts only failures after which the breaker stayed
   * closed: a failure that finds the breaker open, or opens it, holds the record instead
   * ({@link #passBreaker}), and once the breaker lets calls through again the record goes on with
   * what was left of its budget. So an outage dead-letters nothing, while a record the bot keeps
   * failing although it answers others still goes to the dead-letter topic.
   */
  private Outcome dispatch(Message m, HeldLock held) throws InterruptedException {
    BotRequest.SourceRecord source = new BotRequest.SourceRecord(record.topic(), record.partition(), record.offset());
    int maxAttempts = ctx.retries() + 1;
    int failuresWhileClosed = 0;
    for (int attempt = 1; ; attempt++) {
      BotBreaker.Permit permit = passBreaker(held);
      boolean judged = false; // every permit gets a verdict, or is handed back in the finally
      try {
        BotRequest req = new BotRequest(m.conversationId(), m.text(), m.metadata(), held.ticket(), source, attempt);
        long call = ctx.limiter().acquire(); // first: waiting for a free call may take a while
        if (held.isLost()) {
          // Paused (GC, SIGSTOP, a frozen VM) or cut off from the store past the ticket's lifetime: the
          // turn may be another holder's by now, and a bot that has not yet seen that holder's higher
          // ticket would accept this call and overlap it. Give the turn up as if fenced.
          ctx.limiter().abandon(call);
          return new Outcome(null, BotException.TURN_LOST, "ticket " + held.ticket() + " may have expired before bot call "
              + attempt + " (this process was paused or could not renew it)", true);
        }
        long start = System.nanoTime();
        try {
          List<BotReply> replies = callBot(req, held, call, start);
          ctx.breaker().succeeded(permit);
          judged = true;
          ctx.listener().botCall(Duration.ofNanos(System.nanoTime() - start), BotCallOutcome.OK);
          return new Outcome(replies == null ? List.of() : replies, null, null, false);
        } catch (BotException e) {
          if (Thread.currentThread().isInterrupted()) {
            throw new InterruptedException("interrupted during a bot call: " + e.getMessage());
          }
          if (e.isTurnLost()) {
            // As the check above, made by the handler as its request was about to leave: nothing reached the
            // bot, so there is no call to count and nothing to tell the breaker (the permit goes back unjudged).
            return new Outcome(null, BotException.TURN_LOST, e.getMessage(), true);
          }
          Duration took = Duration.ofNanos(System.nanoTime() - start);
          if (e.isFenced()) {
            ctx.breaker().succeeded(permit); // the bot answered: it is up
            judged = true;
            ctx.listener().botCall(took, BotCallOutcome.FENCED);
            return new Outcome(null, e.reason(), e.getMessage(), true);
          }
          if (!e.isRetryable()) {
            ctx.breaker().succeeded(permit); // a 4xx or an unreadable answer is the message's problem, not an outage
            judged = true;
            ctx.listener().botCall(took, BotCallOutcome.PERMANENT_ERROR);
            return new Outcome(null, e.reason(), e.getMessage(), false);
          }
          Duration retryAfter = e.retryAfter().orElse(null);
          boolean holding;
          if (e.indicatesOutage()) {
            // A 429's Retry-After paces this call only: the bot is up, just busy. A 503's holds the breaker open.
            holding = ctx.breaker().failed(permit, RATE_LIMITED.equals(e.reason()) ? null : retryAfter);
          } else {
            // A 500: the bot is up and failed on this message, which its own budget settles. Counting it
            // would let one message the bot keeps failing open the breaker and stop every conversation.
            ctx.breaker().succeeded(permit);
            holding = false;
          }
          judged = true;
          ctx.listener().botCall(took, BotCallOutcome.RETRYABLE_ERROR);
          if (!holding) {
            failuresWhileClosed++;
            if (failuresWhileClosed >= maxAttempts) {
              return new Outcome(null, e.reason(), "gave up after " + attempt + " attempts: " + e.getMessage(), false);
            }
          }
          ctx.listener().retried();
          Duration pause = holding ? ctx.backoff().retryAfter(retryAfter)
              : ctx.backoff().bot(failuresWhileClosed, retryAfter);
          if (holding) {
            log.info("{}: bot call {} failed ({}) and the bot's circuit breaker is open; holding the record with "
                + "ticket {} until it lets a call through", source(), attempt, e.getMessage(), held.ticket());
          } else {
            log.info("{}: bot call {} failed ({}); retrying in {} ms ({} of {} retries left), keeping ticket {}",
                source(), attempt, e.getMessage(), pause.toMillis(), maxAttempts - failuresWhileClosed, maxAttempts - 1,
                held.ticket());
          }
          if (pause.isPositive()) {
            ctx.clock().sleep(pause);
          }
          renew(held);
        } catch (RuntimeException e) {
          // A Java handler's bug or a bad answer it could not map: retrying repeats it. Nothing learnt about the
          // bot's health either, so the permit goes back unjudged.
          ctx.listener().botCall(Duration.ofNanos(System.nanoTime() - start), BotCallOutcome.PERMANENT_ERROR);
          log.warn("{}: the bot handler threw {}", source(), e.toString(), e);
          return new Outcome(null, DeadLetterReasons.BOT_ERROR, e.toString(), false);
        }
      } finally {
        if (!judged) {
          ctx.breaker().abandoned(permit);
        }
      }
    }
  }

  /**
   * Calls the bot, which checks {@code held} once more right before its request leaves; the
   * concurrency limit's permit, taken just before {@code start}, goes back as soon as the call ends,
   * with how long it took, so a retry's backoff holds none.
   */
  private List<BotReply> callBot(BotRequest req, HeldLock held, long call, long start) throws BotException {
    boolean overloaded = false;
    boolean sent = true;
    try {
      return ctx.bot().handle(req, held::isLost);
    } catch (BotException e) {
      overloaded = e.indicatesOutage(); // a timeout, an unreachable bot, 429, 502, 503 or 504
      sent = !e.isTurnLost();
      throw e;
    } finally {
      if (sent) {
        ctx.limiter().release(call, System.nanoTime() - start, overloaded);
      } else {
        ctx.limiter().abandon(call); // nothing was sent: no round trip to learn from
      }
    }
  }

  /**
   * Waits, when the breaker is open, until it lets this record's call through, keeping the turn:
   * the ticket is renewed every third of its lifetime while waiting (keep-alive does so too, when
   * on), so a hold longer than the lock lifetime loses nothing. A turn lost anyway (the store was
   * unreachable past the lifetime, the process was paused) is found by the {@link HeldLock#isLost()}
   * check that follows.
   *
   * <p>Held records give up at once when the poll thread {@linkplain #abandonHold abandons} them (a
   * stop or a revocation): they have published nothing, their tickets are given back, and their
   * records are delivered again, as for any interrupted job.
   */
  private BotBreaker.Permit passBreaker(HeldLock held) throws InterruptedException {
    BotBreaker.Permit permit = ctx.breaker().tryAcquire();
    if (permit != null) {
      return permit; // the usual case
    }
    if (!hold.compareAndSet(FREE, HOLDING)) {
      gaveUpHolding = true;
      throw new InterruptedException(ABANDONED_HOLD);
    }
    log.debug("{}: the bot's circuit breaker is open; holding ticket {} until it lets a call through", source(),
        held.ticket());
    long renewEvery = Math.max(1, ctx.lifetime().toNanos() / 3);
    try {
      while ((permit = ctx.breaker().acquire(renewEvery)) == null) {
        renew(held);
      }
    } catch (InterruptedException e) {
      gaveUpHolding = !hold.compareAndSet(HOLDING, FREE);
      throw e;
    }
    if (!hold.compareAndSet(HOLDING, FREE)) {
      // Abandoned just as the breaker let us through: the poll thread's interrupt is on its way.
      ctx.breaker().abandoned(permit);
      gaveUpHolding = true;
      Thread.interrupted();
      throw new InterruptedException(ABANDONED_HOLD);
    }
    return permit;
  }

  /**
   * Poll thread, at a stop or when the partition is revoked: a record held by the breaker stops
   * waiting now, and one that would be held later gives up instead. A job calling the bot is left
   * alone: it finishes, or is interrupted after the timeout, as before.
   */
  void abandonHold() {
    if (hold.getAndSet(ABANDONED) == HOLDING) {
      interrupt();
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
    release(held, null);
  }

  /** Gives the turn back, recording {@code progress} (or nothing, when null) for the conversation's next turn. */
  private void release(HeldLock held, String progress) {
    try {
      held.close(progress);
    } catch (LockException e) {
      log.warn("{}: could not release ticket {} (the store keeps trying until it expires): {}", source(), held.ticket(), e.getMessage());
    }
  }

  private boolean deadLetterAfterBug(Throwable e) {
    log.error("{}: unexpected failure; sending the record to the dead-letter topic", source(), e);
    try {
      ctx.publisher().deadLetter(record, DeadLetterReasons.INTERNAL_ERROR, e.toString(), null);
      return true;
    } catch (InterruptedException | RuntimeException again) {
      log.error("{}: could not dead-letter it either; it stays uncommitted and is delivered again after a restart",
          source(), again);
      return false;
    }
  }

  String source() {
    String id = conversationId();
    return describe(record) + (id == null ? "" : " (conversation '" + id + "')");
  }

  /** How logs name a record: {@code topic-partition@offset}. */
  static String describe(ConsumerRecord<?, ?> record) {
    return record.topic() + "-" + record.partition() + "@" + record.offset();
  }
}
