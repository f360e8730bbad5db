package io.ticketgate.store.memory;

import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.internal.Checks;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps ticket locks in this process's memory: the default store, with no configuration.
 *
 * <p>Only one process can use it: replicas of a gateway each have their own queues and do not
 * coordinate. Every operation is atomic per conversation (a {@link ConcurrentHashMap#compute}), and
 * releases wake waiters directly, so a handoff costs no I/O at all.
 */
public class InMemoryLockStore extends LockStore {

  private final ConcurrentHashMap<String, TicketLock> locks = new ConcurrentHashMap<>();

  /** Creates a store with {@link LockStoreOptions#defaults()}. */
  public InMemoryLockStore() {
    this(LockStoreOptions.defaults());
  }

  /** Creates a store with {@code options}. */
  public InMemoryLockStore(LockStoreOptions options) {
    super(options);
  }

  /** Creates a store from a {@code lock_store:} section (used by {@code LockStores}). */
  public InMemoryLockStore(Map<String, Object> section) {
    this(LockStores.options(section));
  }

  @Override
  public Optional<TicketLock> getLock(String conversationId) {
    TicketLock lock = locks.get(conversationId);
    return lock == null ? Optional.empty() : Optional.of(copy(lock));
  }

  @Override
  public void saveLock(TicketLock lock) {
    locks.put(lock.conversationId(), copy(lock));
  }

  @Override
  public void deleteLock(String conversationId) {
    locks.remove(conversationId);
    wakeWaiters(conversationId);
  }

  @Override
  public int issueTicket(String conversationId, Duration lifetime) {
    int[] ticket = new int[1];
    locks.compute(conversationId, (id, lock) -> {
      TicketLock l = lock == null ? createLock(id) : lock;
      ticket[0] = l.issueTicket(lifetime);
      return l;
    });
    return ticket[0];
  }

  @Override
  public void finishServing(String conversationId, int ticket) {
    locks.computeIfPresent(conversationId, (id, lock) -> {
      lock.removeTicketFor(ticket);
      return lock;
    });
    wakeWaiters(conversationId);
  }

  @Override
  public void cleanup(String conversationId, int ticket) {
    locks.computeIfPresent(conversationId, (id, lock) -> {
      lock.removeTicketFor(ticket);
      return lock.isSomeoneWaiting() ? lock : null;
    });
    wakeWaiters(conversationId);
  }

  @Override
  protected Issued releaseAndIssue(String conversationId, int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    Issued[] issued = new Issued[1];
    locks.compute(conversationId, (id, lock) -> {
      TicketLock l = lock == null ? createLock(id) : lock;
      int next = l.issueTicket(lifetime); // before the removal, so Rasa's numbering goes on growing
      l.removeTicketFor(ticket);
      issued[0] = new Issued(next, TicketStatus.of(l, next));
      return l;
    });
    return issued[0];
  }

  @Override
  public boolean renewTicket(String conversationId, int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime"); // computeIfPresent never reaches TicketLock's check without a lock
    boolean[] renewed = new boolean[1];
    locks.computeIfPresent(conversationId, (id, lock) -> {
      renewed[0] = lock.renewTicket(ticket, lifetime);
      return lock;
    });
    return renewed[0];
  }

  @Override
  public TicketStatus ticketStatus(String conversationId, int ticket) {
    TicketStatus[] status = {TicketStatus.gone()};
    // compute, not get: TicketStatus.of drops expired tickets, which mutates the lock.
    locks.computeIfPresent(conversationId, (id, lock) -> {
      status[0] = TicketStatus.of(lock, ticket);
      return lock.tickets().isEmpty() ? null : lock;
    });
    return status[0];
  }

  @Override
  public boolean isSomeoneWaiting(String conversationId) {
    return ticketCount(conversationId) > 0;
  }

  /** How many conversations have a lock; for tests and diagnostics. */
  public int size() {
    return locks.size();
  }

  private int ticketCount(String conversationId) {
    int[] n = new int[1];
    locks.computeIfPresent(conversationId, (id, lock) -> {
      lock.removeExpiredTickets();
      n[0] = lock.tickets().size();
      return n[0] == 0 ? null : lock;
    });
    return n[0];
  }

  // Every operation is a map update that never blocks, so the async forms run inline.

  @Override
  protected CompletionStage<Integer> issueTicketAsync(String conversationId, Duration lifetime) {
    return run(() -> issueTicket(conversationId, lifetime));
  }

  @Override
  protected CompletionStage<Issued> issueAndLookAsync(String conversationId, Duration lifetime) {
    return run(() -> {
      Issued[] issued = new Issued[1];
      locks.compute(conversationId, (id, lock) -> {
        TicketLock l = lock == null ? createLock(id) : lock;
        int ticket = l.issueTicket(lifetime);
        issued[0] = new Issued(ticket, TicketStatus.of(l, ticket));
        return l;
      });
      return issued[0];
    });
  }

  @Override
  protected CompletionStage<TicketStatus> ticketStatusAsync(String conversationId, int ticket) {
    return run(() -> ticketStatus(conversationId, ticket));
  }

  @Override
  protected CompletionStage<Boolean> renewTicketAsync(String conversationId, int ticket, Duration lifetime) {
    return run(() -> renewTicket(conversationId, ticket, lifetime));
  }

  private static <T> CompletionStage<T> run(java.util.function.Supplier<T> op) {
    try {
      return CompletableFuture.completedFuture(op.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  @Override
  public String toString() {
    return "InMemoryLockStore{conversations=" + locks.size() + "}";
  }

  private TicketLock copy(TicketLock lock) {
    return new TicketLock(lock.conversationId(), lock.tickets(), clock());
  }
}
