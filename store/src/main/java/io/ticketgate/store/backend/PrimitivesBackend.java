package io.ticketgate.store.backend;

import io.ticketgate.store.LockException;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link LockBackend} built on Rasa's three primitives ({@link TicketLockAccess}): how a custom
 * store written as Rasa's documentation describes takes part in turns.
 *
 * <p>Every step that changes a lock is a read-modify-write of the whole lock, serialized per
 * conversation inside this process (64 stripes, so unrelated conversations rarely wait on each
 * other). Across processes it is only as atomic as the primitives are: a store shared by replicas
 * needs a backend of its own, as the Redis stores have.
 *
 * <p>The primitives may block (a database call), so every step runs on a virtual thread of this
 * backend. It signals nothing to other processes; their waiters find a release at their next
 * recheck. It keeps no progress marks: Rasa's lock has no place for one.
 */
public final class PrimitivesBackend implements LockBackend {

  private static final Logger log = LoggerFactory.getLogger(PrimitivesBackend.class);
  private static final int STRIPES = 64;

  private final TicketLockAccess access;
  private final Clock clock;
  private final ReentrantLock[] stripes = new ReentrantLock[STRIPES];
  private final ExecutorService executor =
      Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ticketgate-lock-", 0).factory());

  /**
   * @param access the custom store's primitives
   * @param clock the clock that judges expiry, the store's
   */
  public PrimitivesBackend(TicketLockAccess access, Clock clock) {
    this.access = Objects.requireNonNull(access, "access");
    this.clock = Objects.requireNonNull(clock, "clock");
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new ReentrantLock();
    }
  }

  @Override
  public void open(ReleaseListener listener) {
    // Nothing to subscribe to: the primitives offer no signals.
  }

  @Override
  public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
    return changing(conversationId, "issue a ticket", () -> {
      TicketLock lock = getOrCreate(conversationId);
      int ticket = lock.issueTicket(lifetime);
      access.saveLock(lock);
      return new Issued(ticket, TicketStatus.of(lock, ticket));
    });
  }

  @Override
  public CompletionStage<TicketStatus> look(String conversationId, int ticket) {
    return async(conversationId, "look up ticket " + ticket, () -> access.getLock(conversationId)
        .map(lock -> TicketStatus.of(lock, ticket)).orElse(TicketStatus.gone()));
  }

  @Override
  public CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime) {
    return changing(conversationId, "renew ticket " + ticket, () -> {
      Optional<TicketLock> lock = access.getLock(conversationId);
      if (lock.isEmpty() || !lock.get().renewTicket(ticket, lifetime)) {
        return false;
      }
      access.saveLock(lock.get());
      return true;
    });
  }

  @Override
  public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
    return changing(conversationId, "finish serving ticket " + ticket, () -> {
      Optional<TicketLock> lock = access.getLock(conversationId);
      if (lock.isPresent()) {
        TicketLock l = lock.get();
        l.removeTicketFor(ticket);
        if (l.isSomeoneWaiting()) {
          access.saveLock(l);
        } else {
          access.deleteLock(conversationId);
        }
      }
      return null;
    });
  }

  @Override
  public CompletionStage<Issued> releaseAndIssue(String conversationId, int ticket, Duration lifetime,
      String progress) {
    return changing(conversationId, "finish serving ticket " + ticket + " and issue the next", () -> {
      TicketLock lock = getOrCreate(conversationId);
      int issued = lock.issueTicket(lifetime); // before the removal, so Rasa's numbering goes on growing
      lock.removeTicketFor(ticket);
      access.saveLock(lock);
      return new Issued(issued, TicketStatus.of(lock, issued));
    });
  }

  @Override
  public CompletionStage<Optional<TicketLock>> read(String conversationId) {
    return async(conversationId, "read the lock", () -> access.getLock(conversationId));
  }

  @Override
  public CompletionStage<Void> write(TicketLock lock) {
    return async(lock.conversationId(), "save the lock", () -> {
      access.saveLock(lock);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> delete(String conversationId) {
    return async(conversationId, "delete the lock", () -> {
      access.deleteLock(conversationId);
      return null;
    });
  }

  @Override
  public CompletionStage<Void> ping() {
    // A read of a lock nobody uses: the only check every store can answer.
    return async(null, "answer a health check", () -> {
      access.getLock("__ticketgate_ping__");
      return null;
    });
  }

  @Override
  public void close() {
    executor.shutdown();
    try {
      if (!executor.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("lock store closed while calls to it were still running");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private TicketLock getOrCreate(String conversationId) {
    return access.getLock(conversationId).orElseGet(() -> new TicketLock(conversationId, List.of(), clock));
  }

  /** {@link #async} under the conversation's stripe, so changes of one conversation never interleave here. */
  private <T> CompletionStage<T> changing(String conversationId, String action, Supplier<T> body) {
    ReentrantLock stripe = stripes[(conversationId.hashCode() & 0x7fffffff) % STRIPES];
    return async(conversationId, action, () -> {
      stripe.lock();
      try {
        return body.get();
      } finally {
        stripe.unlock();
      }
    });
  }

  /** Runs {@code body} on a virtual thread, its failures turned into {@link LockException}s that say what failed. */
  private <T> CompletionStage<T> async(String conversationId, String action, Supplier<T> body) {
    Supplier<T> guarded = () -> {
      try {
        return body.get();
      } catch (LockException e) {
        throw e;
      } catch (RuntimeException e) {
        throw new LockException(conversationId, "could not " + action + ": " + e, e);
      }
    };
    try {
      return CompletableFuture.supplyAsync(guarded, executor);
    } catch (RejectedExecutionException e) {
      return CompletableFuture.failedFuture(new LockException(LockException.Reason.CLOSED, conversationId,
          "the lock store is closed", e));
    }
  }
}
