package io.ticketgate.gateway.kafka;

import java.time.Duration;

/**
 * The pipeline's time: the monotonic clock its deadlines are read from (the commit interval, the
 * shutdown, revocation and final-commit timeouts, the liveness check, the bot's circuit breaker),
 * and the pauses a job sleeps between attempts. {@link #SYSTEM} in production; the unit tests pass
 * a clock they step by hand, so these decisions are tested without sleeping.
 *
 * <p>Not on it: how long the poll thread parks on the {@link Mailbox} while consumption is paused
 * (a bound on a wait, there so that the group keeps hearing from this member; a clock that stands
 * still must not stop the polling), and the durations measured for metrics and for the bot-call
 * limit ({@link BotLimiter}), which report real time.
 */
interface PipelineClock {

  /** {@link System#nanoTime} and {@link Thread#sleep(Duration)}. */
  PipelineClock SYSTEM = new PipelineClock() {
    @Override
    public long nanoTime() {
      return System.nanoTime();
    }

    @Override
    public void sleep(Duration pause) throws InterruptedException {
      Thread.sleep(pause);
    }

    @Override
    public String toString() {
      return "PipelineClock.SYSTEM";
    }
  };

  /** Nanoseconds from an arbitrary origin, as {@link System#nanoTime}: only differences mean anything. */
  long nanoTime();

  /**
   * Blocks the calling job for {@code pause} by this clock.
   *
   * @throws InterruptedException when the thread is interrupted meanwhile (a stop, a revocation)
   */
  void sleep(Duration pause) throws InterruptedException;
}
