package io.ticketgate.gateway.bot;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/**
 * Reads an HTTP {@code Retry-After} header (RFC 9110, section 10.2.3): either a number of seconds or
 * an HTTP-date. Only 429 and 503 answers are asked for it; on other statuses it means nothing to a
 * client sending the same request again.
 */
final class RetryAfter {

  private RetryAfter() {}

  /**
   * How long the bot asked to be left alone.
   *
   * @param value the header's value, or null when the answer had none
   * @param now the wall-clock time the answer arrived, to turn an HTTP-date into a wait
   * @return the wait (zero for a date in the past); null when there is no header or it is neither
   *     form, so the caller's own backoff applies
   */
  static Duration parse(String value, Instant now) {
    if (value == null || value.isBlank()) {
      return null;
    }
    String v = value.trim();
    if (v.chars().allMatch(Character::isDigit)) {
      try {
        return Duration.ofSeconds(Long.parseLong(v));
      } catch (NumberFormatException e) {
        // More digits than a long holds: a bot asking for centuries. The caller caps it anyway.
        return Duration.ofSeconds(Long.MAX_VALUE / 1_000_000_000L);
      }
    }
    try {
      // IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"), the form senders must use.
      Instant at = ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
      Duration wait = Duration.between(now, at);
      return wait.isNegative() ? Duration.ZERO : wait;
    } catch (DateTimeParseException e) {
      return null;
    }
  }
}
