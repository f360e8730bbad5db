package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.store.StoreCallObserver.Failure;
import io.ticketgate.store.StoreCallObserver.Operation;
import io.ticketgate.store.backend.Issued;
import io.ticketgate.store.memory.InMemoryBackend;
import io.ticketgate.store.testing.BackendLockStore;
import io.ticketgate.store.testing.ForwardingBackend;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What a store reports of its steps to an observer ({@link LockStore#observeCalls}). */
class StoreCallObserverTest {

  /** Every report as "operation" or "operation:failure", in order. */
  private static final class Recording implements StoreCallObserver {
    final List<String> seen = new CopyOnWriteArrayList<>();

    @Override
    public void answered(Operation operation, long nanos) {
      assertThat(nanos).isNotNegative();
      seen.add(operation.label());
    }

    @Override
    public void failed(Operation operation, long nanos, Failure failure) {
      seen.add(operation.label() + ":" + failure.label());
    }
  }

  private static final LockStoreOptions OPTIONS = LockStoreOptions.builder()
      .lockLifetime(Duration.ofSeconds(30)).recheckInterval(Duration.ofHours(1)).build();

  private LockStore store;

  @AfterEach
  void close() {
    if (store != null) {
      store.close();
    }
  }

  @Test
  void everyStepOfATurnIsReportedByOperation() {
    store = new BackendLockStore(OPTIONS, new InMemoryBackend(Clock.systemUTC()));
    Recording calls = new Recording();
    store.observeCalls(calls);

    HeldLock first = store.lock("c");
    LockRequest next = store.requestAfter(first, Duration.ofSeconds(30), Duration.ofSeconds(30));
    first.close();
    next.served().orTimeout(30, java.util.concurrent.TimeUnit.SECONDS).join().close();

    // The queued request's ticket comes with the first one's release, in the same step.
    assertThat(calls.seen).containsExactly("issue", "release_and_issue", "release");
  }

  @Test
  void aFailedStepIsReportedWithTheBackendsWordOnItsKind() {
    store = new BackendLockStore(OPTIONS, new ForwardingBackend(new InMemoryBackend(Clock.systemUTC())) {
      @Override
      public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
        return CompletableFuture.failedFuture(new LockException(conversationId, "no answer", new TimeoutException()));
      }
    });
    Recording calls = new Recording();
    store.observeCalls(calls);

    assertThatThrownBy(() -> store.lock("c")).isInstanceOf(LockException.class);

    assertThat(calls.seen).containsExactly("issue:timeout");
  }

  @Test
  void theDefaultKindsKnowTheJdksTimeoutsAndIoErrors() {
    InMemoryBackend backend = new InMemoryBackend(Clock.systemUTC());

    assertThat(backend.failureKind(new TimeoutException())).isEqualTo(Failure.TIMEOUT);
    assertThat(backend.failureKind(new IOException("refused"))).isEqualTo(Failure.UNREACHABLE);
    assertThat(backend.failureKind(new IllegalStateException("not a lock"))).isEqualTo(Failure.ERROR);
  }

  @Test
  void anObserverThatThrowsDoesNotFailTheStep() {
    store = new BackendLockStore(OPTIONS, new InMemoryBackend(Clock.systemUTC()));
    store.observeCalls(new StoreCallObserver() {
      @Override
      public void answered(Operation operation, long nanos) {
        throw new IllegalStateException("a broken observer");
      }

      @Override
      public void failed(Operation operation, long nanos, Failure failure) {
        throw new IllegalStateException("a broken observer");
      }
    });

    store.lock("c").close();

    assertThat(store.waitingCount()).isZero();
  }

  @Test
  void withoutAnObserverNothingIsReported() {
    store = new BackendLockStore(OPTIONS, new InMemoryBackend(Clock.systemUTC()));
    Recording calls = new Recording();
    store.observeCalls(calls);
    store.observeCalls(null);

    store.lock("c").close();

    assertThat(calls.seen).isEmpty();
  }
}
