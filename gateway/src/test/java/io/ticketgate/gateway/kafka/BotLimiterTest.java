package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.config.ConcurrencySettings;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The limit on bot calls in flight, driven by simulated calls: no sleeps, no timing. A simulated
 * round acquires as many calls as the limit allows, then releases them with the latency the
 * simulated bot has at that concurrency.
 */
class BotLimiterTest {

  private static final long MS = 1_000_000;

  /** A bot with {@code workers} workers taking {@code serviceMs} each: beyond them, calls queue. */
  private static long kneeLatency(int concurrency, int workers, long serviceMs) {
    return serviceMs * MS * Math.max(1, (concurrency + workers - 1) / workers);
  }

  /**
   * A bot whose {@code workers} serve calls at once and queue the rest: its latency grows in
   * proportion past the knee ({@code c / workers} times the service time), as a real queue's does,
   * with no step that makes a few calls past the knee stand out.
   */
  private static long queueLatency(int concurrency, int workers, long serviceMs) {
    return serviceMs * MS * Math.max(workers, concurrency) / workers;
  }

  /** Runs {@code calls} calls in rounds of as many as the limit lets through at once; returns the last limit. */
  private static int simulate(BotLimiter limiter, int calls, int workers, long serviceMs, int demand)
      throws InterruptedException {
    return simulate(limiter, calls, workers, serviceMs, demand, new long[2]);
  }

  /**
   * As above; {@code seen} receives the highest limit of the run's second half and the average
   * latency of its calls in milliseconds.
   */
  private static int simulate(BotLimiter limiter, int calls, int workers, long serviceMs, int demand, long[] seen)
      throws InterruptedException {
    return simulate(limiter, calls, workers, serviceMs, demand, seen, false);
  }

  private static int simulate(BotLimiter limiter, int calls, int workers, long serviceMs, int demand, long[] seen,
      boolean queue) throws InterruptedException {
    int done = 0;
    long highest = 0;
    long latencySum = 0;
    long measured = 0;
    while (done < calls) {
      int batch = Math.min(demand, limiter.limit());
      long[] permits = new long[batch];
      for (int i = 0; i < batch; i++) {
        permits[i] = limiter.acquire();
      }
      long latency = queue ? queueLatency(batch, workers, serviceMs) : kneeLatency(batch, workers, serviceMs);
      for (int i = 0; i < batch; i++) {
        limiter.release(permits[i], latency, false);
      }
      if (done >= calls / 2) {
        highest = Math.max(highest, batch);
        latencySum += latency / MS * batch;
        measured += batch;
      }
      done += batch;
    }
    seen[0] = highest;
    seen[1] = measured == 0 ? 0 : latencySum / measured;
    return limiter.limit();
  }

