package io.ticketgate.gateway;

/**
 * A bot failed to handle a message. Retryable failures (timeouts, refused connections, 5xx) are
 * tried again with backoff while the conversation keeps its turn; the others (4xx, an answer that
 * cannot be parsed) send the message to the dead-letter topic at once. A {@linkplain #fenced fenced}
 * refusal is neither: the bot already accepted a higher ticket of the conversation, so this replica
 * lost the turn; the gateway takes a new ticket (or drops the record when its partition moved).
 */
public class BotException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;
  private final boolean fenced;
  private final String reason;

  /**
   * @param reason a short machine-readable code put in the dead-letter header, such as
   *     {@code bot_http_404} or {@code bot_unparseable_response}
   * @param message what happened, for people
   * @param retryable whether trying again may succeed
   */
  public BotException(String reason, String message, boolean retryable, Throwable cause) {
    this(reason, message, retryable, false, cause);
  }

  private BotException(String reason, String message, boolean retryable, boolean fenced, Throwable cause) {
    super(message, cause);
    this.reason = java.util.Objects.requireNonNull(reason, "reason");
    this.retryable = retryable;
    this.fenced = fenced;
  }

  /** A failure worth retrying. */
  public static BotException retryable(String reason, String message, Throwable cause) {
    return new BotException(reason, message, true, cause);
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
    return new BotException(reason, message, false, true, cause);
  }

  /** Whether trying again may succeed. */
  public boolean isRetryable() {
    return retryable;
  }

  /** Whether the bot refused the ticket as stale (see {@link #fenced}). */
  public boolean isFenced() {
    return fenced;
  }

  /** The machine-readable reason for the dead-letter header. */
  public String reason() {
    return reason;
  }
}
