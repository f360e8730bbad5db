package io.ticketgate.store;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * One ticket waiting to be served.
 *
 * <p>Looks at the store are single-flight: {@link #poke()} starts a look when none is running and
 * otherwise marks the running one stale, so it runs once more when it ends. A poke therefore never
 * gets lost and never piles up. Between looks, one timer waits for whichever comes first: the head
 * ticket's expiry, the recheck interval, or the deadline.
 */
final class Acquisition implements Waiters.Renewable {

  private static final int IDLE = 0;
  private static final int LOOKING = 1;
  private static final int LOOK_AGAIN = 2;
  private static final int DONE = 3;

  final String conversationId;
  /** Set once the store has issued it; until then the issue is the look in flight. */
  volatile int ticket = -1;
  private final Waiters waiters;
  private final LockStore store;
  private final Duration lifetime;
  private final long requestedNanos;
  private final long deadlineNanos;
  private final CompletableFuture<HeldLock> result;
  /** Starts as LOOKING: issuing the ticket is the first look. */
  private final AtomicInteger state = new AtomicInteger(LOOKING);
  private volatile ScheduledFuture<?> timer;
  private volatile TicketStatus last;

  Acquisition(Waiters waiters, LockStore store, String conversationId, Duration lifetime,
      long requestedNanos, long deadlineNanos, CompletableFuture<HeldLock> result) {
    this.waiters = waiters;
    this.store = store;
    this.conversationId = conversationId;
    this.lifetime = lifetime;
    this.requestedNanos = requestedNanos;
    this.deadlineNanos = deadlineNanos;
    this.result = result;
  }

  /** The store issued the ticket and looked where it stands: continue as after any look. */
  void issued(LockStore.Issued issued) {
    ticket = issued.ticket();
    waiters.track(this);
    onStatus(issued.status(), null);
  }

  /** No ticket was issued, so there is nothing to give back. */
  void issueFailed(LockException e) {
    state.set(DONE);
    waiters.unregister(this);
    result.completeExceptionally(e);
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

  private void look() {
    cancelTimer();
    if (result.isDone()) {
      finish();
      waiters.releaseQuietly(conversationId, ticket, "the wait was cancelled");
      return;
    }
    if (System.nanoTime() - deadlineNanos >= 0 && deadlineNanos != Long.MAX_VALUE) {
      fail(new LockException(LockException.Reason.TIMED_OUT, conversationId, "gave up waiting for ticket " + ticket + " after "
          + Duration.ofNanos(System.nanoTime() - requestedNanos).toMillis() + " ms" + describeQueue(), null));
      return;
    }
    try {
      store.ticketStatusAsync(conversationId, ticket).whenComplete(this::onStatus);
    } catch (RuntimeException e) {
      onStatus(null, e);
    }
  }

  private void onStatus(TicketStatus status, Throwable error) {
    if (error != null) {
      fail(Waiters.asLockException(conversationId, "could not look up ticket " + ticket, error));
      return;
    }
    switch (status.kind()) {
      case SERVED -> serve();
      case GONE -> fail(new LockException(LockException.Reason.EXPIRED, conversationId,
          "ticket " + ticket + " expired before it was served" + describeQueue(), null));
      case WAITING -> {
        last = status;
        scheduleNextLook(status);
        if (!state.compareAndSet(LOOKING, IDLE)) {
          // Poked while looking: the answer may be stale already.
          state.set(LOOKING);
          look();
        }
      }
    }
  }

  private void serve() {
    finish();
    Duration waited = Duration.ofNanos(System.nanoTime() - requestedNanos);
    RealHeldLock held = new RealHeldLock(store, waiters, conversationId, ticket, lifetime, waited);
    waiters.track(held);
    if (!result.complete(held)) {
      held.close(); // cancelled while the last look ran
    }
  }

  /** Fails the wait and gives the ticket back so it blocks nobody until it expires. */
  void fail(LockException e) {
    if (state.getAndSet(DONE) == DONE) {
      return;
    }
    cancelTimer();
    waiters.unregister(this);
    result.completeExceptionally(e);
    waiters.releaseQuietly(conversationId, ticket, "a failed wait");
  }

  private void finish() {
    state.set(DONE);
    cancelTimer();
    waiters.unregister(this);
  }

  private void scheduleNextLook(TicketStatus status) {
    if (waiters.isClosed()) {
      return;
    }
    long now = System.nanoTime();
    long delay = store.options().recheckInterval().toNanos();
    if (status.headExpiresAtMillis() > 0) {
      long untilHeadExpires = (status.headExpiresAtMillis() - store.options().clock().millis() + 1) * 1_000_000L;
      delay = Math.min(delay, Math.max(0, untilHeadExpires));
    }
    if (deadlineNanos != Long.MAX_VALUE) {
      delay = Math.min(delay, Math.max(0, deadlineNanos - now));
    }
    try {
      timer = waiters.timer().schedule(this::poke, delay, TimeUnit.NANOSECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      fail(new LockException(LockException.Reason.CLOSED, conversationId, "the lock store was closed while ticket " + ticket + " waited", e));
    }
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
  public void lost() {
    poke(); // the look finds the ticket gone and fails the wait with a clear message
  }
}
