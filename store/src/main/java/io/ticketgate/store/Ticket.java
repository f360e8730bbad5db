package io.ticketgate.store;

import java.time.Clock;

/**
 * One place in a conversation's queue, as Rasa's {@code Ticket}: a number and the instant it expires.
 *
 * <p>{@code expires} is in Unix epoch seconds (fractional), the unit Rasa serializes, so a ticket
 * written by a Rasa server reads back unchanged. Instances are immutable and thread-safe.
 *
 * @param number the ticket number; Rasa's {@code redis} store counts from 0, the concurrent store from 1
 * @param expires when the ticket stops holding its place, in epoch seconds
 */
public record Ticket(int number, double expires) {

  /** Validates the components. */
  public Ticket {
    if (number < 0) {
      throw new IllegalArgumentException("ticket number must be >= 0 but was " + number);
    }
    if (!Double.isFinite(expires)) {
      throw new IllegalArgumentException("ticket " + number + ": expires must be finite but was " + expires);
    }
  }

  /** Returns whether this ticket has expired by the system clock. */
  public boolean hasExpired() {
    return hasExpired(Clock.systemUTC());
  }

  /** Returns whether this ticket has expired by {@code clock}. */
  public boolean hasExpired(Clock clock) {
    return hasExpiredAt(epochSeconds(clock));
  }

  /** Returns whether this ticket has expired at {@code epochSeconds}; like Rasa, expiry is strict. */
  public boolean hasExpiredAt(double epochSeconds) {
    return expires < epochSeconds;
  }

  /** Returns a copy of this ticket that expires at {@code newExpires}. */
  public Ticket withExpires(double newExpires) {
    return new Ticket(number, newExpires);
  }

  /** The clock's current time in epoch seconds, the unit tickets use. */
  static double epochSeconds(Clock clock) {
    return clock.millis() / 1000.0;
  }
}
