package io.ticketgate.store.engine;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Renews every ticket this process holds or waits on about every third of its lifetime, with one
 * sweep for all of them.
 *
 * <p>Why one sweep: a gateway takes and releases a ticket per message, and most tickets live for
 * milliseconds against a lifetime of a minute, so they are released long before their first
 * renewal. A timer per ticket made every message pay for scheduling and cancelling a task in the
 * timer's locked queue, twice (once waiting, once held). Tracking is now an entry in a concurrent
 * map; the sweep runs when the earliest entry is due and renews, in one pass, everything due within
 * a quarter period of it, so renewals of tickets taken close together go out together.
 *
 * <p>Threads: {@link #track} and {@link #untrack} are called from any thread. The sweep runs on
 * the store's timer thread and never blocks: {@code renew} starts an asynchronous renewal.
 * {@link #sweepAt} is the only shared scheduling state; see {@link #ensureSweepBy} for why no
 * tracked ticket can miss a sweep.
 */
final class KeepAlive {

  /** {@link #sweepAt} when no sweep is scheduled (or one is running). */
  private static final long NONE = Long.MIN_VALUE;

  private final Supplier<ScheduledExecutorService> timer;
  private final Consumer<Renewable> renew;
  private final LongSupplier nanoTime;
  private final ConcurrentHashMap<Renewable, Due> live = new ConcurrentHashMap<>();
  /** The {@code nanoTime} of the next scheduled sweep, or {@link #NONE}. */
  private final AtomicLong sweepAt = new AtomicLong(NONE);

  /** When a tracked ticket is next due, and how often it is renewed. */
  private static final class Due {
    final long periodNanos;
    /** Written by the sweep only, after the entry is published by {@code putIfAbsent}. */
    volatile long atNanos;

    Due(long periodNanos, long atNanos) {
      this.periodNanos = periodNanos;
      this.atNanos = atNanos;
    }
  }

  /**
   * @param timer the store's timer, created on first use
   * @param renew starts renewing one ticket; must not block
   * @param nanoTime {@code System::nanoTime}, or a test's clock
   */
  KeepAlive(Supplier<ScheduledExecutorService> timer, Consumer<Renewable> renew, LongSupplier nanoTime) {
    this.timer = timer;
    this.renew = renew;
    this.nanoTime = nanoTime;
  }

  /** Starts renewing {@code r} every third of its lifetime until {@link #untrack}. */
  void track(Renewable r) {
    long period = Math.max(1, Durations.nanos(r.lifetime()) / 3);
    long due = Durations.saturatedAdd(nanoTime.getAsLong(), period);
    if (live.putIfAbsent(r, new Due(period, due)) == null) {
      ensureSweepBy(due);
    }
  }

  void untrack(Renewable r) {
    live.remove(r);
  }

  /** How many tickets are tracked; for tests. */
  int size() {
    return live.size();
  }

  void clear() {
    live.clear();
  }

  /**
   * Makes sure a sweep starts at or before {@code due}. Called after the entry is in {@link #live}.
   * Either the value read is a sweep scheduled by then, which has not started (a sweep sets
   * {@link #NONE} before it scans), so it will see the entry; or this call schedules one. A sweep that
   * was scheduled for later and is now early-superseded still runs: it is only an extra pass.
   */
  private void ensureSweepBy(long due) {
    for (;;) {
      long at = sweepAt.get();
      if (at != NONE && at - due <= 0) {
        return;
      }
      if (sweepAt.compareAndSet(at, due)) {
        schedule(due);
        return;
      }
    }
  }

  private void schedule(long atNanos) {
    try {
      timer.get().schedule(this::sweep, Math.max(0, atNanos - nanoTime.getAsLong()), TimeUnit.NANOSECONDS);
    } catch (RejectedExecutionException e) {
      // The store is closing: nothing is kept alive any more.
      sweepAt.set(NONE);
    }
  }

  private void sweep() {
    sweepAt.set(NONE);
    long now = nanoTime.getAsLong();
    long next = 0;
    boolean any = false;
    for (Map.Entry<Renewable, Due> e : live.entrySet()) {
      Due d = e.getValue();
      // Within a quarter period counts as due: renewing a little early costs nothing and batches
      // the renewals of tickets taken close together into one sweep.
      if (d.atNanos - now <= d.periodNanos / 4) {
        d.atNanos = Durations.saturatedAdd(now, d.periodNanos);
        renew.accept(e.getKey());
      }
      if (!any || d.atNanos - next < 0) {
        next = d.atNanos;
        any = true;
      }
    }
    if (any) {
      ensureSweepBy(next);
    }
  }
}
