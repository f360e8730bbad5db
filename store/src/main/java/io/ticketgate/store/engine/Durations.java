package io.ticketgate.store.engine;

import java.time.Duration;

/** Arithmetic on nanoseconds and milliseconds that saturates instead of overflowing. */
final class Durations {

  private Durations() {}

  /** {@code d} in nanoseconds, saturating for durations of centuries (a wait "for ever"). */
  static long nanos(Duration d) {
    try {
      return d.toNanos();
    } catch (ArithmeticException e) {
      return d.isNegative() ? Long.MIN_VALUE : Long.MAX_VALUE;
    }
  }

  /** {@code a + b}, or {@link Long#MAX_VALUE} when that overflows. */
  static long saturatedAdd(long a, long b) {
    long r = a + b;
    return ((a ^ r) & (b ^ r)) < 0 ? Long.MAX_VALUE : r;
  }
}
