package io.ticketgate.store.engine;

import io.ticketgate.store.LockException;
import io.ticketgate.store.StoreCallObserver;
import io.ticketgate.store.StoreCallObserver.Operation;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.backend.Issued;
import io.ticketgate.store.backend.LockBackend;
import io.ticketgate.store.backend.ReleaseListener;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend as the engine's parts use it: every step of a turn is timed and reported to the
 * store's {@link StoreCallObserver}, with the backend's own word on what kind of failure it met.
 * Without an observer a step goes straight through, untimed.
 *
 * <p>The observer is a volatile field: {@link #observe} may replace it while steps are in flight;
 * each step reports to the observer it started with.
 */
final class ObservedBackend implements LockBackend {

  private static final Logger log = LoggerFactory.getLogger(ObservedBackend.class);

  private final LockBackend backend;
  private volatile StoreCallObserver observer = StoreCallObserver.NONE;

  ObservedBackend(LockBackend backend) {
    this.backend = backend;
  }

  void observe(StoreCallObserver observer) {
    this.observer = observer == null ? StoreCallObserver.NONE : observer;
  }

  @Override
  public void open(ReleaseListener listener) {
    backend.open(listener);
  }

  @Override
  public boolean numbersNeverReused() {
    return backend.numbersNeverReused();
  }

  @Override
  public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
    StoreCallObserver o = observer;
    if (o == StoreCallObserver.NONE) {
      return backend.issue(conversationId, lifetime);
    }
    long start = System.nanoTime();
    return timed(o, Operation.ISSUE, start, backend.issue(conversationId, lifetime));
  }

  @Override
  public CompletionStage<TicketStatus> look(String conversationId, int ticket) {
    StoreCallObserver o = observer;
    if (o == StoreCallObserver.NONE) {
      return backend.look(conversationId, ticket);
    }
    long start = System.nanoTime();
    return timed(o, Operation.LOOK, start, backend.look(conversationId, ticket));
  }

  @Override
  public CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime) {
    StoreCallObserver o = observer;
    if (o == StoreCallObserver.NONE) {
      return backend.renew(conversationId, ticket, lifetime);
    }
    long start = System.nanoTime();
    return timed(o, Operation.RENEW, start, backend.renew(conversationId, ticket, lifetime));
  }

  @Override
  public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
    StoreCallObserver o = observer;
    if (o == StoreCallObserver.NONE) {
      return backend.release(conversationId, ticket, progress);
    }
    long start = System.nanoTime();
    return timed(o, Operation.RELEASE, start, backend.release(conversationId, ticket, progress));
  }

  @Override
  public CompletionStage<TicketStatus> releaseAndLook(String conversationId, int ticket, int successor,
      String progress) {
    StoreCallObserver o = observer;
    if (o == StoreCallObserver.NONE) {
      return backend.releaseAndLook(conversationId, ticket, successor, progress);
    }
    long start = System.nanoTime();
    return timed(o, Operation.RELEASE_AND_LOOK, start,
        backend.releaseAndLook(conversationId, ticket, successor, progress));
  }

  @Override
  public CompletionStage<Issued> releaseAndIssue(String conversationId, int ticket, Duration lifetime,
      String progress) {
    StoreCallObserver o = observer;
    if (o == StoreCallObserver.NONE) {
      return backend.releaseAndIssue(conversationId, ticket, lifetime, progress);
    }
    long start = System.nanoTime();
    return timed(o, Operation.RELEASE_AND_ISSUE, start,
        backend.releaseAndIssue(conversationId, ticket, lifetime, progress));
  }

  @Override
  public CompletionStage<Optional<TicketLock>> read(String conversationId) {
    return backend.read(conversationId);
  }

  @Override
  public CompletionStage<Void> write(TicketLock lock) {
    return backend.write(lock);
  }

  @Override
  public CompletionStage<Void> delete(String conversationId) {
    return backend.delete(conversationId);
  }

  @Override
  public CompletionStage<Void> ping() {
    return backend.ping();
  }

  @Override
  public StoreCallObserver.Failure failureKind(Throwable cause) {
    return backend.failureKind(cause);
  }

  @Override
  public void close() {
    backend.close();
  }

  private <T> CompletionStage<T> timed(StoreCallObserver o, Operation operation, long start, CompletionStage<T> step) {
    return step.whenComplete((value, failure) -> {
      long took = System.nanoTime() - start;
      try {
        if (failure == null) {
          o.answered(operation, took);
        } else {
          o.failed(operation, took, backend.failureKind(rootOf(failure)));
        }
      } catch (RuntimeException e) {
        log.warn("the store call observer failed on {}; the step itself is unaffected", operation.label(), e);
      }
    });
  }

  /** The backend's own exception under the stage's and the store's wrappers. */
  private static Throwable rootOf(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof CompletionException || t instanceof LockException) && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }
}
