package io.ticketgate.store;

import io.ticketgate.store.backend.LockBackend;
import io.ticketgate.store.backend.PrimitivesBackend;
import io.ticketgate.store.backend.TicketLockAccess;
import io.ticketgate.store.engine.Await;
import io.ticketgate.store.engine.TurnEngine;
import io.ticketgate.store.internal.Checks;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/**
 * Keeps the ticket locks of conversations, with the design and names of Rasa's {@code LockStore}.
 *
 * <h2>How a turn is taken</h2>
 * {@link #lock(String, Duration, Duration)} issues a ticket, waits until the ticket is at the head of
 * its conversation's queue, and returns a {@link HeldLock}; closing it finishes serving the ticket.
 * Tickets are served strictly in issue order, and an expired ticket never blocks anyone.
 *
 * <p>A waiter does not poll on a fixed beat. It looks at the store again when a release is
 * signalled (in-process for every store, over Redis pub/sub and keyspace events for the Redis
 * stores), when the ticket ahead of it is due to expire, and at the latest after
 * {@link LockStoreOptions#recheckInterval()}, a safety net for a release signal that is lost or was
 * never sent.
 *
 * <h2>Writing a store</h2>
 * As Rasa's documentation describes: a subclass implements {@link #getLock(String)},
 * {@link #saveLock(TicketLock)} and {@link #deleteLock(String)}, and has a public constructor
 * taking the {@code lock_store:} section as a {@code Map<String, Object>} (pass
 * {@link LockStores#options} to {@code super}). Every other operation is built on those three, each
 * as one read-modify-write serialized per conversation within the process; across processes it is
 * only as atomic as the three are. A store shared by replicas should instead extend
 * {@link BackedLockStore} with an atomic {@link LockBackend} of its own, as the built-in stores do.
 * Every store can be checked against the contract test kit in this project's test sources.
 *
 * <h2>Inside</h2>
 * A store is a thin API over a {@link TurnEngine} (waiting, hand-over, keep-alive, give-back) that
 * drives a {@link LockBackend} (the atomic steps of a turn). Neither calls back into the store.
 *
 * <p>Stores are thread-safe. Close a store to stop its timers and connections; waiters still
 * pending then fail with {@link LockException}.
 */
public abstract class LockStore implements AutoCloseable {

  private final LockStoreOptions options;
  private final LockBackend backend;
  private final TurnEngine engine;

  /** Creates a store built on its three primitives, with {@link LockStoreOptions#defaults()}. */
  protected LockStore() {
    this(LockStoreOptions.defaults());
  }

  /** Creates a store built on its three primitives, with {@code options}. */
  protected LockStore(LockStoreOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    this.backend = new PrimitivesBackend(new Primitives(), options.clock());
    this.engine = new TurnEngine(backend, options);
  }

  /** For {@link BackedLockStore}: a store whose turns are taken in {@code backend}. */
  LockStore(LockStoreOptions options, LockBackend backend) {
    this.options = Objects.requireNonNull(options, "options");
    this.backend = Objects.requireNonNull(backend, "backend");
    this.engine = new TurnEngine(backend, options);
  }

  /** The subclass's primitives as the backend sees them; called only once the store is built. */
  private final class Primitives implements TicketLockAccess {
    @Override
    public Optional<TicketLock> getLock(String conversationId) {
      return LockStore.this.getLock(conversationId);
    }

    @Override
    public void saveLock(TicketLock lock) {
      LockStore.this.saveLock(lock);
    }

    @Override
    public void deleteLock(String conversationId) {
      LockStore.this.deleteLock(conversationId);
    }
  }

  // ---------------------------------------------------------------- Rasa's three primitives

  /** Reads the lock of {@code conversationId}, or empty when the store holds none. */
  public abstract Optional<TicketLock> getLock(String conversationId);

  /** Writes {@code lock}, replacing what the store held for its conversation. */
  public abstract void saveLock(TicketLock lock);

  /** Removes every ticket of {@code conversationId}. */
  public abstract void deleteLock(String conversationId);

  LockBackend backend() {
    return backend;
  }

  /** Asks this process's waiters of {@code conversationId} to look again: its lock was changed here. */
  void wake(String conversationId) {
    engine.wake(conversationId);
  }

  // ---------------------------------------------------------------- operations built on them

  /** The settings of this store. */
  public final LockStoreOptions options() {
    return options;
  }

  /** The lifetime {@link #lock(String)} gives its tickets. */
  public final Duration lockLifetime() {
    return options.lockLifetime();
  }

  /** The clock that judges expiry. */
  protected final Clock clock() {
    return options.clock();
  }

