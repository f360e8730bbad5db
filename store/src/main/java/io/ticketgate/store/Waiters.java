package io.ticketgate.store;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * <p>Threads: one platform timer thread runs re-check timers and keep-alive rounds and never blocks
 * on the store; store calls of synchronous stores run on virtual threads; asynchronous stores
 * complete on their client's threads, so waiters' continuations must not block (they don't: they
 * schedule or complete futures). Held and waiting tickets are tracked for keep-alive in
 * {@link #live}.
 */
final class Waiters {

  private static final Logger log = LoggerFactory.getLogger(LockStore.class);

  private final LockStore store;
  private final ConcurrentHashMap<String, Set<Acquisition>> byConversation = new ConcurrentHashMap<>();
  /** Tickets this process holds or waits on; renewed by keep-alive when it is on. */
  private final Set<Renewable> live = ConcurrentHashMap.newKeySet();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile ScheduledThreadPoolExecutor timer;
  private volatile ExecutorService executor;
  private volatile ScheduledFuture<?> keepAliveTask;

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
          if (store.options().keepAlive()) {
            long period = Math.max(1, store.lockLifetime().toMillis() / 3);
            keepAliveTask = created.scheduleWithFixedDelay(this::keepAliveRound, period, period, TimeUnit.MILLISECONDS);
          }
        }
        t = timer;
      }
    }
    return t;
  }

  CompletableFuture<HeldLock> acquire(String conversationId, Duration lifetime, Duration maxWait) {
    if (closed.get()) {
      return CompletableFuture.failedFuture(new LockException(conversationId, "the lock store is closed"));
    }
    timer(); // starts keep-alive with the first acquisition
    long requested = System.nanoTime();
    long deadline = maxWait == null ? Long.MAX_VALUE : saturatedAdd(requested, maxWait.toNanos());
    CompletableFuture<HeldLock> result = new CompletableFuture<>();
    store.issueTicketAsync(conversationId, lifetime).whenComplete((ticket, error) -> {
      if (error != null) {
        result.completeExceptionally(asLockException(conversationId, "could not issue a ticket", error));
        return;
      }
      Acquisition a = new Acquisition(this, store, conversationId, ticket, lifetime, requested, deadline, result);
      register(a);
      result.whenComplete((held, e) -> {
        if (result.isCancelled()) {
          a.poke(); // the next look sees the cancellation and gives the ticket back
        }
      });
      a.poke();
    });
    return result;
  }

  void wake(String conversationId) {
    Set<Acquisition> set = byConversation.get(conversationId);
    if (set != null) {
      for (Acquisition a : set) {
        a.poke();
      }
    }
  }

  int waitingCount() {
    int n = 0;
    for (Set<Acquisition> s : byConversation.values()) {
      n += s.size();
    }
    return n;
  }

  private void register(Acquisition a) {
    byConversation.compute(a.conversationId, (k, set) -> {
      Set<Acquisition> s = set == null ? ConcurrentHashMap.newKeySet() : set;
      s.add(a);
      return s;
    });
    live.add(a);
  }

  void unregister(Acquisition a) {
    byConversation.computeIfPresent(a.conversationId, (k, set) -> {
      set.remove(a);
      return set.isEmpty() ? null : set;
    });
    live.remove(a);
  }

  void track(Renewable r) {
    live.add(r);
  }

  void untrack(Renewable r) {
    live.remove(r);
  }

  /** Gives a ticket back without blocking the caller, logging (never hiding) a failure. */
  void releaseQuietly(String conversationId, int ticket, String why) {
    Runnable release = () -> {
      try {
        store.cleanup(conversationId, ticket);
      } catch (RuntimeException e) {
        log.warn("conversation '{}': could not give back ticket {} after {}; it expires by itself: {}",
            conversationId, ticket, why, e.toString());
      }
    };
    try {
      executor().execute(release);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      release.run(); // the store is closing; give the ticket back on this thread instead
    }
  }

  private void keepAliveRound() {
    for (Renewable r : live) {
      if (!r.isDueForRenewal()) {
        continue;
      }
      store.renewTicketAsync(r.conversationId(), r.ticket(), r.lifetime()).whenComplete((ok, e) -> {
        if (e != null) {
          log.warn("conversation '{}': keep-alive could not renew ticket {}: {}", r.conversationId(), r.ticket(), e.toString());
        } else if (ok) {
          r.renewed();
        } else {
          r.lost();
        }
      });
    }
  }

  void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Set<Acquisition> set : byConversation.values()) {
      for (Acquisition a : set) {
        a.fail(new LockException(a.conversationId, "the lock store was closed while ticket " + a.ticket + " waited"));
      }
    }
    ScheduledFuture<?> k = keepAliveTask;
    if (k != null) {
      k.cancel(false);
    }
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

  static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }

  /** A ticket this process holds or waits on, as keep-alive sees it. */
  interface Renewable {
    String conversationId();

    int ticket();

    Duration lifetime();

    boolean isDueForRenewal();

    void renewed();

    /** The store says the ticket is gone: the process has lost its place. */
    void lost();
  }
}
