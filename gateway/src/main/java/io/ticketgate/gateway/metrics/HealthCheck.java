package io.ticketgate.gateway.metrics;

/**
 * Answers whether some part of the gateway works, for {@code /health/live} or {@code /health/ready}.
 * It is called on every probe, from the metrics server's threads, so it must be quick and
 * thread-safe; a check that throws counts as down.
 */
@FunctionalInterface
public interface HealthCheck {

  /** A check that is always up, for a probe that has nothing to check. */
  HealthCheck ALWAYS_UP = Health::healthy;

  /** The current health. */
  Health check();
}
