package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.config.BreakerSettings;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * The circuit breaker on calls to the bot, shared by every job of the pipeline.
 *
 * <p><b>Why.</b> A record's own retries ({@code dispatch.retries}, backoff from
 * {@code retry_backoff}) last a second or two; a bot that is down for longer (a restart, a deploy,
 * an overloaded upstream) would otherwise cost every record in flight a dead letter. Once the bot
 * has failed often enough the breaker opens, and records that need the bot wait here, keeping their
 * turns, instead of spending their retries and being dead-lettered.
 *
 * <p><b>States.</b>
 * <ul>
 *   <li>CLOSED: calls go through. Each failure saying the bot is unavailable counts (a timeout, a
 *       refused or broken connection, 429, 502, 503, 504); any other outcome (a reply, a 4xx, a 500
 *       or 408, an unparseable answer, a fenced refusal) shows the bot is up and resets the run of
 *       consecutive failures. {@code failure_threshold} failures in a row, or a failure share of at
 *       least {@code failure_rate} over the last {@code window} calls (judged once there were that
 *       many since the breaker last closed), open it.
 *   <li>OPEN: no call goes through for the open interval: {@code open_for} the first time, doubled
 *       after each failed probe up to {@code open_for_max}, and never shorter than a
 *       {@code Retry-After} the failure carried (capped by {@code open_for_max} too).
 *   <li>HALF_OPEN: the interval is over; the next caller gets the single probe permit and makes a
 *       real call for its own record. Success closes the breaker and lets every waiter through;
 *       failure opens it again with the doubled interval. A probe that ends without a verdict (its
 *       job was interrupted, its turn was lost, a Java handler threw) hands the permit to the next
 *       caller.
 * </ul>
 * OPEN turns into HALF_OPEN when someone looks after the interval has passed: a waiting job (each
 * sleeps until then), the poll thread (every loop while consumption is paused for the breaker), or
 * a gauge. Outcomes of calls that were let through before the breaker opened, or that are not the
 * probe, change nothing once it is open.
 *
 * <p><b>Threads.</b> Every job thread calls in; the state is guarded by one lock, held only for
 * bookkeeping (no I/O, no call to the bot). Waiting jobs park on the lock's condition; every
 * transition signals them all, and each looks again. The transition callback runs under the lock,
 * on whichever thread caused the transition, and must not block: the pipeline counts it and wakes
 * the poll thread through its {@link Mailbox}, which then pauses or resumes consumption itself.
 * Time comes from an injected monotonic clock, so tests step through the state machine without
 * sleeping.
 */
final class BotBreaker {

  /**
   * Leave to make one call. The probe permit of a half-open breaker is its own object; every other
   * call shares {@link #PASS}. Each permit must end in exactly one of {@link #succeeded},
   * {@link #failed} or {@link #abandoned}.
   */
  static final class Permit {
    private final boolean probe;

    private Permit(boolean probe) {
      this.probe = probe;
    }

    /** Whether this call is the half-open breaker's one probe. */
    boolean probe() {
      return probe;
    }

    @Override
    public String toString() {
      return probe ? "probe" : "pass";
    }
  }

  private static final Permit PASS = new Permit(false);

  private final BreakerSettings settings;
  private final LongSupplier nanoTime;
  private final Consumer<BreakerState> onTransition;
  private final ReentrantLock lock = new ReentrantLock();
  /** Signalled on every transition and when a probe permit comes back unused. */
  private final Condition changed = lock.newCondition();

  // Guarded by lock.
  private BreakerState state = BreakerState.CLOSED;
  private int consecutiveFailures;
  /** The outcomes of the latest calls while closed, a ring: true = failed. */
  private final boolean[] window;
  private int windowNext;
  private int windowCalls;
  private int windowFailures;
  /** OPEN: when the open interval ends, by {@link #nanoTime}. */
  private long openUntil;
  /** The interval the next opening lasts; doubled by each failed probe, reset on closing. */
  private long openForNanos;
  /** HALF_OPEN: whether the probe permit is out. */
  private boolean probeOut;
  private int waiters;

  // Written under the lock, read by anyone: the poll thread's fast path and the gauges.
  private volatile BreakerState stateView = BreakerState.CLOSED;
  private volatile int waitersView;

