package io.ticketgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.metrics.GatewayMetrics;
import io.ticketgate.store.LockException;
import io.ticketgate.store.memory.InMemoryLockStore;
import io.ticketgate.store.testing.Hang;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The probe follows a store that goes away and comes back, in its health and its metrics. */
class LockStoreProbeTest {

  /** A working store whose health check fails while {@code down} is set, as a Redis outage makes it. */
  private static final class FlakyStore extends InMemoryLockStore {
    volatile boolean down;

    @Override
    public void ping() {
      if (down) {
        throw new LockException(LockException.Reason.STORE_FAILED, null, "Redis at redis:6379 refused the connection",
            null);
      }
      super.ping();
    }
  }

  @Test
  void healthAndMetricsFollowTheStoreDownAndBackUp() {
    try (FlakyStore store = new FlakyStore(); GatewayMetrics metrics = new GatewayMetrics();
        LockStoreProbe probe = new LockStoreProbe(store, metrics, Duration.ofMillis(10))) {
      Hang.until(() -> probe.health().up(), Duration.ofSeconds(30), "the first probe");
      assertThat(probe.health().details()).containsKey("lock_store_ping_ms");
      assertThat(metrics.scrape()).contains("ticketgate_lock_store_up 1.0")
          .contains("ticketgate_lock_store_ping_seconds_count");

      store.down = true;
      Hang.until(() -> !probe.health().up(), Duration.ofSeconds(30), "a probe that sees the store down");
      assertThat(probe.health().details().toString()).contains("lock store unreachable")
          .contains("refused the connection");
      Hang.until(() -> metrics.scrape().contains("ticketgate_lock_store_up 0.0"), Duration.ofSeconds(30),
          "the gauge at 0");
      assertThat(metrics.scrape()).contains("ticketgate_lock_store_errors_total{reason=\"store_failed\"}");

      store.down = false;
      Hang.until(() -> probe.health().up(), Duration.ofSeconds(30), "a probe that sees the store back");
      Hang.until(() -> metrics.scrape().contains("ticketgate_lock_store_up 1.0"), Duration.ofSeconds(30),
          "the gauge back at 1");
    }
  }

  @Test
  void everyHistogramHasFifteenBucketSeries() {
    try (GatewayMetrics metrics = new GatewayMetrics()) {
      String scrape = metrics.scrape();
      long waitBuckets = scrape.lines().filter(l -> l.startsWith("ticketgate_lock_wait_seconds_bucket")).count();
      assertThat(waitBuckets).as(scrape).isEqualTo(15);
      assertThat(scrape).contains("ticketgate_lock_wait_seconds_bucket{le=\"+Inf\"}");
    }
  }
}
