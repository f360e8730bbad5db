package io.ticketgate.store;

import io.ticketgate.store.internal.Checks;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Keeps the ticket locks of conversations, with the design and names of Rasa's {@code LockStore}.
 *
 * <h2>How a turn is taken</h2>
 * {@link #lock(String, Duration, Duration)} issues a ticket, waits until the ticket is at the head of
 * its conversation's queue, and returns a {@link HeldLock}; closing it finishes serving the ticket.
 * Tickets are served strictly in issue order, and an expired ticket never blocks anyone.
 *
 * <p>A waiter does not poll on a fixed beat. It looks at the store again when a release is signalled
 * ({@link #wakeWaiters(String)}: in-process for every store, over Redis pub/sub for the Redis
 * stores), when the ticket ahead of it is due to expire, and at the latest after
 * {@link LockStoreOptions#recheckInterval()}, a safety net for a release signal that is lost or was
 * never sent.
 *
 * <h2>Writing a store</h2>
 * A subclass implements {@link #getLock(String)}, {@link #saveLock(TicketLock)} and
 * {@link #deleteLock(String)}; everything else is built on those three. Within one process, the
 * provided read-modify-write operations ({@link #issueTicket}, {@link #finishServing},
 * {@link #cleanup}) are serialized per conversation, so they are correct for any store. Across
 * processes they are only as atomic as the backing store makes them: a store shared by replicas
 * should override them with atomic operations of its own, as the Redis stores do. Every store can be
 * checked against the contract test kit in this project's test sources.
 *
 * <p>Stores are thread-safe. Close a store to stop its timers and connections; waiters still
 * pending then fail with {@link LockException}.
 */
public abstract class LockStore implements AutoCloseable {

  private static final int STRIPES = 64;

  private final LockStoreOptions options;
  private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
  private final Waiters waiters;

  /** Creates a store with {@link LockStoreOptions#defaults()}. */
  protected LockStore() {
    this(LockStoreOptions.defaults());
  }

  /** Creates a store with {@code options}. */
  protected LockStore(LockStoreOptions options) {
    this.options = Objects.requireNonNull(options, "options");
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
    this.waiters = new Waiters(this);
  }

  // ---------------------------------------------------------------- Rasa's three primitives

  /** Reads the lock of {@code conversationId}, or empty when the store holds none. */
  public abstract Optional<TicketLock> getLock(String conversationId);

  /** Writes {@code lock}, replacing what the store held for its conversation. */
  public abstract void saveLock(TicketLock lock);

  /** Removes every ticket of {@code conversationId}. */
  public abstract void deleteLock(String conversationId);

  // ---------------------------------------------------------------- operations built on them

  /** The settings of this store. */
  public final LockStoreOptions options() {
    return options;
  }

  /** The lifetime {@link #lock(String)} gives its tickets. */
  public Duration lockLifetime() {
    return options.lockLifetime();
  }

  /** The clock that judges expiry. */
  protected final Clock clock() {
    return options.clock();
  }

  /** A new, empty lock for {@code conversationId} judged by this store's clock. */
  public TicketLock createLock(String conversationId) {
    return new TicketLock(conversationId, java.util.List.of(), clock());
  }

  /** The stored lock of {@code conversationId}, or a new empty one. */
  public TicketLock getOrCreateLock(String conversationId) {
    return getLock(conversationId).orElseGet(() -> createLock(conversationId));
  }

  /**
   * Appends a ticket living {@code lifetime} to the conversation's queue.
   *
   * @return the ticket's number
   * @throws LockException when the store fails
   */
  public int issueTicket(String conversationId, Duration lifetime) {
    Checks.conversationId(conversationId);
    Checks.positive(lifetime, "lifetime");
    return guarded(conversationId, "issue a ticket", () -> {
      TicketLock lock = getOrCreateLock(conversationId);
      int ticket = lock.issueTicket(lifetime);
      saveLock(lock);
      return ticket;
    });
  }

  /** Removes {@code ticket} from the conversation's queue and wakes the waiters behind it. */
  public void finishServing(String conversationId, int ticket) {
    guarded(conversationId, "finish serving ticket " + ticket, () -> {
      removeTicket(conversationId, ticket);
      return null;
    });
    wakeWaiters(conversationId);
  }

  /** Finishes serving {@code ticket}, then deletes the conversation's lock when nobody waits. */
  public void cleanup(String conversationId, int ticket) {
    guarded(conversationId, "clean up ticket " + ticket, () -> {
      removeTicket(conversationId, ticket);
      if (!isSomeoneWaiting(conversationId)) {
        deleteLock(conversationId);
      }
      return null;
    });
    wakeWaiters(conversationId);
  }

  /**
   * Gives {@code ticket} back like {@link #cleanup} and, in the same step, looks where
   * {@code successor} stands: a later ticket of the same conversation that this process waits on.
   * A turn handed over inside the process then needs no wake-up and no second look. A store that
   * answers must wake none of this process's waiters itself: the engine passes the answer to the
   * successor first and wakes the others after. The default gives the ticket back with
   * {@link #cleanup}, which wakes every waiter, and answers null.
   *
   * @return where {@code successor} stands once {@code ticket} is gone, or null when this store did
   *     not look (and woke the waiters itself)
   * @throws LockException when the store fails; the ticket may or may not be back then
   */
  protected TicketStatus releaseAndLook(String conversationId, int ticket, int successor) {
    cleanup(conversationId, ticket);
    return null;
  }

  /**
   * Gives {@code ticket} back and, in the same step, issues a new ticket of the conversation living
   * {@code lifetime} and looks where it stands: the turn of a request queued behind the released one
   * ({@link #requestAfter}). Like {@link #releaseAndLook}, it must wake none of this process's
   * waiters; the engine passes the answer on first and wakes the others after. The default does it
   * in one read-modify-write of {@link #getLock} and {@link #saveLock}, serialized per conversation
   * within the process.
   *
   * @return the new ticket and where it stood right after the release
   * @throws LockException when the store fails; the old ticket may or may not be back then, and the
   *     new one may or may not have been issued (if it was, it expires unserved)
   */
  protected Issued releaseAndIssue(String conversationId, int ticket, Duration lifetime) {
    return guarded(conversationId, "finish serving ticket " + ticket + " and issue the next", () -> {
      TicketLock lock = getOrCreateLock(conversationId);
      int issued = lock.issueTicket(lifetime); // before the removal, so Rasa's numbering goes on growing
      lock.removeTicketFor(ticket);
      saveLock(lock);
      return new Issued(issued, TicketStatus.of(lock, issued));
    });
  }

  /** Whether the conversation has any live ticket. */
  public boolean isSomeoneWaiting(String conversationId) {
    return getLock(conversationId).map(TicketLock::isSomeoneWaiting).orElse(false);
  }

  /**
   * Extends {@code ticket} by {@code lifetime} from now.
   *
   * @return false when the ticket is gone or expired
   */
  public boolean renewTicket(String conversationId, int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    return guarded(conversationId, "renew ticket " + ticket, () -> {
      Optional<TicketLock> lock = getLock(conversationId);
      if (lock.isEmpty() || !lock.get().renewTicket(ticket, lifetime)) {
        return false;
      }
      saveLock(lock.get());
      return true;
    });
  }

  /** Where {@code ticket} stands in its queue now. */
  public TicketStatus ticketStatus(String conversationId, int ticket) {
    return getLock(conversationId).map(l -> TicketStatus.of(l, ticket)).orElse(TicketStatus.gone());
  }

  // ---------------------------------------------------------------- async forms stores may override

  /**
   * {@link #issueTicket} without blocking the caller. The default runs it on a virtual thread;
   * stores with an asynchronous client override it.
   */
  protected CompletionStage<Integer> issueTicketAsync(String conversationId, Duration lifetime) {
    return CompletableFuture.supplyAsync(() -> issueTicket(conversationId, lifetime), waiters.executor());
  }

  /**
   * A newly issued ticket and where it stood right after it was issued.
   *
   * @param ticket the ticket's number
   * @param status its place in the queue at that moment
   */
  public record Issued(int ticket, TicketStatus status) {}

  /**
   * Issues a ticket and looks where it stands, which is how every wait begins. The default issues,
   * then looks; stores that can do both in one atomic step override it to save a round trip.
   */
  protected CompletionStage<Issued> issueAndLookAsync(String conversationId, Duration lifetime) {
    return issueTicketAsync(conversationId, lifetime).thenCompose(ticket ->
        ticketStatusAsync(conversationId, ticket).thenApply(status -> new Issued(ticket, status)));
  }

  /** Virtual threads for store calls that block; the async defaults run on them. */
  protected final java.util.concurrent.Executor blockingExecutor() {
    return waiters.executor();
  }

  /** {@link #ticketStatus} without blocking the caller; the default runs it on a virtual thread. */
  protected CompletionStage<TicketStatus> ticketStatusAsync(String conversationId, int ticket) {
    return CompletableFuture.supplyAsync(() -> ticketStatus(conversationId, ticket), waiters.executor());
  }

  /** {@link #renewTicket} without blocking the caller; the default runs it on a virtual thread. */
  protected CompletionStage<Boolean> renewTicketAsync(String conversationId, int ticket, Duration lifetime) {
    return CompletableFuture.supplyAsync(() -> renewTicket(conversationId, ticket, lifetime), waiters.executor());
  }

  // ---------------------------------------------------------------- taking a turn

  /**
   * Takes a turn with this store's lifetime, waiting as long as the ticket lives.
   *
   * @throws LockException when the ticket expires before it is served or the store fails
   */
  public HeldLock lock(String conversationId) {
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
  public HeldLock lock(String conversationId, Duration lifetime, Duration maxWait) {
    CompletableFuture<HeldLock> turn = lockAsync(conversationId, lifetime, maxWait);
    try {
      return turn.get();
    } catch (InterruptedException e) {
      turn.cancel(false);
      if (!turn.isCancelled()) {
        // Served just as we were interrupted: give the turn back rather than leak it.
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
  public CompletableFuture<HeldLock> lockAsync(String conversationId) {
    return lockAsync(conversationId, lockLifetime(), null);
  }

  /**
   * {@link #lock(String, Duration, Duration)} without blocking. Cancelling the future gives the
   * ticket back. The future fails with {@link LockException}.
   */
  public CompletableFuture<HeldLock> lockAsync(String conversationId, Duration lifetime, Duration maxWait) {
    return request(conversationId, lifetime, maxWait).served();
  }

  /**
   * Starts taking a turn like {@link #lockAsync(String, Duration, Duration)}, returning a handle that
   * also reports when the ticket is issued.
   *
   * @param maxWait the longest to wait from now, or null to wait as long as the ticket lives
   */
  public LockRequest request(String conversationId, Duration lifetime, Duration maxWait) {
    Checks.conversationId(conversationId);
    Checks.positive(lifetime, "lifetime");
    checkMaxWait(maxWait);
    return waiters.acquire(conversationId, lifetime, maxWait);
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
  public LockRequest requestAfter(HeldLock ahead, Duration lifetime, Duration maxWait) {
    Objects.requireNonNull(ahead, "ahead");
    Checks.positive(lifetime, "lifetime");
    checkMaxWait(maxWait);
    if (!(ahead instanceof RealHeldLock held) || !held.isOf(waiters)) {
      throw new IllegalArgumentException("ahead must be a turn of this store but was " + ahead);
    }
    return waiters.acquireAfter(held, lifetime, maxWait);
  }

  /**
   * Wakes this process's waiters of {@code conversationId} so they look at the store again. Stores
   * call it when they learn of a release from elsewhere (a pub/sub message, a keyspace event).
   */
  protected final void wakeWaiters(String conversationId) {
    waiters.wake(conversationId);
  }

  /**
   * Checks that the backing store answers, for health checks.
   *
   * @throws LockException when it does not
   */
  public void ping() {
    getLock("__ticketgate_ping__"); // a read of a lock nobody uses: works for any store
  }

  /** How many of this process's tickets are waiting to be served now. */
  public int waitingCount() {
    return waiters.waitingCount();
  }

  /** Stops timers and keep-alive; pending waiters fail. Subclasses close their clients after this. */
  @Override
  public void close() {
    waiters.close();
  }

  // ---------------------------------------------------------------- internals

  private void removeTicket(String conversationId, int ticket) {
    Optional<TicketLock> lock = getLock(conversationId);
    if (lock.isPresent()) {
      lock.get().removeTicketFor(ticket);
      saveLock(lock.get());
    }
  }

  /** Runs a read-modify-write under the conversation's stripe and turns store failures into {@link LockException}. */
  private <T> T guarded(String conversationId, String action, java.util.function.Supplier<T> body) {
    ReentrantLock stripe = stripes[(conversationId.hashCode() & 0x7fffffff) % STRIPES];
    stripe.lock();
    try {
      return body.get();
    } catch (LockException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new LockException(conversationId, "could not " + action + ": " + e, e);
    } finally {
      stripe.unlock();
    }
  }
}
