package io.ticketgate.store.engine;

import java.time.Clock;
import java.time.Duration;

/**
 * A lower bound of one ticket's expiry, kept by the process that owns the ticket.
 *
 * <p>The store computes the real expiry from an instant no earlier than the request (issue or
 * renewal) that set it, so request time plus lifetime is never later than the real expiry. Once
 * the bound has passed, the ticket may have expired (the real expiry is at most one store call
 * later), and under Rasa's numbering its number may already belong to someone else, so its owner
 * treats it as gone: it neither renews it nor gives it back, and the store drops it at its real
 * expiry. Thread-safe; the bound only grows.
 */
final class ExpiryBound {

  private final Clock clock;
  private final long lifetimeMillis;
  private volatile long expiresAtMillis;

  ExpiryBound(Clock clock, Duration lifetime, long requestedAtMillis) {
    this.clock = clock;
    this.lifetimeMillis = lifetime.toMillis();
    this.expiresAtMillis = Durations.saturatedAdd(requestedAtMillis, lifetimeMillis);
  }

  /** The bound, in epoch milliseconds by the store's clock. */
  long expiresAtMillis() {
    return expiresAtMillis;
  }

  /** Whether the ticket may have expired: its owner must treat it as gone. */
  boolean hasPassed() {
    return clock.millis() > expiresAtMillis;
  }

  /** A renewal requested at {@code requestedAtMillis} succeeded. */
  synchronized void renewed(long requestedAtMillis) {
    long bound = Durations.saturatedAdd(requestedAtMillis, lifetimeMillis);
    if (bound > expiresAtMillis) {
      expiresAtMillis = bound;
    }
  }
}
