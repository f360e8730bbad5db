package io.ticketgate.gateway.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The result of a {@link HealthCheck}: up or down, and a few details for the person or probe
 * reading it, served as {@code {"status": "UP", "details": {...}}}.
 *
 * @param up whether the checked thing works
 * @param details short facts such as {@code {"assigned_partitions": 3}}; values must be JSON-friendly
 *     (strings, numbers, booleans, lists, maps)
 */
public record Health(boolean up, Map<String, Object> details) {

  /** Freezes the details, keeping their order. */
  public Health {
    details = details == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(details));
  }

  /** Up, without details. */
  public static Health healthy() {
    return new Health(true, Map.of());
  }

  /** Up, with details. */
  public static Health healthy(Map<String, Object> details) {
    return new Health(true, details);
  }

  /** Down, with details saying why. */
  public static Health unhealthy(Map<String, Object> details) {
    return new Health(false, details);
  }

  /** Down, with {@code reason} as the {@code reason} detail. */
  public static Health unhealthy(String reason) {
    return new Health(false, Map.of("reason", reason));
  }
}
