package io.ticketgate.store;

/**
 * A ticket could not be issued, expired before it was served, waited longer than allowed, or the
 * backing store failed. The message names the conversation and says what happened; the store's own
 * failure, if any, is the cause.
 */
public class LockException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String conversationId;

  /** Creates an exception about {@code conversationId}; the message is prefixed with it. */
  public LockException(String conversationId, String reason) {
    this(conversationId, reason, null);
  }

  /** Creates an exception about {@code conversationId} caused by {@code cause}. */
  public LockException(String conversationId, String reason, Throwable cause) {
    super("conversation '" + conversationId + "': " + reason, cause);
    this.conversationId = conversationId;
  }

  /** The conversation whose lock failed. */
  public String conversationId() {
    return conversationId;
  }
}
