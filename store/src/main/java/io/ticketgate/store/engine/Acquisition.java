package io.ticketgate.store.engine;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.backend.Issued;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One ticket waiting to be served.
 *
 * <p>Looks at the store are single-flight: {@link #poke()} starts a look when none is running and
 * otherwise marks the running one stale, so it runs once more when it ends. A poke therefore never
 * gets lost and never piles up. Issuing the ticket is the first look. Between looks, one timer waits
 * for whichever comes first: the head ticket's expiry, this ticket's own expiry, the recheck
 * interval, or the deadline.
 *
 * <p>Ticket numbers are reused once the last live ticket expires (Rasa's numbering), so a number
 * alone does not identify this ticket for ever. The waiter keeps a lower bound of its ticket's
 * expiry ({@link ExpiryBound}, by the store's clock): once that has passed, whatever the store
 * shows under this number may be someone else's ticket, so the waiter neither accepts being served
 * on it nor gives it back.
 *
 * <p>Looks complete on whatever thread the store answers on (a Redis I/O thread, for instance), so
 * nothing here blocks: giving a ticket back and handing the turn over run on the store's executor.
 */
final class Acquisition implements Renewable {

  private static final int IDLE = 0;
  private static final int LOOKING = 1;
  private static final int LOOK_AGAIN = 2;
  private static final int DONE = 3;

  final String conversationId;
  /** Set once the store has issued it; until then the issue is the look in flight. */
  volatile int ticket = -1;
  private final TurnEngine engine;
  private final Clock clock;
  private final Duration lifetime;
  private final long requestedNanos;
  private final long deadlineNanos;
  private final CompletableFuture<HeldLock> result;
  /** Completes with the number once issued; always before {@link #result}. */
  private final CompletableFuture<Integer> issuedTicket;
  /** Starts as LOOKING: issuing the ticket is the first look. */
  private final AtomicInteger state = new AtomicInteger(LOOKING);
  private volatile ScheduledFuture<?> timer;
  private volatile TicketStatus last;
  /**
   * The thread asking the store for the ticket inside {@link #issue}. A turn served on that thread
   * (an uncontended in-memory turn) is handed over inline: that thread is the caller itself, not an
   * I/O thread nor a releasing holder.
   */
  private volatile Thread requester;
  /** The turn this wait was served with, once it was. */
  private volatile RealHeldLock servedTurn;
  /** The release a hand-over owes the store for the ticket ahead, or null ({@link #owes}). */
  private volatile OwedRelease owedAhead;
  /** The caller takes its turn on the thread that served it ({@link TurnEngine#handOverHere}). */
  private final boolean onServingThread;
  private final ExpiryBound expiry;

  /**
   * Serves {@code request}, whose ticket the backend is about to issue: the engine registers it and
   * then asks the backend. Its deadline counts from now.
   *
   * @param issueRequestedAtMillis when the issue is sent, by the store's clock: its expiry's lower bound
   */
  Acquisition(TurnEngine engine, RealLockRequest request, long issueRequestedAtMillis) {
    this.engine = engine;
    this.clock = engine.clock();
    this.conversationId = request.conversationId();
    this.lifetime = request.lifetime;
    this.requestedNanos = request.requestedNanos;
    this.deadlineNanos = request.maxWait == null ? Long.MAX_VALUE
        : Durations.saturatedAdd(System.nanoTime(), Durations.nanos(request.maxWait));
    this.result = request.served();
    this.onServingThread = request.onServingThread;
    this.issuedTicket = request.issued();
    this.expiry = new ExpiryBound(clock, lifetime, issueRequestedAtMillis);
    request.started();
  }

  /**
   * Asks the store for the ticket with {@code issue} (issuing is the first look) and carries on as
   * its answer says. A turn served before {@code issue} returns is completed on this thread.
   */
  void issue(java.util.function.Supplier<CompletionStage<Issued>> issue) {
    requester = Thread.currentThread();
    CompletionStage<Issued> answer;
    try {
      answer = issue.get();
    } catch (RuntimeException e) {
      answer = CompletableFuture.failedFuture(e);
    }
    answer.whenComplete((i, error) -> {
      if (error != null) {
        issueFailed(Await.asLockException(conversationId, "could not issue a ticket", error));
      } else {
        issued(i);
      }
    });
    requester = null;
  }

  /**
   * The store issued the ticket and looked where it stands: continue as after any look, then
   * announce the number. A waiting ticket's first answer is taken (the waiter is idle or looking
   * again) before its caller hears of the issue, so what the caller does next, such as releasing
   * the turn ahead, meets a settled waiter; when the wait ends at once, {@link #announceIssue}
   * runs first, since the number is announced before the turn.
   */
  void issued(Issued issued) {
    ticket = issued.ticket();
    engine.track(this);
    onStatus(issued.status(), null);
    announceIssue();
    // Any completion but the hand-over (cancel, orTimeout, complete by the caller) must give the
    // ticket back; after a hand-over or a failure the acquisition is done and ignores the poke.
    result.whenComplete((held, e) -> poke());
  }

  /** No ticket was issued, so there is nothing to give back. */
  void issueFailed(LockException e) {
    issuedTicket.completeExceptionally(e);
    if (markDone()) {
      result.completeExceptionally(e);
    }
  }

  /** Completes {@link #issuedTicket} once, before the wait's result: {@link io.ticketgate.store.LockRequest#issued} promises that order. */
  private void announceIssue() {
    int t = ticket;
    if (t >= 0) {
      issuedTicket.complete(t);
    }
  }

  /** Asks for a look at the store; cheap and safe from any thread. */
  void poke() {
    for (;;) {
      int s = state.get();
      if (s == IDLE) {
        if (state.compareAndSet(IDLE, LOOKING)) {
          look();
          return;
        }
      } else if (s == LOOKING) {
        if (state.compareAndSet(LOOKING, LOOK_AGAIN)) {
          return;
        }
      } else {
        return;
      }
    }
  }

  /**
   * The release of the ticket ahead that a hand-over will send after serving this one: the turn
   * this wait becomes sends it first, before any command of its own. Set before the hand-over's
   * {@link #offer}, by the releasing thread.
   */
  void owes(OwedRelease release) {
    owedAhead = release;
  }

  /**
   * Where this ticket stands, as the release that handed the turn over saw it in the same atomic
   * step: taken as the answer of a look when none is running. A look that is running may have read
   * the store before that release, so it is asked to run once more instead.
   */
  void offer(TicketStatus status) {
    if (state.compareAndSet(IDLE, LOOKING)) {
      look(status);
    } else {
      poke();
    }
  }

  private void look() {
    look(null);
  }

  /** @param known where the ticket stands, already read; null to ask the store */
  private void look(TicketStatus known) {
    cancelTimer();
    if (result.isDone()) {
      // Cancelled, or completed by the caller (orTimeout, complete): give the ticket back.
      if (markDone() && !isLocallyExpired()) {
        OwedRelease.sendFirst(owedAhead); // the ticket ahead's release first, as for a turn's own commands
        engine.giveBackQuietly(conversationId, ticket, "the wait was abandoned", this::isLocallyExpired);
      }
      return;
    }
    if (isLocallyExpired()) {
      fail(expired(), false);
      return;
    }
    if (deadlineNanos != Long.MAX_VALUE && System.nanoTime() - deadlineNanos >= 0) {
      fail(new LockException(LockException.Reason.TIMED_OUT, conversationId, "gave up waiting for ticket " + ticket
          + " after " + Duration.ofNanos(System.nanoTime() - requestedNanos).toMillis() + " ms" + describeQueue(), null),
          true);
      return;
    }
    if (known != null) {
      onStatus(known, null);
      return;
    }
    try {
      engine.backend().look(conversationId, ticket).whenComplete(this::onStatus);
    } catch (RuntimeException e) {
      onStatus(null, e);
    }
  }

  private void onStatus(TicketStatus status, Throwable error) {
    if (error != null) {
      fail(Await.asLockException(conversationId, "could not look up ticket " + ticket, error), true);
      return;
    }
    switch (status.kind()) {
      case SERVED -> {
        if (isLocallyExpired()) {
          fail(expired(), false); // the number being served may already be someone else's
        } else {
          serve(status.progress());
        }
      }
      // Gone: nothing to give back, and giving the number back could remove a reissued ticket.
      case GONE -> fail(expired(), false);
      case WAITING -> {
        last = status;
        if (!scheduleNextLook(status)) {
          return;
        }
        if (state.compareAndSet(LOOKING, IDLE)) {
          return;
        }
        // Poked while looking: the answer may be stale already. (Or DONE: failed meanwhile.)
        if (state.compareAndSet(LOOK_AGAIN, LOOKING)) {
          look();
        }
      }
    }
  }

  /**
   * Whether the head ticket the last look saw had expired by now. A release serves the waiter before
   * that instant (its pub/sub message or in-process signal pokes a look at once); a renewal moves the
   * head's expiry, which the look scheduled for the old instant sees. So being served at or after it
   * means the head was skipped because it expired.
   */
  private boolean aheadExpired() {
    TicketStatus s = last;
    return s != null && s.headExpiresAtMillis() > 0 && clock.millis() >= s.headExpiresAtMillis();
  }

  private LockException expired() {
    return new LockException(LockException.Reason.EXPIRED, conversationId,
        "ticket " + ticket + " expired before it was served" + describeQueue(), null);
  }

  /** @param progress the conversation's progress mark, as the look that served the ticket read it */
  private void serve(String progress) {
    if (!markDone()) {
      return; // failed meanwhile (the store was closed); that failure gave the ticket back
    }
    Duration waited = Duration.ofNanos(System.nanoTime() - requestedNanos);
    RealHeldLock held = new RealHeldLock(engine, conversationId, ticket, lifetime, waited, aheadExpired(), expiry,
        progress, owedAhead);
    servedTurn = held;
    engine.track(held);
    announceIssue();
    if (Thread.currentThread() == requester) {
      result.complete(held); // cannot be cancelled yet: lockAsync has not returned the future
    } else if (onServingThread) {
      engine.handOverHere(result, held);
    } else {
      engine.handOver(result, held);
    }
  }

  /**
   * The release that handed this wait its turn before the store confirmed it found the ticket not
   * served: gone (deleted from outside), or behind a ticket that appeared below it.
   * Another process may be served, so the turn is marked lost for its holder to see.
   */
  void servedWithoutTheStore() {
    RealHeldLock held = servedTurn;
    if (held != null) {
      held.lost(); // which logs it
    }
  }

  /** Fails the wait and gives the ticket back so it blocks nobody. */
  void fail(LockException e) {
    fail(e, !isLocallyExpired());
  }

  private void fail(LockException e, boolean giveBack) {
    if (!markDone()) {
      return;
    }
    announceIssue();
    result.completeExceptionally(e);
    if (giveBack && ticket >= 0) {
      engine.giveBackQuietly(conversationId, ticket, "a failed wait", this::isLocallyExpired);
    }
  }

  /** Ends this wait; true for the one caller that ended it. */
  private boolean markDone() {
    if (state.getAndSet(DONE) == DONE) {
      return false;
    }
    cancelTimer();
    engine.unregister(this);
    return true;
  }

  /** Schedules the next look; false (and the wait failed) when the store is closed. */
  private boolean scheduleNextLook(TicketStatus status) {
    LockException closed = new LockException(LockException.Reason.CLOSED, conversationId,
        "the lock store was closed while ticket " + ticket + " waited", null);
    if (engine.isClosed()) {
      fail(closed);
      return false;
    }
    long nowMillis = clock.millis();
    long delay = Durations.nanos(engine.recheckInterval());
    if (status.headExpiresAtMillis() > 0) {
      delay = Math.min(delay, untilAfter(status.headExpiresAtMillis(), nowMillis));
    }
    delay = Math.min(delay, untilAfter(expiry.expiresAtMillis(), nowMillis));
    if (deadlineNanos != Long.MAX_VALUE) {
      delay = Math.min(delay, Math.max(0, deadlineNanos - System.nanoTime()));
    }
    try {
      timer = engine.timer().schedule(this::poke, delay, TimeUnit.NANOSECONDS);
      return true;
    } catch (java.util.concurrent.RejectedExecutionException e) {
      fail(closed);
      return false;
    }
  }

  /** Nanoseconds until just after {@code atMillis}, when a ticket expiring then has expired (strictly). */
  private static long untilAfter(long atMillis, long nowMillis) {
    long millis = Math.max(0, atMillis - nowMillis + 1);
    return millis > Long.MAX_VALUE / 1_000_000L ? Long.MAX_VALUE : millis * 1_000_000L;
  }

  private void cancelTimer() {
    ScheduledFuture<?> t = timer;
    if (t != null) {
      t.cancel(false);
      timer = null;
    }
  }

  private String describeQueue() {
    TicketStatus s = last;
    return s == null ? "" : " (" + s.ahead() + " ticket(s) ahead, now serving " + s.nowServing() + ")";
  }

  @Override
  public String conversationId() {
    return conversationId;
  }

  @Override
  public int ticket() {
    return ticket;
  }

  @Override
  public Duration lifetime() {
    return lifetime;
  }

  @Override
  public boolean isLocallyExpired() {
    return expiry.hasPassed();
  }

  @Override
  public void renewed(long requestedAtMillis) {
    expiry.renewed(requestedAtMillis);
  }

  @Override
  public void lost() {
    poke(); // the look finds the ticket gone and fails the wait with a clear message
  }
}
