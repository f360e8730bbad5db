package io.ticketgate.store.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.backend.Issued;
import io.ticketgate.store.memory.InMemoryBackend;
import io.ticketgate.store.testing.ForwardingBackend;
import io.ticketgate.store.testing.Hang;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Where a turn is handed over: a caller's that takes it on the serving thread
 * ({@code LockRequest.Completion.SERVING_THREAD}, and {@code LockStore.lock}) on the thread that
 * answered the store call (the Redis client's I/O thread in production) or released the turn
 * before, anyone else's on a virtual thread of the engine; and such a turn that was cancelled
 * meanwhile is still given back.
 */
class BlockingCallerHandOverTest {

  private static final Duration LIFETIME = Duration.ofSeconds(100);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** Answers every issue on a thread of its own, as a network client's I/O thread would. */
  private final ExecutorService answering = Executors.newSingleThreadExecutor(r -> new Thread(r, "answering"));
  private final CountDownLatch answer = new CountDownLatch(1);
  private final InMemoryBackend memory = new InMemoryBackend(Clock.systemUTC());
  private final TurnEngine engine = new TurnEngine(new ForwardingBackend(memory) {
    @Override
    public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
      return CompletableFuture.supplyAsync(() -> {
        Hang.await(answer, TIMEOUT, "the test's go-ahead");
        return Hang.get(inner.issue(conversationId, lifetime).toCompletableFuture(), TIMEOUT, "the issue");
      }, answering);
    }
  }, LockStoreOptions.builder().recheckInterval(Duration.ofHours(1)).build());

  @AfterEach
  void close() {
    engine.close();
    answering.shutdownNow();
  }

  @Test
  void aBlockingCallersTurnIsCompletedOnTheThreadThatAnswered() {
    LockRequest r = engine.request("conv", LIFETIME, null, true);
    CompletableFuture<String> completedOn = r.served().thenApply(held -> {
      held.close();
      return Thread.currentThread().getName();
    });
    answer.countDown();
    assertThat(Hang.get(completedOn, TIMEOUT, "the turn")).isEqualTo("answering");
  }

  @Test
  void anyOtherCallersTurnIsCompletedOnAVirtualThreadOfTheEngine() {
    LockRequest r = engine.request("conv", LIFETIME, null, false);
    CompletableFuture<Thread> completedOn = r.served().thenApply(held -> {
      held.close();
      return Thread.currentThread();
    });
    answer.countDown();
    Thread t = Hang.get(completedOn, TIMEOUT, "the turn");
    assertThat(t.isVirtual()).as("%s", t).isTrue();
    assertThat(t.getName()).startsWith("ticketgate-lock-");
  }

  @Test
  void aRequestQueuedBehindATurnIsCompletedOnTheReleasingThreadWhenItTakesItsTurnThere() throws Exception {
    answer.countDown();
    HeldLock first = Hang.get(engine.request("conv", LIFETIME, null, false).served(), TIMEOUT, "the first turn");
    LockRequest next = engine.requestAfter(first, LIFETIME, null, true);
    CompletableFuture<String> completedOn = next.served().thenApply(held -> Thread.currentThread().getName());
    Thread releasing = new Thread(first::close, "releasing-holder");
    releasing.start();
    releasing.join(TIMEOUT.toMillis());
    assertThat(Hang.get(completedOn, TIMEOUT, "the queued turn")).isEqualTo("releasing-holder");
    Hang.get(next.served(), TIMEOUT, "the queued turn").close();
  }

  @Test
  void aRequestQueuedBehindATurnIsOtherwiseCompletedOnAVirtualThreadOfTheEngine() throws Exception {
    answer.countDown();
    HeldLock first = Hang.get(engine.request("conv", LIFETIME, null, false).served(), TIMEOUT, "the first turn");
    LockRequest next = engine.requestAfter(first, LIFETIME, null, false);
    CompletableFuture<Thread> completedOn = next.served().thenApply(held -> Thread.currentThread());
    Thread releasing = new Thread(first::close, "releasing-holder");
    releasing.start();
    releasing.join(TIMEOUT.toMillis());
    Thread t = Hang.get(completedOn, TIMEOUT, "the queued turn");
    assertThat(t.isVirtual()).as("%s", t).isTrue();
    assertThat(t.getName()).startsWith("ticketgate-lock-");
    Hang.get(next.served(), TIMEOUT, "the queued turn").close();
  }

  @Test
  void aBlockingCallersTurnCancelledBeforeItWasServedIsGivenBack() {
    LockRequest r = engine.request("conv", LIFETIME, null, true);
    assertThat(r.cancel()).isTrue();
    answer.countDown();
    Hang.until(() -> Hang.get(memory.read("conv").toCompletableFuture(), TIMEOUT, "the lock").isEmpty(), TIMEOUT,
        () -> "the cancelled turn's ticket was not given back");
    HeldLock next = Hang.get(engine.request("conv", LIFETIME, null, false).served(), TIMEOUT, "the next turn");
    next.close();
  }
}
