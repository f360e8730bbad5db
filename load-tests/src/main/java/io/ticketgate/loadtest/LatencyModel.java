package io.ticketgate.loadtest;

import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How long the {@link RecordingBot} takes to answer: {@code fixed:10ms}, {@code uniform:5ms:20ms}
 * or {@code lognormal:10ms:50ms} (p50 and p99).
 */
public sealed interface LatencyModel {

  /** The log-normal's z-score of the 99th percentile: sigma = (ln p99 - ln p50) / z99. */
  double Z99 = 2.3263;

  /** Draws one latency in nanoseconds. */
  long nextNanos();

  /** Always the same latency. */
  record Fixed(long nanos) implements LatencyModel {
    @Override
    public long nextNanos() {
      return nanos;
    }
  }

  /** Uniform between min and max inclusive. */
  record Uniform(long minNanos, long maxNanos) implements LatencyModel {
    @Override
    public long nextNanos() {
      return minNanos == maxNanos ? minNanos
          : ThreadLocalRandom.current().nextLong(minNanos, maxNanos + 1);
    }
  }

  /** Log-normal with the given median and 99th percentile, as real services' latencies look. */
  record LogNormal(double mu, double sigma) implements LatencyModel {
    /** Derives mu and sigma (of ln nanoseconds) from p50 and p99. */
    public static LogNormal of(long p50Nanos, long p99Nanos) {
      double mu = Math.log(p50Nanos);
      return new LogNormal(mu, (Math.log(p99Nanos) - mu) / Z99);
    }

    @Override
    public long nextNanos() {
      return Math.round(Math.exp(mu + sigma * ThreadLocalRandom.current().nextGaussian()));
    }
  }

  /**
   * Parses {@code fixed:D}, {@code uniform:MIN:MAX} or {@code lognormal:P50:P99}, durations like
   * {@code 10ms}, {@code 1.5s} or {@code 200us}.
   *
   * @throws IllegalArgumentException naming what was wrong
   */
  static LatencyModel parse(String spec) {
    String[] parts = spec.trim().split(":");
    String kind = parts[0].toLowerCase(Locale.ROOT);
    switch (kind) {
      case "fixed" -> {
        expectParts(spec, parts, 2, "fixed:10ms");
        return new Fixed(durationNanos(parts[1], spec));
      }
      case "uniform" -> {
        expectParts(spec, parts, 3, "uniform:5ms:20ms");
        long min = durationNanos(parts[1], spec);
        long max = durationNanos(parts[2], spec);
        if (min > max) {
          throw new IllegalArgumentException("bot latency '" + spec + "': min " + parts[1]
              + " is greater than max " + parts[2]);
        }
        return new Uniform(min, max);
      }
      case "lognormal" -> {
        expectParts(spec, parts, 3, "lognormal:10ms:50ms");
        long p50 = durationNanos(parts[1], spec);
        long p99 = durationNanos(parts[2], spec);
        if (p50 <= 0 || p99 < p50) {
          throw new IllegalArgumentException("bot latency '" + spec
              + "': p50 must be positive and p99 at least p50");
        }
        return LogNormal.of(p50, p99);
      }
      default -> throw new IllegalArgumentException("bot latency '" + spec
          + "' has unknown kind '" + parts[0] + "'; use fixed:10ms, uniform:5ms:20ms or lognormal:10ms:50ms");
    }
  }

  private static void expectParts(String spec, String[] parts, int n, String example) {
    if (parts.length != n) {
      throw new IllegalArgumentException("bot latency '" + spec + "' must look like " + example);
    }
  }

  /** Parses {@code 10ms}, {@code 1.5s}, {@code 200us}, {@code 0} into nanoseconds. */
  static long durationNanos(String text, String context) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    double scale;
    String number;
    if (t.endsWith("ms")) {
      scale = 1e6;
      number = t.substring(0, t.length() - 2);
    } else if (t.endsWith("us")) {
      scale = 1e3;
      number = t.substring(0, t.length() - 2);
    } else if (t.endsWith("ns")) {
      scale = 1;
      number = t.substring(0, t.length() - 2);
    } else if (t.endsWith("s")) {
      scale = 1e9;
      number = t.substring(0, t.length() - 1);
    } else if (t.equals("0")) {
      return 0;
    } else {
      throw new IllegalArgumentException("'" + text + "' in '" + context
          + "' needs a unit: ns, us, ms or s");
    }
    try {
      double value = Double.parseDouble(number);
      if (value < 0) {
        throw new IllegalArgumentException("'" + text + "' in '" + context + "' is negative");
      }
      return Math.round(value * scale);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + text + "' in '" + context + "' is not a duration", e);
    }
  }

  /** Same as {@link #durationNanos} as a {@link Duration}. */
  static Duration duration(String text, String context) {
    return Duration.ofNanos(durationNanos(text, context));
  }
}
