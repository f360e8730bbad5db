package io.ticketgate.store.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Argument checks with uniform messages. Internal: not part of the public API.
 */
public final class Checks {

  private Checks() {}

  /** {@code value} when it is positive; otherwise an exception naming it. */
  public static Duration positive(Duration value, String name) {
    Objects.requireNonNull(value, name);
    if (value.isNegative() || value.isZero()) {
      throw new IllegalArgumentException(name + " must be positive but was " + value);
    }
    return value;
  }

  /** {@code conversationId} when it is a usable conversation id. */
  public static String conversationId(String conversationId) {
    Objects.requireNonNull(conversationId, "conversationId");
    if (conversationId.isEmpty()) {
      throw new IllegalArgumentException("conversationId must not be empty");
    }
    return conversationId;
  }
}
