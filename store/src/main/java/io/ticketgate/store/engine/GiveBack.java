package io.ticketgate.store.engine;

import io.ticketgate.store.LockException;
import io.ticketgate.store.backend.LockBackend;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives tickets back that nobody waits on an answer for (an abandoned or failed wait), and keeps
 * trying when the store does not take one back. Without the retries a store outage (a Redis
 * restart) leaves every ticket released during it blocking its conversation for a whole lifetime
 * after the store is back.
 *
 * <p>Retries stop once the ticket's expiry bound has passed (it blocks nobody then, and its number
 * may be someone else's) or the engine closes. Attempts start on a virtual thread and complete
 * wherever the backend answers; nothing here blocks.
 */
final class GiveBack {

  private static final Logger log = LoggerFactory.getLogger(GiveBack.class);

  private final LockBackend backend;
  private final EngineThreads threads;
  private final BooleanSupplier closed;
  /** Wakes this process's waiters of a conversation after one of its tickets went back. */
  private final Consumer<String> afterRelease;

  GiveBack(LockBackend backend, EngineThreads threads, BooleanSupplier closed, Consumer<String> afterRelease) {
    this.backend = backend;
    this.threads = threads;
    this.closed = closed;
    this.afterRelease = afterRelease;
  }

  /**
   * Gives a ticket back without involving the caller, logging (never hiding) a failure.
   *
   * @param why what ended the wait, for the log
   * @param expired whether the ticket's expiry bound has passed
   */
  void now(String conversationId, int ticket, String why, BooleanSupplier expired) {
    // Not on the caller's thread: that may be a Redis I/O thread or a releasing holder's, where a
    // release that wakes waiters would nest without limit.
    threads.executeOrRunHere(() -> attempt(conversationId, ticket, expired, 0, why));
  }

  /**
   * After the store failed to take a ticket back, keeps trying in the background with a growing
   * pause.
   *
   * @return true when a retry was scheduled; false when {@code failure} is not a store failure or
   *     retrying is pointless, and the caller should report the failure as final
   */
  boolean later(String conversationId, int ticket, BooleanSupplier expired, LockException failure) {
    if (failure.reason() != LockException.Reason.STORE_FAILED || closed.getAsBoolean() || expired.getAsBoolean()) {
      return false;
    }
    log.info("conversation '{}': the store did not take ticket {} back ({}); trying again until it does or the "
        + "ticket expires", conversationId, ticket, failure.getMessage());
    schedule(conversationId, ticket, expired, 1);
    return true;
  }

  /** One attempt: 0 is the first (from {@link #now}), later ones are retries. */
  private void attempt(String conversationId, int ticket, BooleanSupplier expired, int attempt, String why) {
    if (attempt > 0 && (closed.getAsBoolean() || expired.getAsBoolean())) {
      log.debug("conversation '{}': stopped giving back ticket {}: {}", conversationId, ticket,
          closed.getAsBoolean() ? "the store is closed" : "it has expired");
      return;
    }
    CompletionStage<Void> release;
    try {
      release = backend.release(conversationId, ticket, null);
    } catch (RuntimeException e) {
      release = CompletableFuture.failedFuture(e);
    }
    release.whenComplete((v, error) -> {
      if (error == null) {
        afterRelease.accept(conversationId);
        if (attempt > 0) {
          log.info("conversation '{}': gave back ticket {} after {} attempt(s)", conversationId, ticket, attempt + 1);
        }
        return;
      }
      LockException e = Await.asLockException(conversationId, "could not give back ticket " + ticket, error);
      if (attempt > 0 && e.reason() == LockException.Reason.STORE_FAILED) {
        schedule(conversationId, ticket, expired, attempt + 1);
      } else if (attempt > 0 || !later(conversationId, ticket, expired, e)) {
        log.warn("conversation '{}': could not give back ticket {} after {}; it expires by itself: {}", conversationId,
            ticket, why, e.toString());
      }
    });
  }

  private void schedule(String conversationId, int ticket, BooleanSupplier expired, int attempt) {
    // 50 ms doubling to 1 s: quick after a blip, gentle on a store that stays down.
    long delayMillis = Math.min(1000, 50L << Math.min(attempt - 1, 5));
    try {
      threads.timer().schedule(() -> attempt(conversationId, ticket, expired, attempt, "a store outage"),
          delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      log.debug("conversation '{}': the store closed before ticket {} could be given back", conversationId, ticket);
    }
  }
}
