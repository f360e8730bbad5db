package io.ticketgate.store.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class HangTest {

  @Test
  void aTimeoutFailsWithEveryThreadsStackIncludingVirtualThreads() throws Exception {
    CountDownLatch never = new CountDownLatch(1);
    Thread parked = Thread.ofVirtual().name("hang-test-virtual").start(() -> {
      try {
        never.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      assertThatThrownBy(() -> Hang.get(new CompletableFuture<>(), Duration.ofMillis(10), "nothing"))
          .isInstanceOf(AssertionError.class)
          .hasMessageContaining("timed out after 10 ms waiting for nothing")
          .hasMessageContaining("\"main\"")
          .hasMessageContaining("hang-test-virtual");
    } finally {
      never.countDown();
      parked.join();
    }
  }

  @Test
  void returnsValuesAndFailures() {
    assertThat(Hang.get(CompletableFuture.completedFuture(5), Duration.ofSeconds(1), "five")).isEqualTo(5);
    IllegalStateException boom = new IllegalStateException("boom");
    assertThat(Hang.failure(CompletableFuture.failedFuture(boom), Duration.ofSeconds(1), "boom")).isSameAs(boom);
    assertThatThrownBy(() -> Hang.failure(CompletableFuture.completedFuture(1), Duration.ofSeconds(1), "one"))
        .isInstanceOf(AssertionError.class).hasMessageContaining("expected a failure");
  }

  @Test
  void untilFailsWithADumpWhenTheConditionNeverHolds() {
    assertThatThrownBy(() -> Hang.until(() -> false, Duration.ofMillis(5), "never"))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("waiting for never")
        .hasMessageContaining("all thread stacks follow");
  }
}
