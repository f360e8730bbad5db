package io.ticketgate.loadtest;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Percentiles of one measured quantity, in milliseconds.
 *
 * @param count how many samples
 */
public record Stats(long count, double p50, double p95, double p99, double max) {

  /** Nearest-rank percentiles of the samples (milliseconds); all zero when there are none. */
  public static Stats of(double[] millis) {
    if (millis.length == 0) {
      return new Stats(0, 0, 0, 0, 0);
    }
    double[] sorted = millis.clone();
    Arrays.sort(sorted);
    return new Stats(sorted.length, rank(sorted, 0.50), rank(sorted, 0.95), rank(sorted, 0.99),
        sorted[sorted.length - 1]);
  }

  private static double rank(double[] sorted, double q) {
    int index = (int) Math.ceil(q * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
  }

  /** For report.json. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("count", count);
    m.put("p50_ms", p50);
    m.put("p95_ms", p95);
    m.put("p99_ms", p99);
    m.put("max_ms", max);
    return m;
  }

  /** A markdown table row. */
  public String row(String name) {
    return String.format(Locale.ROOT, "| %s | %d | %.1f | %.1f | %.1f | %.1f |", name, count, p50, p95, p99, max);
  }
}
