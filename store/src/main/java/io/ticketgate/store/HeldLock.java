package io.ticketgate.store;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The turn of one ticket: returned once the ticket is being served, and given back by
 * {@link #close()} (or, without waiting for the store, {@link #closeAsync()}), which is the store's
 * {@link LockStore#cleanup(String, int) cleanup}.
 *
 * <p>Use it in try-with-resources. Closing twice is harmless. Instances are thread-safe.
 */
public interface HeldLock extends AutoCloseable {

  /** The conversation this turn belongs to. */
  String conversationId();

  /**
   * The ticket number being served. Pass it downstream as a fencing token: with
   * {@code ConcurrentRedisLockStore} it only grows for a conversation, so a receiver can refuse
   * work carrying a lower number than one it already accepted.
   */
  int ticket();

  /** How long the ticket waited from the request until it was served. */
  Duration waited();

  /**
   * Whether this turn came only because a ticket ahead of it expired instead of being released:
   * its holder died, stalled past its lifetime, or does not renew. Most of {@link #waited()} was
   * then lost to that holder. Judged by the waiter: it was served at or after the moment its last
   * look saw the head ticket expire.
   */
  default boolean aheadExpired() {
    return false;
  }

  /**
   * Whether this turn may have been lost, judged without a store call: its ticket's lifetime may
   * have run out (the process was paused, or could not renew it while the store was down) or
   * keep-alive found it gone. Another holder may have the conversation then, so work that must not
   * overlap it should not start; check it right before such work.
   */
  default boolean isLost() {
    return false;
  }

  /**
   * The progress mark the conversation's last release recorded with {@link #close(String)}, read in
   * the same store step that served this turn: what the previous holder, in whatever process, had
   * finished. Null when none was recorded, or when the store keeps none (custom stores built on
   * Rasa's three primitives).
   */
  default String progress() {
    return null;
  }

  /**
   * Extends the ticket by its lifetime from now, so a long handler keeps its turn.
   *
   * @throws LockException when the ticket has already expired or was removed (the turn is lost)
   * @throws IllegalStateException when this lock was closed
   */
  void renew();

  /**
   * Finishes serving this ticket and deletes the conversation's lock when nobody else waits.
   *
   * @throws LockException when the store could not be reached; the store then keeps trying to give
   *     the ticket back in the background until it succeeds or the ticket expires, so an outage
   *     does not leave the conversation blocked for a whole lifetime after the store is back
   */
  @Override
  void close();

  /**
   * Finishes serving this ticket like {@link #close()} and, in the same store step, records
   * {@code progress} for the conversation: the next turn's {@link #progress()} returns it, in this
   * process or any other. The Redis stores keep it under Ticketgate's own keys, outside Rasa's, for
   * the ticket counter's lifetime; the in-memory store in the process; custom stores built on
   * Rasa's three primitives keep none. An expired turn records nothing, as it releases nothing.
   *
   * @param progress what the holder finished, in the caller's own terms; null records nothing
   * @throws LockException as {@link #close()}
   */
  default void close(String progress) {
    close();
  }

  /**
   * Finishes serving this ticket like {@link #close(String)}, without waiting for the store: the
   * release is sent on the calling thread and the returned stage completes when the store took it.
   * For callers that must not block, such as those that took the turn with
   * {@link LockStore#lockAsync}. Dependent actions may run on the store client's I/O thread, so
   * they must not block either. Calling it again, or after {@code close}, returns a completed stage.
   *
   * @param progress what the holder finished, recorded as by {@link #close(String)}; null records nothing
   * @return completes once the store released the ticket; fails with a {@link LockException} when it
   *     could not be reached, and the store then keeps trying to give the ticket back in the
   *     background, as after a failed {@link #close()}
   */
  default CompletionStage<Void> closeAsync(String progress) {
    try {
      close(progress);
      return CompletableFuture.completedStage(null);
    } catch (RuntimeException e) {
      return CompletableFuture.failedStage(e);
    }
  }

  /** {@link #closeAsync(String)} recording no progress. */
  default CompletionStage<Void> closeAsync() {
    return closeAsync(null);
  }
}
