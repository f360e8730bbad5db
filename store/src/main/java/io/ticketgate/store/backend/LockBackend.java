package io.ticketgate.store.backend;

import io.ticketgate.store.StoreCallObserver;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Where a store keeps its tickets, as the turn engine drives it: the few atomic steps a turn is
 * made of, each one asynchronous. The in-memory map, the two Redis layouts and Rasa-style custom
 * stores ({@link PrimitivesBackend}) each implement it; the engine never sees which.
 *
 * <h2>The steps of a turn</h2>
 * A turn is {@link #issue} (which is also its first look), then {@link #look}s until it is served,
 * {@link #renew}s while it lives, and one of the three releases: {@link #release} when nobody of
 * this process comes next, {@link #releaseAndLook} when a waiter of this process does (the turn is
 * handed over without a wake-up), {@link #releaseAndIssue} when work of this process is queued
 * behind the turn (its ticket is issued by the release). A backend without a cheaper combined form
 * inherits defaults built from the single steps.
 *
 * <h2>Signals</h2>
 * Local waiters are the engine's business: after each release it pokes the waiters of this process
 * itself. A backend tells other processes of its releases where it can (the Redis backends publish
 * them), and tells the engine, through the {@link ReleaseListener} given to {@link #open}, of
 * releases it learns of from elsewhere; one whose numbers are never reused may also tell which
 * ticket such a release served ({@link ReleaseListener#served}), and that waiter takes the turn
 * without a look. A backend that signals nothing is still correct: waiters look again at the
 * latest after the store's recheck interval.
 *
 * <h2>Threads and failures</h2>
 * Every method may be called from any thread, concurrently. Stages may complete on any thread, for
 * instance a Redis I/O thread, so their callers never block in a continuation. A stage fails with
 * {@link io.ticketgate.store.LockException} when the backing store fails; methods do not throw
 * except for programming errors.
 */
public interface LockBackend extends AutoCloseable {

  /**
   * Starts the backend: from now on it reports releases made elsewhere to {@code listener}.
   * Called once, before any other method.
   *
   * @throws io.ticketgate.store.LockException when the backing store cannot be reached
   */
  void open(ReleaseListener listener);

  /** Appends a ticket living {@code lifetime} to the conversation's queue and looks where it stands. */
  CompletionStage<Issued> issue(String conversationId, Duration lifetime);

  /** Where {@code ticket} stands in its conversation's queue now. */
  CompletionStage<TicketStatus> look(String conversationId, int ticket);

  /** Extends {@code ticket} by {@code lifetime} from now; false when it is gone or expired. */
  CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime);

  /**
   * Removes {@code ticket}, and the conversation's lock with it when no ticket is left, and tells
   * other processes that someone may be served now.
   *
   * @param progress a progress mark to record for the conversation in the same step, which served
   *     statuses then carry ({@link TicketStatus#progress()}); null to leave the mark as it is. A
   *     backend that keeps no marks ignores it.
   */
  CompletionStage<Void> release(String conversationId, int ticket, String progress);

  /**
   * Releases {@code ticket} (recording {@code progress} as {@link #release} does) and, in the same
   * step, looks where {@code successor} stands: a later ticket of the same conversation that this
   * process waits on. When it is served nobody else can
   * be, so nothing needs to be signalled. The default releases, then answers null.
   *
   * @return where {@code successor} stands right after the release, or null when the backend did
   *     not look (the engine then wakes every waiter of the conversation)
   */
  default CompletionStage<TicketStatus> releaseAndLook(String conversationId, int ticket, int successor,
      String progress) {
    return release(conversationId, ticket, progress).thenApply(v -> null);
  }

  /**
   * Releases {@code ticket} (recording {@code progress} as {@link #release} does) and, in the same
   * step, issues a new ticket of the conversation living {@code lifetime}: the turn of work queued behind the released one in this process. The new
   * ticket is issued before the old one is removed, so numbering that restarts on an empty queue
   * (Rasa's) goes on growing.
   *
   * @return the new ticket and where it stood right after the release
   */
  CompletionStage<Issued> releaseAndIssue(String conversationId, int ticket, Duration lifetime, String progress);

  /**
   * Whether a conversation's ticket numbers only ever grow: a number, once issued, is never issued
   * again, and a ticket issued later always has a higher number. Then a waiter of this process
   * holding the number right after a released turn's is the very next in line, with no place
   * between for anyone else, and the engine hands it the turn while the release is still on its
   * way ({@code docs/concurrency.md}). False by default: Rasa's whole-lock numbering restarts after
   * the last live ticket, so a number may be someone else's by the time a release lands.
   */
  default boolean numbersNeverReused() {
    return false;
  }

  /** The conversation's whole lock, for tools and Rasa's API; empty when it has no live ticket. */
  CompletionStage<Optional<TicketLock>> read(String conversationId);

  /** Replaces the conversation's lock with {@code lock}. Need not be atomic as a whole. */
  CompletionStage<Void> write(TicketLock lock);

  /** Removes every ticket of the conversation. */
  CompletionStage<Void> delete(String conversationId);

  /** Completes when the backing store answers; for health checks. */
  CompletionStage<Void> ping();

  /**
   * What kind of failure {@code cause} is, for metrics: {@code cause} is what a step failed with,
   * under the stage's and {@link io.ticketgate.store.LockException}'s wrappers. The default knows
   * only the JDK's timeouts and I/O errors.
   */
  default StoreCallObserver.Failure failureKind(Throwable cause) {
    if (cause instanceof java.util.concurrent.TimeoutException) {
      return StoreCallObserver.Failure.TIMEOUT;
    }
    return cause instanceof java.io.IOException ? StoreCallObserver.Failure.UNREACHABLE : StoreCallObserver.Failure.ERROR;
  }

  /** Releases connections and threads. Called once, after the engine stopped using the backend. */
  @Override
  void close();
}
