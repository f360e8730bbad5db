package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.ticketgate.store.backend.Issued;
import io.ticketgate.store.memory.InMemoryBackend;
import io.ticketgate.store.memory.InMemoryLockStore;
import io.ticketgate.store.testing.BackendLockStore;
import io.ticketgate.store.testing.ForwardingBackend;
import io.ticketgate.store.testing.Hang;
import io.ticketgate.store.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The waiting engine (lock, lockAsync, HeldLock) driven by a stepped clock, for cases the contract
 * cannot reach with real time: a ticket number that is reused after its first owner's ticket
 * expired (Rasa's numbering restarts after the last live ticket), and races around closing.
 *
 * <p>The recheck interval is an hour and every lifetime is at least seconds of real time, so no
 * timer fires during a test: every look at the store is caused by the test.
 */
class TurnEngineTest {

  private static final Duration LONG = Duration.ofSeconds(100);
  private static final Duration SHORT = Duration.ofSeconds(10);
  private static final Duration PAST_SHORT = Duration.ofSeconds(20);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  private final MutableClock clock = new MutableClock();
  private final String conv = "engine-conv";
  private LockStore store;

  private LockStoreOptions options() {
    return LockStoreOptions.builder()
        .lockLifetime(LONG)
        .recheckInterval(Duration.ofHours(1))
        .clock(clock)
        .build();
  }

  @AfterEach
  void closeStore() {
    if (store != null) {
      store.close();
    }
  }

  private void awaitWaiting(int n) {
    Hang.until(() -> store.waitingCount() == n, TIMEOUT, () -> n + " waiting ticket(s); " + store.waitingCount());
  }

  @Test
  void aWaiterWhoseTicketExpiredIsNotServedOnTheReusedNumberOfALaterTicket() {
    store = new InMemoryLockStore(options());
    HeldLock holder = store.lock(conv, LONG, null);
    CompletableFuture<HeldLock> expiring = store.lockAsync(conv, SHORT, null);
    awaitWaiting(1);
    clock.advance(PAST_SHORT);
    CompletableFuture<HeldLock> later = store.lockAsync(conv, LONG, null);
    awaitWaiting(2);
    // Precondition: the later ticket reuses the expired ticket's number.
    assertThat(store.getLock(conv).orElseThrow().tickets()).extracting(Ticket::number).containsExactly(0, 1);

    holder.close();

    HeldLock served = Hang.get(later, TIMEOUT, "the later waiter");
    Throwable failure = Hang.failure(expiring, TIMEOUT, "the waiter whose ticket expired");
    assertThat(failure).isInstanceOf(LockException.class).hasMessageContaining(conv);
    assertThat(store.ticketStatus(conv, served.ticket()).isServed()).isTrue();
    served.close();
  }

  @Test
  void aLateCloseOfAnExpiredTurnDoesNotRemoveTheTicketThatReusedItsNumber() {
    store = new InMemoryLockStore(options());
    HeldLock stale = store.lock(conv, SHORT, null);
    clock.advance(PAST_SHORT);
    HeldLock current = store.lock(conv, LONG, null);
    assertThat(current.ticket()).as("precondition: the number is reused").isEqualTo(stale.ticket());

    stale.close();

    assertThat(store.ticketStatus(conv, current.ticket()).isServed())
        .as("the current turn still holds its ticket").isTrue();
    CompletableFuture<HeldLock> next = store.lockAsync(conv, LONG, null);
    awaitWaiting(1);
    assertThat(next).as("nobody is served while the current turn holds").isNotDone();
    current.close();
    Hang.get(next, TIMEOUT, "the turn after the current one").close();
  }

  @Test
  void renewOfAnExpiredTurnFailsEvenWhenItsNumberWasReused() {
    store = new InMemoryLockStore(options());
    HeldLock stale = store.lock(conv, SHORT, null);
    clock.advance(PAST_SHORT);
    HeldLock current = store.lock(conv, LONG, null);
    assertThat(current.ticket()).as("precondition: the number is reused").isEqualTo(stale.ticket());
    double expires = store.getLock(conv).orElseThrow().ticketFor(current.ticket()).expires();
    clock.advance(Duration.ofSeconds(1));

    assertThatThrownBy(stale::renew).isInstanceOf(LockException.class).hasMessageContaining(conv);

    assertThat(store.getLock(conv).orElseThrow().ticketFor(current.ticket()).expires())
        .as("the current turn's ticket was not renewed by the stale one").isEqualTo(expires);
    current.close();
  }

  @Test
  void aFailedWaitDoesNotGiveBackATicketNumberThatWasReissuedMeanwhile() throws Exception {
    GatedRelease gated = new GatedRelease(clock);
    store = new BackendLockStore(options(), gated);
    HeldLock holder = store.lock(conv, LONG, null);
    CompletableFuture<HeldLock> expiring = store.lockAsync(conv, SHORT, null);
    awaitWaiting(1);
    int expiringTicket = 1;
    gated.gate(expiringTicket);
    clock.advance(PAST_SHORT);

    store.finishServing(conv, 999); // any release makes the waiter look again
    assertThat(Hang.failure(expiring, TIMEOUT, "the expired waiter")).isInstanceOf(LockException.class);
    // Meanwhile the expired ticket's number is issued again, to someone else.
    int reissued = store.issueTicket(conv, LONG);
    assertThat(reissued).as("precondition: the number is reused").isEqualTo(expiringTicket);
    gated.open();
    store.close(); // waits for pending give-backs

    assertThat(store.getLock(conv).orElseThrow().tickets()).extracting(Ticket::number)
        .as("the reissued ticket survives").containsExactly(holder.ticket(), reissued);
  }

  @Test
  void aWaiterWhoseTicketIsIssuedAfterTheStoreClosedFailsInsteadOfHanging() {
    DeferredIssue deferred = new DeferredIssue(clock);
    store = new BackendLockStore(options(), deferred);
    store.lock(conv, LONG, null);
    deferred.defer = true;
    CompletableFuture<HeldLock> waiter = store.lockAsync(conv, LONG, null);

    store.close();
    deferred.pending.complete(deferred.issueNow(conv, LONG)); // the issue answer arrives late

    Throwable failure = Hang.failure(waiter, TIMEOUT, "a waiter registered after close");
    assertThat(failure).isInstanceOf(LockException.class).hasMessageContaining(conv);
  }

  @Test
  void aServedTurnIsHandedToItsContinuationOutsideThePreviousHoldersClose() throws Exception {
    store = new InMemoryLockStore(options());
    HeldLock holder = store.lock(conv, LONG, null);
    CountDownLatch continuationRunning = new CountDownLatch(1);
    CountDownLatch releaseContinuation = new CountDownLatch(1);
    CompletableFuture<HeldLock> next = store.lockAsync(conv, LONG, null);
    CompletableFuture<Void> continuation = next.thenAccept(h -> {
      continuationRunning.countDown();
      try {
        releaseContinuation.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      h.close();
    });
    awaitWaiting(1);

    // close() must return even though the next holder's continuation is still running.
    CompletableFuture<Void> closing = CompletableFuture.runAsync(holder::close);
    try {
      Hang.await(continuationRunning, TIMEOUT, "the next holder's continuation");
      Hang.get(closing, TIMEOUT, "the previous holder's close() while the next continuation runs");
    } finally {
      releaseContinuation.countDown();
    }
    Hang.get(continuation, TIMEOUT, "the continuation");
  }

  @ParameterizedTest(name = "closeAsync: {0}")
  @ValueSource(booleans = {false, true})
  void aTurnReleasedWhileTheStoreIsDownIsGivenBackOnceItIsUpAgain(boolean async) {
    FlakyRelease flaky = new FlakyRelease(clock);
    store = new BackendLockStore(options(), flaky);
    HeldLock holder = store.lock(conv, LONG, null);
    CompletableFuture<HeldLock> next = store.lockAsync(conv, LONG, null);
    awaitWaiting(1);
    flaky.down = true;

    Throwable failure = async
        ? Hang.failure(holder.closeAsync("mark-1").toCompletableFuture(), TIMEOUT, "the asynchronous release")
        : catchThrowable(() -> holder.close("mark-1"));
    assertThat(failure).isInstanceOf(LockException.class)
        .extracting(e -> ((LockException) e).reason()).isEqualTo(LockException.Reason.STORE_FAILED);
    assertThat(next).isNotDone();
    flaky.down = false;

    // Nobody calls close() again and no clock moves: only the background give-back can serve it.
    HeldLock served = Hang.get(next, TIMEOUT, "the waiter behind a turn released during an outage");
    assertThat(flaky.failedCleanups.get()).isGreaterThanOrEqualTo(1);
    served.close();
  }

  @Test
  void aTurnThatExpiresDuringTheOutageIsNotGivenBackAfterwards() throws Exception {
    FlakyRelease flaky = new FlakyRelease(clock);
    store = new BackendLockStore(options(), flaky);
    HeldLock stale = store.lock(conv, SHORT, null);
    flaky.down = true;
    assertThatThrownBy(stale::close).isInstanceOf(LockException.class);
    clock.advance(PAST_SHORT);
    // Its number is free again; the next ticket reuses it (Rasa's numbering).
    HeldLock reused = store.lock(conv, LONG, null);
    assertThat(reused.ticket()).isEqualTo(stale.ticket());
    int attemptsSoFar = flaky.failedCleanups.get();
    flaky.down = false;

    // The give-back keeps its schedule (it retries within a second), sees the expiry and stops.
    Hang.until(() -> flaky.stoppedRetrying(attemptsSoFar), TIMEOUT, () -> "the give-back to stop");
    assertThat(store.ticketStatus(conv, reused.ticket()).isServed()).isTrue();
    reused.close();
  }

  @Test
  void closeAsyncSendsTheReleaseWithoutWaitingForTheStoreAndCompletesWhenTheStoreTookIt() {
    DeferredRelease deferred = new DeferredRelease(clock);
    store = new BackendLockStore(options(), deferred);
    HeldLock holder = store.lock(conv, LONG, null);
    CompletableFuture<HeldLock> next = store.lockAsync(conv, LONG, null);
    awaitWaiting(1);
    deferred.defer = true;

    CompletableFuture<Void> released = holder.closeAsync("mark-1").toCompletableFuture();

    assertThat(deferred.sent).as("the release was sent on the caller's thread").isEqualTo(1);
    assertThat(released).as("nothing waited for the store").isNotDone();
    assertThat(next).isNotDone();
    deferred.answer();
    Hang.get(released, TIMEOUT, "the release");
    HeldLock served = Hang.get(next, TIMEOUT, "the waiter behind the released turn");
    assertThat(served.progress()).as("the mark recorded with the release").isEqualTo("mark-1");
    assertThat(holder.closeAsync().toCompletableFuture()).as("closing again").isCompletedWithValue(null);
    served.close();
  }

  /** Lets the test decide when the store answers a release it was sent. */
  private static final class DeferredRelease extends ForwardingBackend {
    volatile boolean defer;
    volatile int sent;
    private final CompletableFuture<Void> go = new CompletableFuture<>();

    DeferredRelease(Clock clock) {
      super(new InMemoryBackend(clock));
    }

    void answer() {
      go.complete(null);
    }

    @Override
    public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
      if (!defer) {
        return super.release(conversationId, ticket, progress);
      }
      sent++;
      return go.thenCompose(v -> super.release(conversationId, ticket, progress));
    }

  }

  /** Fails every give-back with a store failure while {@link #down}, as an unreachable Redis does. */
  private static final class FlakyRelease extends ForwardingBackend {
    volatile boolean down;
    final AtomicInteger failedCleanups = new AtomicInteger();
    final AtomicInteger cleanupCalls = new AtomicInteger();

    FlakyRelease(Clock clock) {
      super(new InMemoryBackend(clock));
    }

    @Override
    public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
      cleanupCalls.incrementAndGet();
      if (down) {
        failedCleanups.incrementAndGet();
        return CompletableFuture.failedFuture(new LockException(LockException.Reason.STORE_FAILED, conversationId,
            "the store is down (test)", null));
      }
      return super.release(conversationId, ticket, progress);
    }

    /** True when no give-back ran for two of its longest pauses after the outage ended. */
    boolean stoppedRetrying(int failuresBefore) {
      int calls = cleanupCalls.get();
      try {
        Thread.sleep(2_100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      return cleanupCalls.get() == calls && failedCleanups.get() >= failuresBefore;
    }
  }

  /** Holds the give-back of one ticket number until the test opens the gate. */
  private static final class GatedRelease extends ForwardingBackend {
    private volatile int gatedTicket = -1;
    private final CountDownLatch gate = new CountDownLatch(1);

    GatedRelease(Clock clock) {
      super(new InMemoryBackend(clock));
    }

    void gate(int ticket) {
      gatedTicket = ticket;
    }

    void open() {
      gate.countDown();
    }

    @Override
    public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
      if (ticket == gatedTicket) {
        try {
          gate.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      return super.release(conversationId, ticket, progress);
    }
  }

  /** Lets the test decide when the answer to an issue request arrives. */
  private static final class DeferredIssue extends ForwardingBackend {
    volatile boolean defer;
    final CompletableFuture<Issued> pending = new CompletableFuture<>();

    DeferredIssue(Clock clock) {
      super(new InMemoryBackend(clock));
    }

    @Override
    public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
      return defer ? pending : super.issue(conversationId, lifetime);
    }

    /** Issues a ticket in the backend itself, bypassing the deferral: the answer the deferred issue gets. */
    Issued issueNow(String conversationId, Duration lifetime) {
      return inner.issue(conversationId, lifetime).toCompletableFuture().join();
    }
  }
}
