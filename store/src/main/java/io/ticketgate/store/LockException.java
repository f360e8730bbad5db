package io.ticketgate.store;

/**
 * A ticket could not be issued, expired before it was served, waited longer than allowed, or the
 * backing store failed. The message names the conversation and says what happened; the store's own
 * failure, if any, is the cause. {@link #reason()} tells the cases apart for code that reacts to
 * them differently (a gateway retries a store failure but counts an expiry).
 */
public class LockException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  /** Why a lock operation failed. */
  public enum Reason {
    /** The ticket expired or was removed before it was served, or while it was held. */
    EXPIRED,
    /** The caller's maximum wait passed before the ticket was served. */
    TIMED_OUT,
    /** The wait was cancelled or the waiting thread interrupted. */
    CANCELLED,
    /** The store was closed. */
    CLOSED,
    /** The backing store failed, could not be reached, or holds data that is not a lock. */
    STORE_FAILED
  }

  private final Reason reason;
  private final String conversationId;

  /** A store failure about {@code conversationId}; the message is prefixed with it. */
  public LockException(String conversationId, String message) {
    this(Reason.STORE_FAILED, conversationId, message, null);
  }

  /** A store failure about {@code conversationId} caused by {@code cause}. */
  public LockException(String conversationId, String message, Throwable cause) {
    this(Reason.STORE_FAILED, conversationId, message, cause);
  }

  /**
   * A failure of kind {@code reason}.
   *
   * @param conversationId the conversation concerned, or null when the failure concerns the whole store
   */
  public LockException(Reason reason, String conversationId, String message, Throwable cause) {
    super(conversationId == null ? message : "conversation '" + conversationId + "': " + message, cause);
    this.reason = java.util.Objects.requireNonNull(reason, "reason");
    this.conversationId = conversationId;
  }

  /** Why the operation failed. */
  public Reason reason() {
    return reason;
  }

  /** The conversation whose lock failed, or null when the failure concerns the whole store. */
  public String conversationId() {
    return conversationId;
  }

  /** The message without the conversation prefix. */
  public String detail() {
    String m = getMessage();
    String prefix = "conversation '" + conversationId + "': ";
    return conversationId != null && m.startsWith(prefix) ? m.substring(prefix.length()) : m;
  }
}
