package io.ticketgate.gateway;

/**
 * A bot failed to handle a message. Retryable failures (timeouts, refused connections, 5xx) are
 * tried again with backoff while the conversation keeps its turn; the others (4xx, an answer that
 * cannot be parsed) send the message to the dead-letter topic at once.
 */
public class BotException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean retryable;
  private final String reason;

  /**
   * @param reason a short machine-readable code put in the dead-letter header, such as
   *     {@code bot_http_404} or {@code bot_unparseable_response}
   * @param message what happened, for people
   * @param retryable whether trying again may succeed
   */
  public BotException(String reason, String message, boolean retryable, Throwable cause) {
    super(message, cause);
    this.reason = java.util.Objects.requireNonNull(reason, "reason");
    this.retryable = retryable;
  }

  /** A failure worth retrying. */
  public static BotException retryable(String reason, String message, Throwable cause) {
    return new BotException(reason, message, true, cause);
  }

  /** A failure that retrying cannot fix. */
  public static BotException permanent(String reason, String message, Throwable cause) {
    return new BotException(reason, message, false, cause);
  }

  /** Whether trying again may succeed. */
  public boolean isRetryable() {
    return retryable;
  }

  /** The machine-readable reason for the dead-letter header. */
  public String reason() {
    return reason;
  }
}
