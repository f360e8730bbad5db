package io.ticketgate.store;

import java.util.concurrent.CompletableFuture;

/**
 * A ticket on its way: first issued, then served. Returned by {@link LockStore#request}, for callers
 * that must know when the ticket was issued, not only when it is served — for instance to issue the
 * tickets of one conversation strictly in the order its messages arrived, or to measure the wait
 * from issue to service. Thread-safe.
 */
public interface LockRequest {

  /** The conversation the ticket is for. */
  String conversationId();

  /**
   * Completes with the ticket number once the store has issued it, before {@link #served()}
   * completes; fails with {@link LockException} when no ticket could be issued.
   */
  CompletableFuture<Integer> issued();

  /** Completes when the ticket is served; fails with {@link LockException}. */
  CompletableFuture<HeldLock> served();

  /**
   * Gives up the ticket unless it is already served: a waiting ticket is removed from the queue at
   * once, so nobody behind it waits for it to expire.
   *
   * @return true when the request was cancelled, false when it had already been served or had failed
   */
  default boolean cancel() {
    return served().cancel(false);
  }

  /**
   * Which thread completes {@link #served()} when the turn comes after the request returned (a
   * turn served at once completes it on the caller's thread either way).
   */
  enum Completion {
    /**
     * A virtual thread the store starts for it, so dependents attached with {@code thenApply},
     * {@code thenAccept} and the like may block, even on the store. The default.
     */
    OWN_THREAD,
    /**
     * Whichever thread found the turn served: the Redis client's I/O thread, or the thread of the
     * holder that released the turn before. For callers that only block on the future ({@code get},
     * {@code join}) or attach dependents that return at once and never block: a dependent that
     * blocks there stalls the store's other conversations, or the releasing holder. Saves starting
     * a thread and one thread hop per turn; {@link LockStore#lock} waits this way.
     */
    SERVING_THREAD
  }
}
