package io.ticketgate.store.engine;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockRequest;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * The {@link LockRequest} every store returns: what the caller asked for and the two futures it
 * holds. An {@link Acquisition} serves it once the store is asked for its ticket, which is at once
 * for {@link io.ticketgate.store.LockStore#request} and at the release of the turn ahead for
 * {@link io.ticketgate.store.LockStore#requestAfter}.
 *
 */
final class RealLockRequest implements LockRequest {

  private final String conversationId;
  final Duration lifetime;
  /** How long to wait once the ticket is issued; null for as long as it lives. */
  final Duration maxWait;
  /** When the caller asked, by {@link System#nanoTime()}: {@link HeldLock#waited()} counts from here. */
  final long requestedNanos;
  private final CompletableFuture<Integer> issued = new CompletableFuture<>();
  private final CompletableFuture<HeldLock> served = new CompletableFuture<>();
  private volatile boolean started;
  /** Whether {@link #served} completes on the thread that served it ({@link LockRequest.Completion#SERVING_THREAD}). */
  final boolean onServingThread;

  RealLockRequest(String conversationId, Duration lifetime, Duration maxWait, boolean onServingThread) {
    this.conversationId = conversationId;
    this.onServingThread = onServingThread;
    this.lifetime = lifetime;
    this.maxWait = maxWait;
    this.requestedNanos = System.nanoTime();
  }

  /**
   * For a request that waits before its ticket is asked for: cancelling it then also fails
   * {@link #issued()}, so a caller blocked on the issue is not left waiting for a ticket that will
   * never come. (Once the ticket is asked for, {@code issued} completes with it as usual, and the
   * engine gives it back.)
   */
  void failIssueWhenCancelledBeforeStart() {
    served.whenComplete((held, e) -> {
      if (e != null && !started) {
        issued.completeExceptionally(new LockException(LockException.Reason.CANCELLED, conversationId,
            "the request was cancelled before its ticket was issued", null));
      }
    });
  }

  /** Ends a request whose ticket was never asked for: both futures fail as cancelled, naming why. */
  void cancelBeforeStart(String why) {
    LockException e = new LockException(LockException.Reason.CANCELLED, conversationId, why, null);
    issued.completeExceptionally(e);
    served.completeExceptionally(e);
  }

  /** The store is being asked for the ticket now. */
  void started() {
    started = true;
  }

  @Override
  public String conversationId() {
    return conversationId;
  }

  @Override
  public CompletableFuture<Integer> issued() {
    return issued;
  }

  @Override
  public CompletableFuture<HeldLock> served() {
    return served;
  }

  /** Whether the request is over (served, failed or cancelled), so there is nothing left to issue. */
  boolean isOver() {
    return served.isDone();
  }
}
