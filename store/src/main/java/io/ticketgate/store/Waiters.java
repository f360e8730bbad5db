package io.ticketgate.store;

import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The waiting engine behind {@link LockStore#lockAsync}: one per store.
 *
 * <p>Every ticket this process is waiting on is registered here under its conversation before its
 * first look at the store, so a release signalled at any moment after registration reaches it (no
 * lost wake-up). A wake-up only asks a waiter to look again; whether it is served is always decided
 * by the store, never by the signal.
 *
 * <p>Threads: one platform timer thread runs re-check timers and the keep-alive sweep and never
 * blocks on the store; store calls of synchronous stores run on virtual threads; asynchronous stores
 * complete on their client's threads, so waiters' continuations must not block (they don't: they
 * schedule or complete futures). Held and waiting tickets are renewed by {@link KeepAlive}.
 */
final class Waiters {

  private static final Logger log = LoggerFactory.getLogger(LockStore.class);

  private final LockStore store;
  /**
   * The waiting tickets of each conversation, as arrays replaced whole inside the map's atomic
   * {@code compute}: a conversation has one or a few waiters here, and a set per conversation cost a
   * concurrent map per message. {@link #wake} iterates whatever snapshot it reads.
   */
  private final ConcurrentHashMap<String, Acquisition[]> byConversation = new ConcurrentHashMap<>();
  /** Tickets this process holds or waits on; only used with keep-alive. */
  private final KeepAlive keepAlive = new KeepAlive(this::timer, this::renew, System::nanoTime);
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile ScheduledThreadPoolExecutor timer;
  private volatile ExecutorService executor;

  Waiters(LockStore store) {
    this.store = store;
  }

  /** Virtual threads for blocking store calls; created on first use so an idle store owns no threads. */
  ExecutorService executor() {
    ExecutorService e = executor;
    if (e == null) {
      synchronized (this) {
        if (executor == null) {
          executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ticketgate-lock-", 0).factory());
        }
        e = executor;
      }
    }
    return e;
  }

  ScheduledThreadPoolExecutor timer() {
    ScheduledThreadPoolExecutor t = timer;
    if (t == null) {
      synchronized (this) {
        if (timer == null) {
          ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "ticketgate-lock-timer");
            th.setDaemon(true);
            return th;
          });
          created.setRemoveOnCancelPolicy(true);
          timer = created;
        }
        t = timer;
      }
    }
    return t;
  }

  LockRequest acquire(String conversationId, Duration lifetime, Duration maxWait) {
    RealLockRequest request = new RealLockRequest(conversationId, lifetime, maxWait);
    start(request);
    return request;
  }

  /**
   * Queues a request behind {@code ahead}: its ticket is issued by the release of {@code ahead}
   * ({@link #releaseAndIssue}), or now when {@code ahead} is already released.
   */
  LockRequest acquireAfter(RealHeldLock ahead, Duration lifetime, Duration maxWait) {
    RealLockRequest request = new RealLockRequest(ahead.conversationId(), lifetime, maxWait);
    request.failIssueWhenCancelledBeforeStart();
    if (!ahead.queueBehind(request)) {
      start(request);
    }
    return request;
  }

  /** Issues {@code request}'s ticket now, on the caller's thread, before the request is returned to it. */
  private void start(RealLockRequest request) {
    String conversationId = request.conversationId();
    if (closed.get()) {
      failClosed(request);
      return;
    }
    // Registered before the ticket exists: issuing counts as the first look, and a release signalled
    // while it runs makes the acquisition look again, so no wake-up can fall between issue and wait.
    Acquisition a = new Acquisition(this, store, request, store.options().clock().millis());
    register(a);
    a.issue(() -> store.issueAndLookAsync(conversationId, request.lifetime));
  }

  /**
   * Gives back {@code ticket} and issues {@code next}'s ticket in the same store step, on the
   * releasing holder's thread; the turn, when served, is handed over on the executor. A failure
   * fails {@code next} too (it may or may not have been issued; if it was, it expires) and is
   * thrown, so the holder retries giving its own ticket back.
   */
  void releaseAndIssue(String conversationId, int ticket, RealLockRequest next) {
    if (closed.get()) {
      failClosed(next);
      store.cleanup(conversationId, ticket);
      return;
    }
    Acquisition a = new Acquisition(this, store, next, store.options().clock().millis());
    register(a);
    LockStore.Issued issued;
    try {
      issued = store.releaseAndIssue(conversationId, ticket, next.lifetime);
    } catch (RuntimeException e) {
      LockException le = asLockException(conversationId, "could not finish serving ticket " + ticket
          + " and issue the next", e);
      a.issueFailed(le);
      throw le;
    }
    a.issued(issued);
    wakeExcept(conversationId, a); // as after any release: the others look again
  }

  private static void failClosed(RealLockRequest request) {
    LockException e = new LockException(LockException.Reason.CLOSED, request.conversationId(),
        "the lock store is closed", null);
    request.issued().completeExceptionally(e);
    request.served().completeExceptionally(e);
  }

  void wake(String conversationId) {
    Acquisition[] waiting = byConversation.get(conversationId);
    if (waiting != null) {
      for (Acquisition a : waiting) {
        a.poke();
      }
    }
  }

  /** Like {@link #wake}, leaving out {@code skip}, which was just told where it stands. */
  void wakeExcept(String conversationId, Acquisition skip) {
    Acquisition[] waiting = byConversation.get(conversationId);
    if (waiting != null) {
      for (Acquisition a : waiting) {
        if (a != skip) {
          a.poke();
        }
      }
    }
  }

  /**
   * The ticket this process waits on that comes next after {@code ticket} in its conversation: the
   * issued one with the lowest number above it, or null. Only it can be served by that release.
   */
  Acquisition successor(String conversationId, int ticket) {
    Acquisition[] waiting = byConversation.get(conversationId);
    Acquisition next = null;
    int nextTicket = Integer.MAX_VALUE;
    if (waiting != null) {
      for (Acquisition a : waiting) {
        int t = a.ticket;
        if (t > ticket && t < nextTicket) {
          next = a;
          nextTicket = t;
        }
      }
    }
    return next;
  }

  int waitingCount() {
    int n = 0;
    for (Acquisition[] s : byConversation.values()) {
      for (Acquisition a : s) {
        if (a.ticket >= 0) { // registered before issue; not a waiting ticket until issued
          n++;
        }
      }
    }
    return n;
  }

  private void register(Acquisition a) {
    byConversation.compute(a.conversationId, (k, waiting) -> {
      if (waiting == null) {
        return new Acquisition[] {a};
      }
      Acquisition[] more = Arrays.copyOf(waiting, waiting.length + 1);
      more[waiting.length] = a;
      return more;
    });
  }

  void unregister(Acquisition a) {
    byConversation.computeIfPresent(a.conversationId, (k, waiting) -> {
      int i = 0;
      while (i < waiting.length && waiting[i] != a) {
        i++;
      }
      if (i == waiting.length) {
        return waiting;
      }
      if (waiting.length == 1) {
        return null;
      }
      Acquisition[] fewer = new Acquisition[waiting.length - 1];
      System.arraycopy(waiting, 0, fewer, 0, i);
      System.arraycopy(waiting, i + 1, fewer, i, waiting.length - i - 1);
      return fewer;
    });
    untrack(a);
  }

  /** Starts renewing {@code r} about every third of its lifetime while it lives, when keep-alive is on. */
  void track(Renewable r) {
    if (store.options().keepAlive() && !closed.get()) {
      keepAlive.track(r);
    }
  }

  void untrack(Renewable r) {
    keepAlive.untrack(r);
  }

  /** How many tickets keep-alive renews; for tests. */
  int keptAlive() {
    return keepAlive.size();
  }

  /**
   * Gives a ticket back without blocking the caller, logging (never hiding) a failure. When the
   * store is unreachable the ticket is given back later ({@link #giveBackLater}).
   *
   * @param expired whether the ticket's expiry bound has passed (its number may be reused by then)
   */
  void releaseQuietly(String conversationId, int ticket, String why, BooleanSupplier expired) {
    Runnable release = () -> attemptGiveBack(conversationId, ticket, expired, 0, why);
    try {
      executor().execute(release);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      release.run(); // the store is closing; give the ticket back on this thread instead
    }
  }

  /**
   * After the store failed to take a ticket back, keeps trying in the background with a growing
   * pause. Without this a store outage (a Redis restart) leaves every ticket that was released
   * during it blocking its conversation for a whole lifetime after the store is back. Stops once the
   * ticket's expiry bound has passed — it blocks nobody then, and its number may be someone else's —
   * or the store closes.
   *
   * @return true when a retry was scheduled; false when {@code failure} is not a store failure or
   *     retrying is pointless, and the caller should report the failure as final
   */
  boolean giveBackLater(String conversationId, int ticket, BooleanSupplier expired, LockException failure) {
    if (failure.reason() != LockException.Reason.STORE_FAILED || closed.get() || expired.getAsBoolean()) {
      return false;
    }
    log.info("conversation '{}': the store did not take ticket {} back ({}); trying again until it does or the "
        + "ticket expires", conversationId, ticket, failure.getMessage());
    scheduleGiveBack(conversationId, ticket, expired, 1);
    return true;
  }

  /**
   * One attempt to give a ticket back, on a thread that may block: attempt 0 is the first (from
   * {@link #releaseQuietly}), later ones are {@link #giveBackLater}'s retries.
   */
  private void attemptGiveBack(String conversationId, int ticket, BooleanSupplier expired, int attempt, String why) {
    if (attempt > 0 && (closed.get() || expired.getAsBoolean())) {
      log.debug("conversation '{}': stopped giving back ticket {}: {}", conversationId, ticket,
          closed.get() ? "the store is closed" : "it has expired");
      return;
    }
    try {
      store.cleanup(conversationId, ticket);
      if (attempt > 0) {
        log.info("conversation '{}': gave back ticket {} after {} attempt(s)", conversationId, ticket, attempt + 1);
      }
    } catch (LockException e) {
      if (attempt > 0 && e.reason() == LockException.Reason.STORE_FAILED) {
        scheduleGiveBack(conversationId, ticket, expired, attempt + 1);
        return;
      }
      if (attempt == 0 && giveBackLater(conversationId, ticket, expired, e)) {
        return;
      }
      log.warn("conversation '{}': could not give back ticket {} after {}; it expires by itself: {}", conversationId,
          ticket, why, e.toString());
    } catch (RuntimeException e) {
      log.warn("conversation '{}': could not give back ticket {} after {}; it expires by itself: {}", conversationId,
          ticket, why, e.toString());
    }
  }

  /** Schedules attempt number {@code attempt}. */
  private void scheduleGiveBack(String conversationId, int ticket, BooleanSupplier expired, int attempt) {
    // 50 ms doubling to 1 s: quick after a blip, gentle on a store that stays down.
    long delayMillis = Math.min(1000, 50L << Math.min(attempt - 1, 5));
    try {
      // The timer thread never blocks on the store: the attempt itself runs on the executor.
      timer().schedule(() -> {
        try {
          executor().execute(() -> attemptGiveBack(conversationId, ticket, expired, attempt, "a store outage"));
        } catch (java.util.concurrent.RejectedExecutionException e) {
          log.debug("conversation '{}': the store closed before ticket {} could be given back", conversationId, ticket);
        }
      }, delayMillis, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("conversation '{}': the store closed before ticket {} could be given back", conversationId, ticket);
    }
  }

  private void renew(Renewable r) {
    if (r.isLocallyExpired()) {
      // Too late: the number may be someone else's now, so renewing it could extend their ticket.
      untrack(r);
      r.lost();
      return;
    }
    long requestedAt = store.options().clock().millis();
    CompletionStage<Boolean> renewal;
    try {
      renewal = store.renewTicketAsync(r.conversationId(), r.ticket(), r.lifetime());
    } catch (RuntimeException e) {
      renewal = CompletableFuture.failedFuture(e);
    }
    renewal.whenComplete((ok, e) -> {
      if (e != null) {
        log.warn("conversation '{}': keep-alive could not renew ticket {}: {}", r.conversationId(), r.ticket(), e.toString());
      } else if (ok) {
        r.renewed(requestedAt);
      } else {
        untrack(r);
        r.lost();
      }
    });
  }

  /**
   * Completes a waiter's future with its turn on the executor, so that neither the next holder's
   * continuation nor giving back a cancelled turn runs on the thread that answered the last look:
   * that may be a Redis I/O thread, which must never block, or a releasing holder's thread, where
   * hand-overs would nest without limit.
   */
  void handOver(CompletableFuture<HeldLock> result, RealHeldLock held) {
    Runnable complete = () -> {
      if (!result.complete(held)) {
        held.close(); // cancelled while the last look ran
      }
    };
    try {
      executor().execute(complete);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      complete.run(); // the store is closing
    }
  }

  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Acquisition[] waiting : byConversation.values()) {
      for (Acquisition a : waiting) {
        a.fail(new LockException(LockException.Reason.CLOSED, a.conversationId,
            "the lock store was closed while ticket " + a.ticket + " waited", null));
      }
    }
    keepAlive.clear();
    ScheduledThreadPoolExecutor t = timer;
    if (t != null) {
      t.shutdownNow();
    }
    ExecutorService e = executor;
    if (e != null) {
      e.shutdown();
      try {
        if (!e.awaitTermination(5, TimeUnit.SECONDS)) {
          log.warn("lock store closed while store calls were still running");
        }
      } catch (InterruptedException ie) {
        Thread.currentThread().interrupt();
      }
    }
  }

  boolean isClosed() {
    return closed.get();
  }

  static LockException asLockException(String conversationId, String action, Throwable error) {
    Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
        ? error.getCause() : error;
    if (cause instanceof LockException le) {
      return le;
    }
    return new LockException(conversationId, action + ": " + cause, cause);
  }

  /** {@code d} in nanoseconds, saturating instead of overflowing for durations of centuries. */
  static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /** A ticket this process holds or waits on, as keep-alive sees it. */
  interface Renewable {
    String conversationId();

    int ticket();

    Duration lifetime();

    /**
     * Whether the ticket may have expired by the store's clock (a lower bound of its expiry has
     * passed); its number may then have been issued to someone else.
     */
    boolean isLocallyExpired();

    /** A renewal requested at {@code requestedAtMillis} (store clock) succeeded. */
    void renewed(long requestedAtMillis);

    /** The store says the ticket is gone: the process has lost its place. */
    void lost();
  }
}