  @Test
  void anAdaptiveLimitGrowsWhileTheBotAnswersAsFastAsBefore() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);

    int limit = simulate(limiter, 200_000, 100_000, 10, 100_000); // a bot without a knee in reach

    assertThat(limit).isEqualTo(1000);
  }

  @Test
  void anAdaptiveLimitSettlesAtABotsKneeInsteadOfQueueingAtIt() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);
    long[] seen = new long[2];

    // Past 50 calls the bot's latency doubles; a million calls, so a limit that crept up would show.
    simulate(limiter, 1_000_000, 50, 10, 100_000, seen);

    assertThat(seen[0]).as("highest limit in the second half").isBetween(50L, 75L);
    assertThat(seen[1]).as("average latency in the second half, ms").isLessThanOrEqualTo(12);
  }

  @Test
  void anAdaptiveLimitStaysNearTheKneeOfABotWhoseLatencyGrowsSmoothlyWithItsQueue() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);
    long[] seen = new long[2];

    // A few calls past the knee add a little latency each: no window stands out, and a no-load
    // estimate that forgot the unqueued latency would let the limit creep up the queue.
    simulate(limiter, 1_000_000, 50, 10, 100_000, seen, true);

    assertThat(seen[0]).as("highest limit in the second half").isBetween(50L, 75L);
    assertThat(seen[1]).as("average latency in the second half, ms").isLessThanOrEqualTo(15);
  }

  /** A bot with a knee at 50 calls at {@code beforeMs} a call, then at {@code afterMs}: what the second run saw. */
  private static long[] settleThenChange(long beforeMs, long afterMs) throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);
    simulate(limiter, 200_000, 50, beforeMs, 100_000);
    long[] seen = new long[2];
    simulate(limiter, 200_000, 50, afterMs, 100_000, seen);
    return seen;
  }

  @Test
  void aBotThatBecameSlowerForEveryoneIsReLearntAndGetsItsKneeBack() throws InterruptedException {
    // Three times slower at every concurrency, the same knee: cutting the limit does not help.
    long[] seen = settleThenChange(10, 30);

    assertThat(seen[0]).as("highest limit in the second half").isBetween(50L, 75L);
    assertThat(seen[1]).as("average latency in the second half, ms").isLessThanOrEqualTo(36);
  }

  @Test
  void aBotThatBecameFasterIsReLearnt() throws InterruptedException {
    long[] seen = settleThenChange(30, 10);

    assertThat(seen[0]).as("highest limit in the second half").isBetween(50L, 75L);
    assertThat(seen[1]).as("average latency in the second half, ms").isLessThanOrEqualTo(12);
  }

  @Test
  void latenciesThatMerelyVaryAreNotTakenForQueueing() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);
    java.util.Random random = new java.util.Random(7);
    java.util.ArrayDeque<Long> permits = new java.util.ArrayDeque<>();
    for (int call = 0; call < 300_000; call++) {
      while (limiter.inFlight() < limiter.limit()) {
        permits.add(limiter.acquire()); // the limit in use: as many calls in flight as it allows
      }
      // 5 to 50 ms whatever the concurrency: a long tail, no knee.
      limiter.release(permits.remove(), (5 + random.nextInt(46)) * MS, false);
    }

    assertThat(limiter.limit()).isGreaterThan(500);
  }

  @Test
  void anAdaptiveLimitDoesNotGrowWhenItIsNotUsed() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);

    int limit = simulate(limiter, 50_000, 100_000, 10, 5); // five conversations: never more than 5 calls

    // It grows only while at least half of it is in use: past 10, five calls no longer are.
    assertThat(limit).isBetween(ConcurrencySettings.ADAPTIVE_INITIAL_LIMIT, 20);
  }

  @Test
  void anAbandonedPermitFreesItsPlaceAndMeasuresNothing() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.fixed(1), 1000);

    limiter.abandon(limiter.acquire());

    assertThat(limiter.inFlight()).isZero();
    limiter.release(limiter.acquire(), MS, false);
    assertThat(limiter.inFlight()).isZero();
  }

  @Test
  void overloadSignalsShrinkAnAdaptiveLimit() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);
    for (int i = 0; i < 10; i++) {
      limiter.release(limiter.acquire(), 5 * MS, true);
    }

    assertThat(limiter.limit()).isLessThan(ConcurrencySettings.ADAPTIVE_INITIAL_LIMIT).isPositive();
  }

  @Test
  void aFixedLimitHoldsTheNextCallUntilOneEnds() throws Exception {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.fixed(2), 1000);
    limiter.acquire();
    limiter.acquire();
    CountDownLatch started = new CountDownLatch(1);
    Thread third = Thread.ofVirtual().start(() -> {
      try {
        limiter.acquire();
        started.countDown();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });

    assertThat(started.await(200, TimeUnit.MILLISECONDS)).as("a third call while two are in flight").isFalse();
    limiter.release(0, MS, false);
    assertThat(started.await(30, TimeUnit.SECONDS)).as("the third call once one ended").isTrue();
    third.join();
    assertThat(limiter.inFlight()).isEqualTo(2);
    assertThat(limiter.limit()).isEqualTo(2);
  }

  @Test
  void unlimitedCountsNothingAndNeverWaits() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.unlimited(), 1000);
    for (int i = 0; i < 10_000; i++) {
      limiter.acquire();
    }

    assertThat(limiter.limited()).isFalse();
    assertThat(limiter.inFlight()).isZero();
  }
}
