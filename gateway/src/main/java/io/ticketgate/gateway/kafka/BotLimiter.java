package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.config.ConcurrencySettings;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * How many calls to the bot may be in flight at once ({@code bot.concurrency}): none, a fixed
 * number, or a limit that adapts to the bot's latency.
 *
 * <p><b>The adaptive limit</b> compares the bot's latency with its latency without load, in the
 * manner of TCP Vegas and Netflix's concurrency-limits (written here from the idea, not from their
 * code). Calls are sampled in windows of {@link #WINDOW}, and window averages are compared, not
 * single calls, so that latencies that merely vary (a long tail) are not read as queueing.
 *
 * <ul>
 *   <li>The no-load latency is the lowest window average since the limit last re-learnt the bot
 *       (below). It is not forgotten as time passes: a limit that settles a little past the knee
 *       sees every window a little queued, and a minimum over recent windows only would rise to
 *       that queued latency, let the limit grow a step, rise again, and so creep up the queue
 *       without end (it did, to {@code max_in_flight}, against a bot whose latency grows smoothly
 *       with its queue). A bot that really became slower is caught by the rule after a cut.
 *   <li>It starts at {@link ConcurrencySettings#ADAPTIVE_INITIAL_LIMIT}, low enough that its first
 *       windows see the bot without a queue, and doubles per window (a slow start) until a window
 *       is slower than {@link #GROW_BELOW} times the no-load latency. From then on, while windows
 *       stay within that, it grows by its logarithm per window, and only while it is used: a window
 *       whose calls in flight stayed under half of it says nothing about a higher one.
 *   <li>Once a window's average reaches {@link #SHRINK_ABOVE} times the no-load latency, calls are
 *       waiting at the bot: the limit is divided by that ratio, which is where the calls in flight
 *       just stop queueing (with {@code c} calls and a knee at {@code k}, latency grows as
 *       {@code c / k}).
 *   <li>After a cut nothing is measured until the calls in flight are down to the new limit, and
 *       then only calls started from there: the ones before waited behind the queue the cut was
 *       for. If that first window is not faster, the bot did not queue: it became slower for
 *       everyone. Its latency now is the new no-load latency, and the limit slow-starts again from
 *       where it is.
 *   <li>A call that timed out, or found the bot unreachable or overloaded, shrinks it at once by a
 *       tenth.
 * </ul>
 *
 * <p><b>Threads.</b> Job threads call {@link #acquire} and {@link #release}; one lock guards the
 * counts, the limit and the windows, held for bookkeeping only. Waiting jobs park on its
 * condition, each woken when a call ends or the limit grows. The gauges read volatile copies.
 */
final class BotLimiter {

  /** Calls per sample window. */
  static final int WINDOW = 50;
  /** A window this much slower than the no-load latency or less lets the limit grow. */
  static final double GROW_BELOW = 1.2;
  /** A window this much slower than the no-load latency or more makes the limit shrink. */
  static final double SHRINK_ABOVE = 1.5;
  /** After a cut, a window not at least this much faster than the one before means the bot itself is slower. */
  private static final double FASTER_AFTER_CUT = 0.9;

  private final ConcurrencySettings.Mode mode;
  private final int max;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition freed = lock.newCondition();

  // Guarded by lock.
  private double limit;
  private int inFlight;
  private int windowCalls;
  private long windowRttSum;
  private int windowMaxInFlight;
  /** The lowest window average since the bot was last (re-)learnt: its latency without load. */
  private double noLoad = Double.MAX_VALUE;
  /** Doubling per window until the first window that is slower than {@link #GROW_BELOW}. */
  private boolean slowStart = true;
  /** The previous window's average when that window cut the limit; 0 otherwise. */
  private double averageBeforeCut;
  /** Since a cut, until the calls in flight are down to the new limit: nothing is measured. */
  private boolean draining;
  /** Counts the cuts that drained; a call started in an earlier one is not measured. */
  private long epoch;

  private volatile int limitView;
  private volatile int inFlightView;

  /**
   * @param max the highest the adaptive limit may go ({@code dispatch.max_in_flight}); a fixed limit
   *     is used as given
   */
  BotLimiter(ConcurrencySettings settings, int max) {
    this.mode = settings.mode();
    this.max = Math.max(1, max);
    this.limit = switch (mode) {
      case UNLIMITED -> Integer.MAX_VALUE;
      case FIXED -> settings.limit();
      case ADAPTIVE -> Math.min(settings.limit(), this.max);
    };
    this.limitView = (int) limit;
  }

  /**
   * Blocks until one more call may start. Unlimited: returns at once, counting nothing.
   *
   * @return the call's permit, for {@link #release} or {@link #abandon}
   */
  long acquire() throws InterruptedException {
    if (mode == ConcurrencySettings.Mode.UNLIMITED) {
      return 0;
    }
    lock.lock();
    try {
      while (inFlight >= (int) limit) {
        freed.await();
      }
      inFlight++;
      inFlightView = inFlight;
      if (inFlight > windowMaxInFlight) {
        windowMaxInFlight = inFlight;
      }
      return epoch;
    } finally {
      lock.unlock();
    }
  }

  /**
   * A call that {@link #acquire} let through ended.
   *
   * @param permit what {@link #acquire} returned
   * @param rttNanos how long it took
   * @param overloaded whether it timed out or found the bot unreachable: a sign of overload
   */
  void release(long permit, long rttNanos, boolean overloaded) {
    end(permit, rttNanos, overloaded, true);
  }

  /** A permit that {@link #acquire} gave is returned without a call: nothing to measure. */
  void abandon(long permit) {
    end(permit, 0, false, false);
  }

  private void end(long permit, long rttNanos, boolean overloaded, boolean called) {
    if (mode == ConcurrencySettings.Mode.UNLIMITED) {
      return;
    }
    lock.lock();
    try {
      inFlight--;
      inFlightView = inFlight;
      if (mode == ConcurrencySettings.Mode.ADAPTIVE) {
        int before = (int) limit;
        if (overloaded) {
          limit = Math.max(1, limit * 0.9);
        } else if (called) {
          sample(permit, rttNanos);
        }
        limitView = (int) limit;
        if ((int) limit > before) {
          freed.signalAll();
          return;
        }
      }
      freed.signal();
    } finally {
      lock.unlock();
    }
  }

  /** Adds one call to the window and, when the window is full, moves the limit. Under the lock. */
  private void sample(long permit, long rttNanos) {
    if (draining) {
      if (inFlight > (int) limit) {
        return; // still above the cut limit: this call waited behind the calls the cut was for
      }
      // Down to the cut limit: from here calls are measured at it, and the ones already in flight,
      // started above it, are not.
      draining = false;
      epoch++;
      windowCalls = 0;
      windowRttSum = 0;
      windowMaxInFlight = inFlight;
      return;
    }
    if (permit < epoch) {
      return;
    }
    windowRttSum += Math.max(1, rttNanos);
    if (++windowCalls < WINDOW) {
      return;
    }
    double average = (double) windowRttSum / windowCalls;
    boolean used = windowMaxInFlight * 2 >= (int) limit;
    windowCalls = 0;
    windowRttSum = 0;
    windowMaxInFlight = inFlight;
    if (averageBeforeCut > 0 && average > averageBeforeCut * FASTER_AFTER_CUT) {
      // Fewer calls, no faster answers: the bot is slower for everyone, not queueing ours.
      noLoad = Double.MAX_VALUE;
      slowStart = true;
    }
    averageBeforeCut = 0;
    noLoad = Math.min(noLoad, average);
    double ratio = average / noLoad;
    if (ratio >= SHRINK_ABOVE) {
      slowStart = false;
      averageBeforeCut = average;
      draining = true;
      limit = Math.max(1, limit / ratio);
    } else if (ratio > GROW_BELOW) {
      slowStart = false;
    } else if (used) {
      limit = Math.min(max, slowStart ? limit * 2 : limit + Math.max(1, Math.log10(limit)));
    }
  }

  /** The current limit; {@link Integer#MAX_VALUE} when unlimited. */
  int limit() {
    return limitView;
  }

  /** Calls in flight now; 0 when unlimited, which counts nothing. */
  int inFlight() {
    return inFlightView;
  }

  /** Whether calls are limited at all. */
  boolean limited() {
    return mode != ConcurrencySettings.Mode.UNLIMITED;
  }
}
