package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.config.BreakerSettings;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The breaker's state machine, stepped through with a clock the test moves: no sleeps, no timing
 * assertions.
 */
class BotBreakerTest {

  private final AtomicLong now = new AtomicLong(1_000_000_000L);
  private final List<BreakerState> transitions = new CopyOnWriteArrayList<>();

  /** Threshold 3, rate 0.5 over 10 calls, open 1 s doubling up to 4 s. */
  private BotBreaker breaker() {
    return breaker(new BreakerSettings(true, 3, 0.5, 10, Duration.ofSeconds(1), Duration.ofSeconds(4)));
  }

  private BotBreaker breaker(BreakerSettings settings) {
    return new BotBreaker(settings, now::get, transitions::add);
  }

  private void advance(Duration d) {
    now.addAndGet(d.toNanos());
  }

  private static void fail(BotBreaker b, int times) {
    for (int i = 0; i < times; i++) {
      b.failed(b.tryAcquire(), null);
    }
  }

  @Test
  void consecutiveFailuresOpenItAndASuccessInBetweenStartsTheCountAgain() {
    BotBreaker b = breaker();
    fail(b, 2);
    b.succeeded(b.tryAcquire());
    fail(b, 2);
    assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(b.failed(b.tryAcquire(), null)).as("the third in a row opens it, and the caller holds").isTrue();
    assertThat(b.state()).isEqualTo(BreakerState.OPEN);
    assertThat(transitions).containsExactly(BreakerState.OPEN);
  }

  @Test
  void aFailureRateOpensItOnlyOnceTheWindowIsFull() {
    BotBreaker b = breaker(new BreakerSettings(true, 100, 0.5, 10, Duration.ofSeconds(1), Duration.ofSeconds(4)));
    for (int i = 0; i < 4; i++) {
      b.failed(b.tryAcquire(), null);
      b.succeeded(b.tryAcquire());
    }
    b.failed(b.tryAcquire(), null);
    assertThat(b.state()).as("5 failures in 9 calls: the window is not full yet").isEqualTo(BreakerState.CLOSED);
    b.succeeded(b.tryAcquire());
    assertThat(b.state()).as("5 failures in 10 calls").isEqualTo(BreakerState.OPEN);
  }

  @Test
  void theWindowSlidesSoOldFailuresDropOut() {
    BotBreaker b = breaker(new BreakerSettings(true, 100, 0.5, 4, Duration.ofSeconds(1), Duration.ofSeconds(4)));
    b.failed(b.tryAcquire(), null);
    for (int i = 0; i < 6; i++) {
      b.succeeded(b.tryAcquire());
    }
    b.failed(b.tryAcquire(), null);
    assertThat(b.state()).as("1 failure in the last 4 calls").isEqualTo(BreakerState.CLOSED);
    b.failed(b.tryAcquire(), null);
    assertThat(b.state()).as("2 in the last 4").isEqualTo(BreakerState.OPEN);
  }

