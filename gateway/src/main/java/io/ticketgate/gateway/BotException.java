package io.ticketgate.gateway;

/**
 * A bot failed to handle a message. Retryable failures are tried again with backoff while the
 * conversation keeps its turn. Those that say the bot is unavailable ({@link #retryable}: timeouts,
 * refused connections, 429, 502, 503, 504) count toward the gateway's circuit breaker: while it is
 * open the message waits instead of spending its retries. Those of a bot that answered but failed
 * on this message ({@link #retryableError}: 500, 408) do not: the message is retried within its own
 * budget and then dead-lettered, so one message the bot keeps failing cannot stop the others. The others
 * (4xx, an answer that cannot be parsed) send the message to the dead-letter topic at once. A {@linkplain #fenced fenced}
 * refusal is neither: the bot already accepted a higher ticket of the conversation, so this replica
 * lost the turn; the gateway takes a new ticket (or drops the record when its partition moved).
 * A {@linkplain #turnLost lost turn} is handled the same way, but nothing reached the bot: the
 * handler found the turn lost before its call left the process.
 */
public class BotException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;
  /** The bot answered: this failure is the message's, not a sign that the bot is down. */
  private final boolean answered;
  private final boolean fenced;
  /** Nothing reached the bot: the turn was found lost right before the call (see {@link #turnLost}). */
  private final boolean turnLost;
  private final String reason;
  /** How long the bot asked to be left alone (HTTP {@code Retry-After}), or null. */
  private final java.time.Duration retryAfter;

  /**
   * @param reason a short machine-readable code put in the dead-letter header, such as
   *     {@code bot_http_404} or {@code bot_unparseable_response}
   * @param message what happened, for people
   * @param retryable whether trying again may succeed
   */
  public BotException(String reason, String message, boolean retryable, Throwable cause) {
    this(reason, message, retryable, !retryable, false, false, null, cause);
  }

  private BotException(String reason, String message, boolean retryable, boolean answered, boolean fenced,
      boolean turnLost, java.time.Duration retryAfter, Throwable cause) {
    super(message, cause);
    this.reason = java.util.Objects.requireNonNull(reason, "reason");
    this.retryable = retryable;
    this.answered = answered;
    this.fenced = fenced;
    this.turnLost = turnLost;
    if (retryAfter != null && retryAfter.isNegative()) {
      throw new IllegalArgumentException("retryAfter < 0: " + retryAfter);
    }
    this.retryAfter = retryAfter;
  }

  /** A failure worth retrying because the bot is unavailable: it counts toward the circuit breaker. */
  public static BotException retryable(String reason, String message, Throwable cause) {
    return new BotException(reason, message, true, cause);
  }

  /**
   * A failure of this message that trying again may fix, from a bot that is up (an HTTP 500): it is
   * retried within the message's own budget and then dead-lettered, and does not count toward the
   * circuit breaker.
   */
  public static BotException retryableError(String reason, String message, Throwable cause) {
    return new BotException(reason, message, true, true, false, false, null, cause);
  }

  /**
   * A failure worth retrying, no sooner than {@code retryAfter}: the bot said when to come back
   * (HTTP 429 or 503 with {@code Retry-After}). The gateway waits at least that long before the
   * next attempt and, while the bot is unavailable, keeps its circuit breaker open at least that
   * long; both within its own caps.
   *
   * @param retryAfter how long to leave the bot alone, or null when it did not say
   */
  public static BotException retryable(String reason, String message, java.time.Duration retryAfter, Throwable cause) {
    return new BotException(reason, message, true, false, false, false, retryAfter, cause);
  }

  /** A failure that retrying cannot fix. */
  public static BotException permanent(String reason, String message, Throwable cause) {
    return new BotException(reason, message, false, cause);
  }

  /**
   * The bot refused the message's ticket because it already accepted a higher one for the
   * conversation: another holder had the turn meanwhile (this replica was paused, its ticket
   * expired). Not retryable with the same ticket, and no reason to dead-letter the message.
   */
  public static BotException fenced(String reason, String message, Throwable cause) {
    return new BotException(reason, message, false, true, true, false, null, cause);
  }

  /** The reason of a {@link #turnLost} failure. */
  public static final String TURN_LOST = "ticket_lost";

  /**
   * The handler found its turn lost ({@link TurnCheck#isLost()}) right before the call would have
   * left the process, and sent nothing. The gateway treats it like a {@linkplain #fenced fenced}
   * refusal (a new ticket, or the record dropped when its partition moved) but learns nothing
   * about the bot's health from it: it does not count as a bot call.
   */
  public static BotException turnLost(String message) {
    return new BotException(TURN_LOST, message, false, false, true, true, null, null);
  }

  /** Whether trying again may succeed. */
  public boolean isRetryable() {
    return retryable;
  }

  /** Whether this failure says the bot is unavailable, so it counts toward the circuit breaker. */
  public boolean indicatesOutage() {
    return retryable && !answered;
  }

  /** Whether the bot refused the ticket as stale (see {@link #fenced}). */
  public boolean isFenced() {
    return fenced;
  }

  /** Whether the turn was found lost before anything reached the bot (see {@link #turnLost}). */
  public boolean isTurnLost() {
    return turnLost;
  }

  /** How long the bot asked to be left alone before the next attempt, when it said (see {@link #retryable(String, String, java.time.Duration, Throwable)}). */
  public java.util.Optional<java.time.Duration> retryAfter() {
    return java.util.Optional.ofNullable(retryAfter);
  }

  /** The machine-readable reason for the dead-letter header. */
  public String reason() {
    return reason;
  }
}
