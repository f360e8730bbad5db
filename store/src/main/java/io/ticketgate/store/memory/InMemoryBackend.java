package io.ticketgate.store.memory;

import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.backend.Issued;
import io.ticketgate.store.backend.LockBackend;
import io.ticketgate.store.backend.ReleaseListener;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The {@link LockBackend} of {@link InMemoryLockStore}: a map of conversation to {@link TicketLock}.
 *
 * <p>Every step is one atomic {@link ConcurrentHashMap#compute} of the conversation's entry, which
 * never blocks, so every stage completes on the caller's thread before the method returns. A
 * conversation without live tickets has no entry: the map holds only conversations in use.
 *
 * <p>Progress marks live in a second map, written and read only inside the compute of the
 * conversation's lock entry, so a served status and the mark it carries are read in one step.
 * They matter only within this process's life (a crash takes the store with it), so each lives
 * {@link #MARK_LIFETIME} after its last release and expired ones are swept now and then.
 */
public final class InMemoryBackend implements LockBackend {

  /** How long a progress mark outlives its conversation's last release. */
  static final Duration MARK_LIFETIME = Duration.ofMinutes(10);
  /** Expired marks are swept once every this many writes. */
  private static final int SWEEP_EVERY = 1024;

  private final ConcurrentHashMap<String, TicketLock> locks = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, Mark> marks = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.AtomicInteger markWrites = new java.util.concurrent.atomic.AtomicInteger();
  private final Clock clock;

  /** A conversation's progress mark and when it is forgotten, by the store's clock. */
  private record Mark(String progress, long expiresAtMillis) {}

  /** @param clock the clock that judges expiry, the store's */
  public InMemoryBackend(Clock clock) {
    this.clock = clock;
  }

  @Override
  public void open(ReleaseListener listener) {
    // Every release happens in this process, and the engine wakes its own waiters.
  }

  @Override
  public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
    return now(() -> {
      Issued[] issued = new Issued[1];
      locks.compute(conversationId, (id, lock) -> {
        TicketLock l = lock == null ? empty(id) : lock;
        int ticket = l.issueTicket(lifetime);
        issued[0] = new Issued(ticket, TicketStatus.of(l, ticket).withProgress(markOf(id)));
        return l;
      });
      return issued[0];
    });
  }

  @Override
  public CompletionStage<TicketStatus> look(String conversationId, int ticket) {
    return now(() -> {
      TicketStatus[] status = {TicketStatus.gone()};
      // compute, not get: TicketStatus.of drops expired tickets, which changes the lock.
      locks.computeIfPresent(conversationId, (id, lock) -> {
        status[0] = TicketStatus.of(lock, ticket).withProgress(markOf(id));
        return lock.tickets().isEmpty() ? null : lock;
      });
      return status[0];
    });
  }

  @Override
  public CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime) {
    return now(() -> {
      boolean[] renewed = new boolean[1];
      locks.computeIfPresent(conversationId, (id, lock) -> {
        renewed[0] = lock.renewTicket(ticket, lifetime);
        return lock;
      });
      return renewed[0];
    });
  }

  @Override
  public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
    return now(() -> {
      locks.compute(conversationId, (id, lock) -> {
        record(id, progress);
        if (lock == null) {
          return null;
        }
        lock.removeTicketFor(ticket);
        return lock.isSomeoneWaiting() ? lock : null;
      });
      sweepNowAndThen(progress);
      return null;
    });
  }

  @Override
  public CompletionStage<TicketStatus> releaseAndLook(String conversationId, int ticket, int successor,
      String progress) {
    return now(() -> {
      TicketStatus[] status = {TicketStatus.gone()};
      locks.compute(conversationId, (id, lock) -> {
        record(id, progress);
        if (lock == null) {
          return null;
        }
        lock.removeTicketFor(ticket);
        status[0] = TicketStatus.of(lock, successor).withProgress(markOf(id));
        return lock.isSomeoneWaiting() ? lock : null;
      });
      sweepNowAndThen(progress);
      return status[0];
    });
  }

  @Override
  public CompletionStage<Issued> releaseAndIssue(String conversationId, int ticket, Duration lifetime,
      String progress) {
    return now(() -> {
      Issued[] issued = new Issued[1];
      locks.compute(conversationId, (id, lock) -> {
        record(id, progress);
        TicketLock l = lock == null ? empty(id) : lock;
        int next = l.issueTicket(lifetime); // before the removal, so Rasa's numbering goes on growing
        l.removeTicketFor(ticket);
        issued[0] = new Issued(next, TicketStatus.of(l, next).withProgress(markOf(id)));
        return l;
      });
      sweepNowAndThen(progress);
      return issued[0];
    });
  }

  @Override
  public CompletionStage<Optional<TicketLock>> read(String conversationId) {
    TicketLock[] copy = new TicketLock[1];
    // Copied inside the entry's compute: a TicketLock is not thread-safe, and steps change it in place.
    // A lock left with expired tickets only is dropped, as every other step drops it.
    locks.computeIfPresent(conversationId, (id, lock) -> {
      lock.removeExpiredTickets();
      if (lock.tickets().isEmpty()) {
        return null;
      }
      copy[0] = copy(lock);
      return lock;
    });
    return CompletableFuture.completedFuture(Optional.ofNullable(copy[0]));
  }

  @Override
  public CompletionStage<Void> write(TicketLock lock) {
    return now(() -> {
      locks.put(lock.conversationId(), copy(lock));
      return null;
    });
  }

  @Override
  public CompletionStage<Void> delete(String conversationId) {
    return now(() -> {
      locks.remove(conversationId);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> ping() {
    return CompletableFuture.completedFuture(null);
  }

  /** How many conversations have live or not yet swept tickets; for tests and diagnostics. */
  public int size() {
    return locks.size();
  }

  @Override
  public void close() {
    // Nothing to release: the map goes with the store.
  }

  /** The conversation's live mark, or null; called inside the compute of its lock entry. */
  private String markOf(String conversationId) {
    Mark m = marks.get(conversationId);
    return m == null || clock.millis() > m.expiresAtMillis ? null : m.progress;
  }

  /** Records a mark; called inside the compute of the conversation's lock entry. */
  private void record(String conversationId, String progress) {
    if (progress == null) {
      return;
    }
    marks.put(conversationId, new Mark(progress, clock.millis() + MARK_LIFETIME.toMillis()));
  }

  /**
   * Every {@link #SWEEP_EVERY} marks written, drops the expired ones; outside any entry's compute,
   * so the scan holds up no conversation.
   */
  private void sweepNowAndThen(String written) {
    if (written != null && markWrites.incrementAndGet() % SWEEP_EVERY == 0) {
      long now = clock.millis();
      marks.values().removeIf(m -> now > m.expiresAtMillis);
    }
  }

  private TicketLock empty(String conversationId) {
    return new TicketLock(conversationId, List.of(), clock);
  }

  private TicketLock copy(TicketLock lock) {
    return new TicketLock(lock.conversationId(), lock.tickets(), clock);
  }

  /** Runs a step that never blocks on this thread; a failure (a bug, or bad input) fails the stage. */
  private static <T> CompletionStage<T> now(Supplier<T> step) {
    try {
      return CompletableFuture.completedFuture(step.get());
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }
}