  @Test
  void openItLetsNothingThroughUntilTheIntervalEndsThenExactlyOneProbe() {
    BotBreaker b = breaker();
    fail(b, 3);
    assertThat(b.tryAcquire()).isNull();
    advance(Duration.ofMillis(999));
    assertThat(b.tryAcquire()).isNull();
    advance(Duration.ofMillis(1));
    BotBreaker.Permit probe = b.tryAcquire();
    assertThat(probe).isNotNull().satisfies(p -> assertThat(p.probe()).isTrue());
    assertThat(b.state()).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(b.tryAcquire()).as("a second caller while the probe is out").isNull();
    assertThat(transitions).containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN);
  }

  @Test
  void aSuccessfulProbeClosesItAndTheNextOpeningStartsFromOpenForAgain() {
    BotBreaker b = breaker();
    fail(b, 3);
    advance(Duration.ofSeconds(1));
    b.failed(b.tryAcquire(), null); // failed probe: 2 s now
    advance(Duration.ofSeconds(2));
    b.succeeded(b.tryAcquire());
    assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(b.tryAcquire()).satisfies(p -> assertThat(p.probe()).isFalse());

    fail(b, 3);
    advance(Duration.ofSeconds(1));
    assertThat(b.state()).as("open for open_for again, not the doubled interval").isEqualTo(BreakerState.HALF_OPEN);
    assertThat(transitions).containsExactly(BreakerState.OPEN, BreakerState.HALF_OPEN, BreakerState.OPEN,
        BreakerState.HALF_OPEN, BreakerState.CLOSED, BreakerState.OPEN, BreakerState.HALF_OPEN);
  }

  @Test
  void eachFailedProbeDoublesTheIntervalUpToTheCap() {
    BotBreaker b = breaker();
    fail(b, 3);
    long[] expectedMillis = {1000, 2000, 4000, 4000};
    for (long millis : expectedMillis) {
      advance(Duration.ofMillis(millis - 1));
      assertThat(b.tryAcquire()).as("still open %d ms in", millis - 1).isNull();
      advance(Duration.ofMillis(1));
      BotBreaker.Permit probe = b.tryAcquire();
      assertThat(probe).as("half-open after %d ms", millis).isNotNull();
      assertThat(b.failed(probe, null)).isTrue();
    }
  }

  @Test
  void aRetryAfterKeepsItOpenLongerButNotPastTheCap() {
    BotBreaker b = breaker();
    fail(b, 2);
    b.failed(b.tryAcquire(), Duration.ofSeconds(3));
    advance(Duration.ofMillis(2999));
    assertThat(b.tryAcquire()).isNull();
    advance(Duration.ofMillis(1));
    BotBreaker.Permit probe = b.tryAcquire();
    assertThat(probe).isNotNull();

    b.failed(probe, Duration.ofHours(1));
    advance(Duration.ofMillis(3999));
    assertThat(b.tryAcquire()).isNull();
    advance(Duration.ofMillis(1));
    assertThat(b.tryAcquire()).as("open_for_max caps the bot's wish").isNotNull();
  }

  @Test
  void aRetryAfterFromACallLetThroughBeforeItOpenedStillExtendsTheInterval() {
    BotBreaker b = breaker();
    BotBreaker.Permit early = b.tryAcquire();
    fail(b, 3);
    assertThat(b.failed(early, Duration.ofSeconds(2))).isTrue();
    advance(Duration.ofMillis(1999));
    assertThat(b.tryAcquire()).isNull();
    advance(Duration.ofMillis(1));
    assertThat(b.tryAcquire()).isNotNull();
  }

  @Test
  void outcomesOfCallsThatAreNotTheProbeChangeNothingOnceOpen() {
    BotBreaker b = breaker();
    BotBreaker.Permit early = b.tryAcquire();
    BotBreaker.Permit late = b.tryAcquire();
    fail(b, 3);
    b.succeeded(early);
    assertThat(b.state()).isEqualTo(BreakerState.OPEN);
    advance(Duration.ofSeconds(1));
    BotBreaker.Permit probe = b.tryAcquire();
    assertThat(b.failed(late, null)).isTrue();
    b.succeeded(late);
    assertThat(b.state()).as("only the probe decides").isEqualTo(BreakerState.HALF_OPEN);
    b.succeeded(probe);
    assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
  }

  @Test
  void anAbandonedProbeGoesToTheNextCaller() {
    BotBreaker b = breaker();
    fail(b, 3);
    advance(Duration.ofSeconds(1));
    BotBreaker.Permit probe = b.tryAcquire();
    assertThat(b.tryAcquire()).isNull();
    b.abandoned(probe);
    assertThat(b.state()).isEqualTo(BreakerState.HALF_OPEN);
    assertThat(b.tryAcquire()).isNotNull().satisfies(p -> assertThat(p.probe()).isTrue());
  }

  @Test
  void consumptionPausesWhileOpenAndResumesWhenHalfOpenWithNobodyToProbe() {
    BotBreaker b = breaker();
    assertThat(b.holdsConsumption()).isFalse();
    fail(b, 3);
    assertThat(b.holdsConsumption()).isTrue();
    advance(Duration.ofSeconds(1));
    assertThat(b.holdsConsumption()).as("half-open, no record waiting: a new one must make the probe call")
        .isFalse();
    BotBreaker.Permit probe = b.tryAcquire();
    assertThat(b.holdsConsumption()).as("the probe is out").isTrue();
    b.succeeded(probe);
    assertThat(b.holdsConsumption()).isFalse();
  }

  @Test
  void aWaitingCallerIsLetThroughWhenTheProbeSucceeds() throws Exception {
    BotBreaker b = breaker();
    fail(b, 3);
    advance(Duration.ofSeconds(1));
    BotBreaker.Permit probe = b.tryAcquire();
    CompletableFuture<BotBreaker.Permit> waiter = CompletableFuture.supplyAsync(() -> {
      try {
        return b.acquire(Long.MAX_VALUE / 2);
      } catch (InterruptedException e) {
        throw new IllegalStateException(e);
      }
    });
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (b.waiting() == 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(b.waiting()).isEqualTo(1);
    assertThat(b.holdsConsumption()).isTrue();
    b.succeeded(probe);
    assertThat(waiter.get(30, TimeUnit.SECONDS).probe()).isFalse();
    assertThat(b.waiting()).isZero();
  }

  @Test
  void aWaitThatRunsOutReturnsNoPermit() throws Exception {
    BotBreaker b = breaker();
    fail(b, 3);
    assertThat(b.acquire(0)).isNull();
    assertThat(b.waiting()).isZero();
  }

  @Test
  void aDisabledBreakerNeverOpens() {
    BotBreaker b = breaker(BreakerSettings.disabled());
    for (int i = 0; i < 100; i++) {
      assertThat(b.failed(b.tryAcquire(), Duration.ofSeconds(5))).isFalse();
    }
    assertThat(b.state()).isEqualTo(BreakerState.CLOSED);
    assertThat(b.holdsConsumption()).isFalse();
    assertThat(transitions).isEmpty();
  }
}
