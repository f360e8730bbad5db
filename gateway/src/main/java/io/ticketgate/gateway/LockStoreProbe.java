package io.ticketgate.gateway;

import io.ticketgate.gateway.metrics.GatewayMetrics;
import io.ticketgate.gateway.metrics.Health;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockStore;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pings the lock store every few seconds on a thread of its own, so {@code ticketgate_lock_store_up}
 * and readiness follow the store even when nothing scrapes or probes, and a probe never waits on a
 * slow store. It owns the last {@link Health} of the store: written only by its thread, read by the
 * health endpoint.
 */
final class LockStoreProbe implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(LockStoreProbe.class);

  private final LockStore store;
  private final GatewayMetrics metrics;
  private final ScheduledExecutorService thread;
  private volatile Health health = Health.unhealthy("the lock store has not been probed yet");
  /** Only the probe thread reads and writes it. */
  private boolean probed;

  LockStoreProbe(LockStore store, GatewayMetrics metrics, Duration interval) {
    this.store = store;
    this.metrics = metrics;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ticketgate-lock-store-probe");
      t.setDaemon(true);
      return t;
    });
    // Fixed delay: a store that hangs until its timeout delays the next probe instead of piling probes up.
    thread.scheduleWithFixedDelay(this::probe, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The store's state at the last probe. */
  Health health() {
    return health;
  }

  private void probe() {
    long start = System.nanoTime();
    String error;
    String detail;
    try {
      store.ping();
      error = null;
      detail = null;
    } catch (LockException e) {
      error = e.reason().name().toLowerCase(Locale.ROOT);
      detail = e.getMessage();
    } catch (RuntimeException e) {
      error = "error";
      detail = e.toString();
    }
    Duration took = Duration.ofNanos(System.nanoTime() - start);
    metrics.lockStoreProbe(took, error);
    boolean wasUp = health.up();
    boolean first = !probed;
    probed = true;
    if (error == null) {
      health = Health.healthy(Map.of("lock_store_ping_ms", took.toMillis()));
    } else {
      health = Health.unhealthy("lock store unreachable: " + detail);
      if (wasUp || first) {
        log.warn("the lock store does not answer: {}", detail);
      }
    }
    if (error == null && !wasUp) {
      log.info("the lock store answers ({} ms)", took.toMillis());
    }
  }

  @Override
  public void close() {
    thread.shutdownNow();
  }
}
