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
}