  /** A new, empty lock for {@code conversationId} judged by this store's clock. */
  public final TicketLock createLock(String conversationId) {
    return new TicketLock(conversationId, List.of(), clock());
  }

  /** The stored lock of {@code conversationId}, or a new empty one. */
  public final TicketLock getOrCreateLock(String conversationId) {
    return getLock(conversationId).orElseGet(() -> createLock(conversationId));
  }

  /**
   * Appends a ticket living {@code lifetime} to the conversation's queue.
   *
   * @return the ticket's number
   * @throws LockException when the store fails
   */
  public final int issueTicket(String conversationId, Duration lifetime) {
    Checks.conversationId(conversationId);
    Checks.positive(lifetime, "lifetime");
    return Await.result(conversationId, "issue a ticket", backend.issue(conversationId, lifetime)).ticket();
  }

  /**
   * Removes {@code ticket} from the conversation's queue and wakes the waiters behind it. Like
   * {@link #cleanup}, it leaves no empty lock behind.
   */
  public final void finishServing(String conversationId, int ticket) {
    cleanup(conversationId, ticket);
  }

  /** Finishes serving {@code ticket}, deleting the conversation's lock when nobody waits, and wakes the waiters. */
  public final void cleanup(String conversationId, int ticket) {
    Await.result(conversationId, "finish serving ticket " + ticket, backend.release(conversationId, ticket, null));
    engine.wake(conversationId);
  }

  /** Whether the conversation has any live ticket. */
  public final boolean isSomeoneWaiting(String conversationId) {
    return getLock(conversationId).map(TicketLock::isSomeoneWaiting).orElse(false);
  }

  /**
   * Extends {@code ticket} by {@code lifetime} from now.
   *
   * @return false when the ticket is gone or expired
   */
  public final boolean renewTicket(String conversationId, int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    return Await.result(conversationId, "renew ticket " + ticket, backend.renew(conversationId, ticket, lifetime));
  }

  /** Where {@code ticket} stands in its queue now. */
  public final TicketStatus ticketStatus(String conversationId, int ticket) {
    return Await.result(conversationId, "look up ticket " + ticket, backend.look(conversationId, ticket));
  }

  // ---------------------------------------------------------------- taking a turn

  /**
   * Takes a turn with this store's lifetime, waiting as long as the ticket lives.
   *
   * @throws LockException when the ticket expires before it is served or the store fails
   */
  public final HeldLock lock(String conversationId) {
    return lock(conversationId, lockLifetime(), null);
  }

  /**
   * Issues a ticket living {@code lifetime}, blocks until it is served, and returns the turn.
   *
   * @param maxWait the longest to wait, or null to wait as long as the ticket lives
   * @throws LockException when the ticket cannot be issued, expires before it is served, {@code
   *     maxWait} passes, the store fails, or the calling thread is interrupted (its interrupt flag
   *     is set again)
   */
  public final HeldLock lock(String conversationId, Duration lifetime, Duration maxWait) {
    Checks.conversationId(conversationId);
    Checks.positive(lifetime, "lifetime");
    checkMaxWait(maxWait);
    // Nothing but this thread's get() waits on the future, so the engine may complete it on the
    // thread that served the turn instead of starting a thread to do it.
    CompletableFuture<HeldLock> turn = engine.request(conversationId, lifetime, maxWait, true).served();
    try {
      return turn.get();
    } catch (InterruptedException e) {
      turn.cancel(false);
      if (!turn.isCancelled()) {
        // Served just as we were interrupted (the future is complete, so this runs here): give the
        // turn back rather than leak it.
        turn.thenAccept(HeldLock::close);
      }
      Thread.currentThread().interrupt();
      throw new LockException(LockException.Reason.CANCELLED, conversationId, "interrupted while waiting for a ticket", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof LockException le) {
        // Re-wrap so the caller's stack shows where it waited; the original stays the cause.
        throw new LockException(le.reason(), conversationId, le.detail(), le);
      }
      throw new LockException(conversationId, "failed while waiting for a ticket", e.getCause());
    } catch (CancellationException e) {
      throw new LockException(LockException.Reason.CANCELLED, conversationId, "waiting for a ticket was cancelled", e);
    }
  }

  /** {@link #lock(String)} without blocking: the future completes when the ticket is served. */
  public final CompletableFuture<HeldLock> lockAsync(String conversationId) {
    return lockAsync(conversationId, lockLifetime(), null);
  }

