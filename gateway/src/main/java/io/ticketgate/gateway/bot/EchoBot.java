package io.ticketgate.gateway.bot;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.DeadLetterReasons;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A bot that repeats each message ({@code bot.type: echo}), for demos and tests: it answers
 * {@code {"recipient_id": <conversation>, "text": "echo: <text>"}}.
 *
 * <p>It can pretend to work: {@code delay: 0.2} waits 0.2 s per message; {@code delay_min: 0.1}
 * with {@code delay_max: 0.5} waits a uniformly random time in that range. Values are seconds.
 */
public final class EchoBot implements BotHandler {

  private final long minDelayNanos;
  private final long maxDelayNanos;

  /** An echo bot that answers at once. */
  public EchoBot() {
    this(Map.of());
  }

  /**
   * @param section the {@code bot:} section; {@code delay}, or {@code delay_min} and
   *     {@code delay_max}, are read, other keys ignored
   * @throws IllegalArgumentException naming the key when a delay is not a number of seconds of 0 or
   *     more, when both forms are given, or when only one bound or a min above the max is given
   */
  public EchoBot(Map<String, Object> section) {
    Map<String, Object> s = section == null ? Map.of() : section;
    Duration delay = seconds(s, "delay");
    Duration min = seconds(s, "delay_min");
    Duration max = seconds(s, "delay_max");
    if (delay != null && (min != null || max != null)) {
      throw new IllegalArgumentException(
          "bot.delay cannot be combined with bot.delay_min/bot.delay_max: give a fixed delay or a range");
    }
    if ((min == null) != (max == null)) {
      throw new IllegalArgumentException("bot." + (min == null ? "delay_max" : "delay_min")
          + " needs bot." + (min == null ? "delay_min" : "delay_max") + " too: a random delay needs both bounds");
    }
    if (min != null && min.compareTo(max) > 0) {
      throw new IllegalArgumentException("bot.delay_min was '" + s.get("delay_min")
          + "' but it must not exceed bot.delay_max '" + s.get("delay_max") + "'");
    }
    if (delay != null) {
      min = delay;
      max = delay;
    }
    this.minDelayNanos = min == null ? 0 : min.toNanos();
    this.maxDelayNanos = max == null ? 0 : max.toNanos();
  }

  private static Duration seconds(Map<String, Object> section, String key) {
    Object value = section.get(key);
    if (value == null) {
      return null;
    }
    double d;
    if (value instanceof Number n) {
      d = n.doubleValue();
    } else {
      try {
        d = Double.parseDouble(String.valueOf(value).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("bot." + key + " was '" + value + "' but it must be a number of seconds", e);
      }
    }
    if (!Double.isFinite(d) || d < 0 || d > 24 * 3600) {
      throw new IllegalArgumentException("bot." + key + " was '" + value
          + "' but it must be a number of seconds from 0 to 86400");
    }
    return Duration.ofNanos(Math.round(d * 1e9));
  }

  /** The shortest pretended work per message. */
  public Duration minDelay() {
    return Duration.ofNanos(minDelayNanos);
  }

  /** The longest pretended work per message. */
  public Duration maxDelay() {
    return Duration.ofNanos(maxDelayNanos);
  }

  @Override
  public List<BotReply> handle(BotRequest request) throws BotException {
    long delay = minDelayNanos == maxDelayNanos
        ? minDelayNanos
        : ThreadLocalRandom.current().nextLong(minDelayNanos, maxDelayNanos + 1);
    if (delay > 0) {
      try {
        Thread.sleep(Duration.ofNanos(delay));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw BotException.retryable(DeadLetterReasons.BOT_INTERRUPTED, "Interrupted while echoing conversation '"
            + request.conversationId() + "', ticket " + request.ticket(), e);
      }
    }
    ObjectNode reply = BotJson.MAPPER.createObjectNode();
    reply.put("recipient_id", request.conversationId());
    reply.put("text", "echo: " + request.text());
    return List.of(BotJson.reply(reply));
  }

  @Override
  public String toString() {
    return minDelayNanos == maxDelayNanos
        ? "EchoBot[delay=" + minDelay() + "]"
        : "EchoBot[delay=" + minDelay() + ".." + maxDelay() + "]";
  }
}