  /**
   * @param nanoTime a monotonic clock in nanoseconds ({@link System#nanoTime} in production)
   * @param onTransition told of every transition, under the breaker's lock: must not block
   */
  BotBreaker(BreakerSettings settings, LongSupplier nanoTime, Consumer<BreakerState> onTransition) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
    this.onTransition = Objects.requireNonNull(onTransition, "onTransition");
    this.window = new boolean[settings.window()];
    this.openForNanos = settings.openFor().toNanos();
  }

  /** Whether the breaker can open at all ({@code bot.breaker.enabled}). */
  boolean enabled() {
    return settings.enabled();
  }

  /** A permit when a call may go now, else null: the breaker is open, or its probe is out. Never blocks. */
  Permit tryAcquire() {
    if (!settings.enabled() || stateView == BreakerState.CLOSED) {
      return PASS; // the usual case: no lock per call
    }
    lock.lock();
    try {
      advance();
      return grant();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Blocks until a call may go, or {@code maxWaitNanos} have passed: at once while closed; while
   * open, until the interval ends and this caller gets the probe permit, or the probe succeeds and
   * the breaker closes.
   *
   * @param maxWaitNanos how long to wait at most, by the breaker's clock; a job renews its ticket
   *     between waits
   * @return the permit, or null when the wait ran out
   * @throws InterruptedException when the job is interrupted while waiting (a stop, a revocation)
   */
  Permit acquire(long maxWaitNanos) throws InterruptedException {
    Permit fast = tryAcquire();
    if (fast != null) {
      return fast;
    }
    lock.lock();
    try {
      long deadline = nanoTime.getAsLong() + maxWaitNanos;
      waitersView = ++waiters;
      try {
        while (true) {
          advance();
          Permit p = grant();
          if (p != null) {
            return p;
          }
          long now = nanoTime.getAsLong();
          if (now - deadline >= 0) {
            return null;
          }
          // Open: until the interval ends. Half-open with the probe out: until its verdict signals.
          long until = state == BreakerState.OPEN && openUntil - deadline < 0 ? openUntil : deadline;
          changed.awaitNanos(Math.max(1, until - now));
        }
      } finally {
        waitersView = --waiters;
      }
    } finally {
      lock.unlock();
    }
  }

  /** The call {@code permit} allowed got an answer from the bot: a reply, or any non-retryable refusal. */
  void succeeded(Permit permit) {
    if (!settings.enabled()) {
      return;
    }
    lock.lock();
    try {
      advance();
      if (permit.probe && state == BreakerState.HALF_OPEN) {
        openForNanos = settings.openFor().toNanos();
        transition(BreakerState.CLOSED);
      } else if (state == BreakerState.CLOSED) {
        consecutiveFailures = 0;
        record(false);
        if (rateReached()) {
          open(null); // the call that filled the window: the failures before it still make the share
        }
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * The call {@code permit} allowed failed in a way that says the bot is unavailable (a timeout, a
   * refused or broken connection, 429, 502, 503, 504); a 500 or 408 is reported as {@link #succeeded}.
   *
   * @param openAtLeast how long the bot asked to be left alone when it said it is unavailable (a
   *     503's {@code Retry-After}), or null: the breaker, once open, stays open at least that long,
   *     up to {@code open_for_max}
   * @return whether the breaker is open or half-open now: the caller holds its record instead of
   *     spending its retries
   */
  boolean failed(Permit permit, Duration openAtLeast) {
    if (!settings.enabled()) {
      return false;
    }
    lock.lock();
    try {
      advance();
      switch (state) {
        case CLOSED -> {
          consecutiveFailures++;
          record(true);
          if (consecutiveFailures >= settings.failureThreshold() || rateReached()) {
            open(openAtLeast);
          }
        }
        case HALF_OPEN -> {
          if (permit.probe) {
            openForNanos = Math.min(saturatedDouble(openForNanos), settings.openForMax().toNanos());
            open(openAtLeast);
          }
        }
        case OPEN -> {
          // A call let through before the breaker opened: the bot's own word still counts.
          if (openAtLeast != null) {
            long now = nanoTime.getAsLong();
            openUntil = now + Math.max(openUntil - now, cap(openAtLeast));
          }
        }
      }
      return state != BreakerState.CLOSED;
    } finally {
      lock.unlock();
    }
  }

  /**
   * The call {@code permit} allowed was not made or ended without a verdict on the bot (the job was
   * interrupted, its turn was lost, a Java handler threw). A probe permit goes to the next caller.
   */
  void abandoned(Permit permit) {
    if (!permit.probe) {
      return;
    }
    lock.lock();
    try {
      if (state == BreakerState.HALF_OPEN && probeOut) {
        probeOut = false;
        changed.signalAll();
      }
    } finally {
      lock.unlock();
    }
  }

  /**
   * Poll thread: whether consumption should stay paused. True while open, and while half-open with
   * the probe out or a held record about to take it. False once closed, and when half-open with
   * nobody to probe: then a new record must be consumed to make the probe call, or the breaker
   * would stay half-open for ever.
   */
  boolean holdsConsumption() {
    if (!settings.enabled() || stateView == BreakerState.CLOSED) {
      return false;
    }
    lock.lock();
    try {
      advance();
      return state == BreakerState.OPEN || state == BreakerState.HALF_OPEN && (probeOut || waiters > 0);
    } finally {
      lock.unlock();
    }
  }

  /** The state now (an elapsed open interval reads as half-open). */
  BreakerState state() {
    if (stateView == BreakerState.CLOSED) {
      return BreakerState.CLOSED;
    }
    lock.lock();
    try {
      advance();
      return state;
    } finally {
      lock.unlock();
    }
  }

  /** Records waiting here for the breaker to let their call through. */
  int waiting() {
    return waitersView;
  }

  // ---------------------------------------------------------------- under the lock

  /** OPEN whose interval has passed becomes HALF_OPEN. */
  private void advance() {
    if (state == BreakerState.OPEN && nanoTime.getAsLong() - openUntil >= 0) {
      probeOut = false;
      transition(BreakerState.HALF_OPEN);
    }
  }

  private Permit grant() {
    return switch (state) {
      case CLOSED -> PASS;
      case OPEN -> null;
      case HALF_OPEN -> {
        if (probeOut) {
          yield null;
        }
        probeOut = true;
        yield new Permit(true);
      }
    };
  }

  private void open(Duration atLeast) {
    long interval = atLeast == null ? openForNanos : Math.max(openForNanos, cap(atLeast));
    openUntil = nanoTime.getAsLong() + interval;
    probeOut = false;
    transition(BreakerState.OPEN);
  }

  private long cap(Duration d) {
    return d.isNegative() ? 0 : Math.min(saturatedNanos(d), settings.openForMax().toNanos());
  }

  /** Whether the window is full and its failure share reaches {@code failure_rate}. */
  private boolean rateReached() {
    return windowCalls == window.length && windowFailures >= settings.failureRate() * window.length;
  }

  private void record(boolean failed) {
    if (windowCalls == window.length) {
      if (window[windowNext]) {
        windowFailures--;
      }
    } else {
      windowCalls++;
    }
    window[windowNext] = failed;
    if (failed) {
      windowFailures++;
    }
    windowNext = (windowNext + 1) % window.length;
  }

  private void transition(BreakerState to) {
    if (to == BreakerState.CLOSED || to == BreakerState.OPEN) {
      // A new closed period judges from scratch; an open one must not carry the failures that opened it.
      consecutiveFailures = 0;
      windowCalls = 0;
      windowFailures = 0;
      windowNext = 0;
    }
    state = to;
    stateView = to;
    changed.signalAll();
    onTransition.accept(to);
  }

  private static long saturatedDouble(long nanos) {
    return nanos > Long.MAX_VALUE / 2 ? Long.MAX_VALUE : nanos * 2;
  }

  private static long saturatedNanos(Duration d) {
    return d.compareTo(Duration.ofNanos(Long.MAX_VALUE)) >= 0 ? Long.MAX_VALUE : d.toNanos();
  }

  @Override
  public String toString() {
    return "BotBreaker[" + stateView.label() + ", waiting " + waitersView + "]";
  }
}