  /**
   * {@link #lock(String, Duration, Duration)} without blocking. Cancelling the future gives the
   * ticket back. The future fails with {@link LockException}.
   */
  public final CompletableFuture<HeldLock> lockAsync(String conversationId, Duration lifetime, Duration maxWait) {
    return request(conversationId, lifetime, maxWait).served();
  }

  /**
   * Starts taking a turn like {@link #lockAsync(String, Duration, Duration)}, returning a handle that
   * also reports when the ticket is issued.
   *
   * @param maxWait the longest to wait from now, or null to wait as long as the ticket lives
   */
  public final LockRequest request(String conversationId, Duration lifetime, Duration maxWait) {
    return request(conversationId, lifetime, maxWait, LockRequest.Completion.OWN_THREAD);
  }

  /**
   * {@link #request(String, Duration, Duration)}, saying which thread completes the request's
   * {@link LockRequest#served() served} future.
   *
   * @param completion {@link LockRequest.Completion#SERVING_THREAD} for a caller that only blocks
   *     on the future or attaches nothing that blocks
   */
  public final LockRequest request(String conversationId, Duration lifetime, Duration maxWait,
      LockRequest.Completion completion) {
    Checks.conversationId(conversationId);
    Checks.positive(lifetime, "lifetime");
    checkMaxWait(maxWait);
    Objects.requireNonNull(completion, "completion");
    return engine.request(conversationId, lifetime, maxWait, completion == LockRequest.Completion.SERVING_THREAD);
  }

  private static void checkMaxWait(Duration maxWait) {
    if (maxWait != null && (maxWait.isNegative() || maxWait.isZero())) {
      throw new IllegalArgumentException("maxWait must be positive or null but was " + maxWait);
    }
  }

  /**
   * Starts taking the turn after {@code ahead}, a turn of this store the caller holds, for work
   * queued in order behind it, such as the next message of a conversation. The ticket is issued when
   * {@code ahead} is released, in the same store step where the store can (one script for the Redis
   * stores, whose release then also tells whether the new ticket is served), and the turn passes
   * without a wake-up: one store call per turn instead of two. When {@code ahead} is already
   * released, the ticket is issued now.
   *
   * <p>Until {@code ahead} is released the request holds no place in the store's queue, so tickets
   * other processes take meanwhile are served before it, as their issue order says. It waits for
   * the release without a limit ({@code ahead} is the caller's own turn); {@code maxWait} counts from
   * the issue. When that release fails, the request fails with it ({@link LockException.Reason#STORE_FAILED});
   * when {@code ahead} had expired by its release, it fails as {@link LockException.Reason#CANCELLED}
   * and the caller asks again. Cancelling the request before the release leaves the release a plain one.
   *
   * @param ahead a turn of this store, not necessarily still held
   * @param maxWait the longest to wait once the ticket is issued, or null to wait as long as it lives
   * @throws IllegalArgumentException when {@code ahead} is not a turn of this store
   * @throws IllegalStateException when another request is already queued behind {@code ahead}
   */
  public final LockRequest requestAfter(HeldLock ahead, Duration lifetime, Duration maxWait) {
    return requestAfter(ahead, lifetime, maxWait, LockRequest.Completion.OWN_THREAD);
  }

  /**
   * {@link #requestAfter(HeldLock, Duration, Duration)}, saying which thread completes the
   * request's {@link LockRequest#served() served} future; see {@link LockRequest.Completion}.
   */
  public final LockRequest requestAfter(HeldLock ahead, Duration lifetime, Duration maxWait,
      LockRequest.Completion completion) {
    Objects.requireNonNull(ahead, "ahead");
    Checks.positive(lifetime, "lifetime");
    checkMaxWait(maxWait);
    Objects.requireNonNull(completion, "completion");
    return engine.requestAfter(ahead, lifetime, maxWait, completion == LockRequest.Completion.SERVING_THREAD);
  }

  /**
   * Checks that the backing store answers, for health checks.
   *
   * @throws LockException when it does not
   */
  public void ping() {
    Await.result(null, "answer a health check", backend.ping());
  }

  /**
   * Reports every step this store's turns take in the backing store (issue, look, renew, the
   * releases) to {@code observer} from now on, with its latency and the kind of any failure: for
   * metrics by operation. Replaces the previous observer; null for none (the default, which costs
   * nothing).
   */
  public final void observeCalls(StoreCallObserver observer) {
    engine.observeCalls(observer);
  }

  /** How many of this process's tickets are waiting to be served now. */
  public final int waitingCount() {
    return engine.waitingCount();
  }

  /** Fails pending waiters, stops the store's threads, then closes its backend and connections. */
  @Override
  public void close() {
    try {
      engine.close();
    } finally {
      backend.close();
    }
  }
}
