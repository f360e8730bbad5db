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
 * code). Calls are sampled in windows of {@link #WINDOW}; the no-load latency is the lowest window
 * average seen, drifting up slowly so that a bot that became slower for good is re-learnt. While a
 * window's average stays within {@link #GROW_BELOW} of it, the bot is not queueing calls and the
 * limit grows by its logarithm; once the average passes {@link #SHRINK_ABOVE} of it, calls are
 * waiting at the bot and the limit shrinks, by as much as the latency overshoots (at least that
 * logarithm, at most half). A bot with a knee (a fixed number of workers, a pool) thus settles just
 * below the knee instead of being pushed into a queue where every call waits. Window averages
 * rather than single calls, so that latencies that merely vary (a long tail) are not read as
 * queueing. The limit only grows while it is used: a window in which calls in flight stayed under
 * half of it says nothing about a higher one. A call that timed out, or found the bot unreachable
 * or overloaded, shrinks it at once by a tenth.
 *
 * <p><b>Threads.</b> Job threads call {@link #acquire} and {@link #release}; one lock guards the
 * counts, the limit and the window, held for bookkeeping only. Waiting jobs park on its condition,
 * each woken when a call ends or the limit grows. The gauges read volatile copies.
 */
final class BotLimiter {

  /** Calls per sample window. */
  static final int WINDOW = 50;
  /** A window this much slower than the no-load latency or less lets the limit grow. */
  static final double GROW_BELOW = 1.2;
  /** A window this much slower than the no-load latency or more makes the limit shrink. */
  static final double SHRINK_ABOVE = 1.5;
  /** How fast the no-load latency drifts up while windows are slower: 1% per window. */
  private static final double NO_LOAD_DRIFT = 1.01;

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
  /** The bot's latency without load: the lowest window average, drifting up; 0 before the first window. */
  private double noLoadRtt;

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

  /** Blocks until one more call may start. Unlimited: returns at once, counting nothing. */
  void acquire() throws InterruptedException {
    if (mode == ConcurrencySettings.Mode.UNLIMITED) {
      return;
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
    } finally {
      lock.unlock();
    }
  }

  /**
   * A call that {@link #acquire} let through ended.
   *
   * @param rttNanos how long it took
   * @param overloaded whether it timed out or found the bot unreachable: a sign of overload
   */
  void release(long rttNanos, boolean overloaded) {
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
        } else {
          sample(rttNanos);
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
  private void sample(long rttNanos) {
    windowRttSum += Math.max(1, rttNanos);
    if (++windowCalls < WINDOW) {
      return;
    }
    double average = (double) windowRttSum / windowCalls;
    boolean used = windowMaxInFlight * 2 >= (int) limit;
    windowCalls = 0;
    windowRttSum = 0;
    windowMaxInFlight = inFlight;
    noLoadRtt = noLoadRtt == 0 ? average : Math.min(average, noLoadRtt * NO_LOAD_DRIFT);
    double ratio = average / noLoadRtt;
    double step = Math.max(1, Math.log10(limit));
    if (ratio <= GROW_BELOW) {
      if (used) {
        limit = Math.min(max, limit + step);
      }
    } else if (ratio >= SHRINK_ABOVE) {
      limit = Math.max(1, Math.min(limit - step, Math.max(limit / 2, limit * SHRINK_ABOVE / ratio)));
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
