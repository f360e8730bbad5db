package io.ticketgate.store.backend;

/**
 * Hears from a {@link LockBackend} that a conversation's queue may have moved because of something
 * done elsewhere: a release published by another process, a key that expired, a Rasa server's
 * rewrite. Cheap and non-blocking; it only asks this process's waiters to look again.
 */
@FunctionalInterface
public interface ReleaseListener {

  /** Someone of {@code conversationId} may be served now. */
  void released(String conversationId);

  /**
   * A release elsewhere served {@code ticket} of {@code conversationId}, with the conversation's
   * {@code progress} mark (null when it has none), as the release's own atomic step found it: its
   * waiter may take the turn without looking. Only a backend whose numbers are never reused
   * ({@link LockBackend#numbersNeverReused()}) may say so, since a message that arrives late must
   * not name a ticket issued since under the same number. The default treats it as any release.
   */
  default void served(String conversationId, int ticket, String progress) {
    released(conversationId);
  }
}
