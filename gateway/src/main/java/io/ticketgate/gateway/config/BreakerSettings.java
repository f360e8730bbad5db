package io.ticketgate.gateway.config;

import java.time.Duration;

/**
 * The {@code bot.breaker:} section: when the gateway stops calling a bot that keeps failing, and how
 * soon it tries again. Only failures saying the bot is unavailable count: timeouts, refused or
 * broken connections, 429, 502, 503 and 504 (a Java handler's {@code BotException.retryable}). Any
 * other answer shows the bot is up. A 500 (or another 5xx) or a 408 is the bot failing on one
 * message (a crashing custom action, say): it is retried within the message's own
 * {@code dispatch.retries} and then dead-lettered, rather than holding every conversation as an
 * open breaker would. Other 4xx, but the fencing status, are dead-lettered at once.
 *
 * @param enabled whether there is a breaker at all; default true. Without one, failures of an
 *     unavailable bot are retried {@code dispatch.retries} times and then dead-lettered, like a 500
 * @param failureThreshold how many such failures in a row, across all conversations, open the
 *     breaker; default {@value #DEFAULT_FAILURE_THRESHOLD}
 * @param failureRate the share of such failures among the last {@code window} calls that opens the
 *     breaker, in (0, 1]; judged only once {@code window} calls were made since it last closed;
 *     default {@value #DEFAULT_FAILURE_RATE}
 * @param window how many of the latest calls the failure rate is taken over; default
 *     {@value #DEFAULT_WINDOW}
 * @param openFor how long the breaker stays open the first time before it lets one probe call
 *     through; doubled after each failed probe; default 1 s
 * @param openForMax the longest open interval, also the cap on a {@code Retry-After} the bot sends
 *     with a 503; default 30 s
 */
public record BreakerSettings(boolean enabled, int failureThreshold, double failureRate, int window,
    Duration openFor, Duration openForMax) {

  /** Default {@link #failureThreshold()}. */
  public static final int DEFAULT_FAILURE_THRESHOLD = 3;
  /** Default {@link #failureRate()}. */
  public static final double DEFAULT_FAILURE_RATE = 0.5;
  /** Default {@link #window()}. */
  public static final int DEFAULT_WINDOW = 20;
  /** Default {@link #openFor()}. */
  public static final Duration DEFAULT_OPEN_FOR = Duration.ofSeconds(1);
  /** Default {@link #openForMax()}. */
  public static final Duration DEFAULT_OPEN_FOR_MAX = Duration.ofSeconds(30);

  /** Checks the components; the configuration reader reports bad values with their keys first. */
  public BreakerSettings {
    java.util.Objects.requireNonNull(openFor, "openFor");
    java.util.Objects.requireNonNull(openForMax, "openForMax");
    if (failureThreshold < 1) {
      throw new IllegalArgumentException("failureThreshold < 1: " + failureThreshold);
    }
    if (!(failureRate > 0 && failureRate <= 1)) {
      throw new IllegalArgumentException("failureRate not in (0, 1]: " + failureRate);
    }
    if (window < 1) {
      throw new IllegalArgumentException("window < 1: " + window);
    }
    if (openFor.isNegative() || openFor.isZero() || openForMax.compareTo(openFor) < 0) {
      throw new IllegalArgumentException("need 0 < openFor <= openForMax: " + openFor + ", " + openForMax);
    }
  }

  /** The defaults: enabled, 3 in a row or half of the last 20 calls, open 1 s doubling up to 30 s. */
  public static BreakerSettings defaults() {
    return new BreakerSettings(true, DEFAULT_FAILURE_THRESHOLD, DEFAULT_FAILURE_RATE, DEFAULT_WINDOW, DEFAULT_OPEN_FOR,
        DEFAULT_OPEN_FOR_MAX);
  }

  /** No breaker: retryable failures are dead-lettered once {@code dispatch.retries} are spent. */
  public static BreakerSettings disabled() {
    BreakerSettings d = defaults();
    return new BreakerSettings(false, d.failureThreshold, d.failureRate, d.window, d.openFor, d.openForMax);
  }
}
