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

  /** Runs {@code calls} calls in rounds of as many as the limit lets through at once; returns the last limit. */
  private static int simulate(BotLimiter limiter, int calls, int workers, long serviceMs, int demand)
      throws InterruptedException {
    int done = 0;
    while (done < calls) {
      int batch = Math.min(demand, limiter.limit());
      for (int i = 0; i < batch; i++) {
        limiter.acquire();
      }
      long latency = kneeLatency(batch, workers, serviceMs);
      for (int i = 0; i < batch; i++) {
        limiter.release(latency, false);
      }
      done += batch;
    }
    return limiter.limit();
  }

  @Test
  void anAdaptiveLimitGrowsWhileTheBotAnswersAsFastAsBefore() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);

    int limit = simulate(limiter, 200_000, 100_000, 10, 100_000); // a bot without a knee in reach

    assertThat(limit).isEqualTo(1000);
  }

  @Test
  void anAdaptiveLimitSettlesNearABotsKneeInsteadOfQueueingAtIt() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);

    int limit = simulate(limiter, 200_000, 50, 10, 100_000);

    // Past 50 calls the bot's latency doubles; the limit stays within the tolerance above the knee.
    assertThat(limit).isBetween(25, 100);
    assertThat(kneeLatency(limit, 50, 10)).as("latency at the settled limit").isLessThanOrEqualTo(20 * MS);
  }

  @Test
  void latenciesThatMerelyVaryAreNotTakenForQueueing() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);
    java.util.Random random = new java.util.Random(7);
    for (int call = 0; call < 300_000; call++) {
      while (limiter.inFlight() < limiter.limit()) {
        limiter.acquire(); // the limit in use: as many calls in flight as it allows
      }
      // 5 to 50 ms whatever the concurrency: a long tail, no knee.
      limiter.release((5 + random.nextInt(46)) * MS, false);
    }

    assertThat(limiter.limit()).isGreaterThan(500);
  }

  @Test
  void anAdaptiveLimitDoesNotGrowWhenItIsNotUsed() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);

    int limit = simulate(limiter, 50_000, 100_000, 10, 5); // five conversations: never more than 5 calls

    assertThat(limit).isEqualTo(ConcurrencySettings.ADAPTIVE_INITIAL_LIMIT);
  }

  @Test
  void overloadSignalsShrinkAnAdaptiveLimit() throws InterruptedException {
    BotLimiter limiter = new BotLimiter(ConcurrencySettings.adaptive(), 1000);
    for (int i = 0; i < 10; i++) {
      limiter.acquire();
      limiter.release(5 * MS, true);
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
    limiter.release(MS, false);
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
