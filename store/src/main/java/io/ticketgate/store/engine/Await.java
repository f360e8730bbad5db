package io.ticketgate.store.engine;

import io.ticketgate.store.LockException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;

/**
 * Waits for a backend's answer on behalf of a blocking caller, and turns whatever failed into a
 * {@link LockException}. Internal to the store; not an API.
 */
public final class Await {

  private Await() {}

  /**
   * The value of {@code stage}, waiting for it. A backend's stages fail within the store's own
   * timeouts (Redis: the socket timeout), so this wait is bounded by them.
   *
   * @param action what the caller asked for, named when the failure is not a {@link LockException}
   * @throws LockException when the stage fails, or the thread is interrupted (its flag is set again)
   */
  public static <T> T result(String conversationId, String action, CompletionStage<T> stage) {
    try {
      return stage.toCompletableFuture().get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LockException(LockException.Reason.CANCELLED, conversationId, "interrupted while trying to " + action, e);
    } catch (ExecutionException e) {
      LockException le = asLockException(conversationId, "could not " + action, e.getCause());
      // A new exception, so the caller's stack shows where it waited; the original stays the cause.
      throw new LockException(le.reason(), le.conversationId(), le.detail(), le);
    } catch (CancellationException e) {
      throw new LockException(LockException.Reason.CANCELLED, conversationId, action + " was cancelled", e);
    }
  }

  /** {@code error}, unwrapped from a {@link CompletionException}, as a {@link LockException}. */
  public static LockException asLockException(String conversationId, String action, Throwable error) {
    Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
    if (cause instanceof LockException le) {
      return le;
    }
    return new LockException(conversationId, action + ": " + cause, cause);
  }
}
