package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.config.DispatchSettings;
import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Pauses between attempts: exponential from {@code retry_backoff}, capped, with jitter. Immutable. */
final class Backoff {

  /**
   * The cap for lock-store retries. Lower than the bot's: a failing store call is cheap (the client
   * refuses at once while disconnected), and with the bot's 10 s cap a job whose attempt failed just
   * before a Redis restart ended would sleep seconds past it, stalling its conversation long after
   * the store was back.
   */
  static final long STORE_MAX_MILLIS = 1000;

  private final long baseMillis;
  private final long maxMillis;

  Backoff(DispatchSettings dispatch) {
    this.baseMillis = dispatch.retryBackoff().toMillis();
    this.maxMillis = dispatch.retryBackoffMax().toMillis();
  }

  /** Before bot attempt {@code attempt + 1}, and before publishing again. */
  Duration bot(int attempt) {
    return pause(attempt, maxMillis);
  }

  /**
   * Before bot attempt {@code attempt + 1} when the bot said when to come back: the longer of the
   * backoff and its {@code Retry-After}, which is capped by {@code retry_backoff_max} so that a bot
   * asking for an hour cannot park a conversation's turn that long.
   *
   * @param retryAfter the bot's wait, or null
   */
  Duration bot(int attempt, Duration retryAfter) {
    Duration pause = bot(attempt);
    Duration asked = retryAfter(retryAfter);
    return asked.compareTo(pause) > 0 ? asked : pause;
  }

  /** The bot's {@code Retry-After} capped by {@code retry_backoff_max}; zero when it gave none. */
  Duration retryAfter(Duration retryAfter) {
    if (retryAfter == null || retryAfter.isNegative()) {
      return Duration.ZERO;
    }
    return retryAfter.compareTo(Duration.ofMillis(maxMillis)) > 0 ? Duration.ofMillis(maxMillis) : retryAfter;
  }

  /** Before taking a new ticket after the lock store failed {@code attempt} times. */
  Duration store(int attempt) {
    return pause(attempt, Math.min(maxMillis, STORE_MAX_MILLIS));
  }

  private Duration pause(int attempt, long max) {
    long exp = baseMillis << Math.min(20, Math.max(0, attempt - 1));
    long capped = Math.min(max, exp);
    // Full jitter over the upper half keeps replicas hitting the same failure from retrying in step.
    return Duration.ofMillis(capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1));
  }
}
