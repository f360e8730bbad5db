package io.ticketgate.store.testing;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A clock that stands still until a test moves it, so expiry can be tested by stepping time instead
 * of sleeping. Thread-safe: stores may read it from their own threads while a test advances it.
 */
public final class MutableClock extends Clock {

  /** An arbitrary, fixed starting instant (2024-01-01T00:00:00Z) so tests are reproducible. */
  public static final Instant DEFAULT_START = Instant.parse("2024-01-01T00:00:00Z");

  private final AtomicReference<Instant> now;
  private final ZoneId zone;

  /** A clock at {@link #DEFAULT_START}. */
  public MutableClock() {
    this(DEFAULT_START);
  }

  /** A clock at {@code start}. */
  public MutableClock(Instant start) {
    this(new AtomicReference<>(Objects.requireNonNull(start, "start")), ZoneOffset.UTC);
  }

  private MutableClock(AtomicReference<Instant> now, ZoneId zone) {
    this.now = now;
    this.zone = zone;
  }

  /** Moves the clock forward (or backward, for a negative amount) and returns the new instant. */
  public Instant advance(Duration amount) {
    Objects.requireNonNull(amount, "amount");
    return now.updateAndGet(i -> i.plus(amount));
  }

  /** Moves the clock forward by {@code millis} milliseconds and returns the new instant. */
  public Instant advanceMillis(long millis) {
    return advance(Duration.ofMillis(millis));
  }

  /** Sets the clock to {@code instant}. */
  public void set(Instant instant) {
    now.set(Objects.requireNonNull(instant, "instant"));
  }

  /** The current time in epoch seconds, the unit tickets use. */
  public double epochSeconds() {
    return millis() / 1000.0;
  }

  @Override
  public Instant instant() {
    return now.get();
  }

  @Override
  public long millis() {
    return now.get().toEpochMilli();
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  /** A view in another zone that shares this clock's time (moving one moves both). */
  @Override
  public Clock withZone(ZoneId zone) {
    return new MutableClock(now, Objects.requireNonNull(zone, "zone"));
  }

  @Override
  public String toString() {
    return "MutableClock[" + now.get() + ", " + zone + "]";
  }
}
