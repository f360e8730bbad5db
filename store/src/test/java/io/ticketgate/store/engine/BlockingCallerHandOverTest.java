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
 * Where a turn is handed over: a blocking caller's on the thread that answered the store call
 * (the Redis client's I/O thread in production), anyone else's on a virtual thread of the engine,
 * and a blocking caller's turn that was cancelled meanwhile is still given back.
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
    LockRequest r = engine.requestForBlockingCaller("conv", LIFETIME, null);
    CompletableFuture<String> completedOn = r.served().thenApply(held -> {
      held.close();
      return Thread.currentThread().getName();
    });
    answer.countDown();
    assertThat(Hang.get(completedOn, TIMEOUT, "the turn")).isEqualTo("answering");
  }

  @Test
  void anyOtherCallersTurnIsCompletedOnAVirtualThreadOfTheEngine() {
    LockRequest r = engine.request("conv", LIFETIME, null);
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
  void aBlockingCallersTurnCancelledBeforeItWasServedIsGivenBack() {
    LockRequest r = engine.requestForBlockingCaller("conv", LIFETIME, null);
    assertThat(r.cancel()).isTrue();
    answer.countDown();
    Hang.until(() -> Hang.get(memory.read("conv").toCompletableFuture(), TIMEOUT, "the lock").isEmpty(), TIMEOUT,
        () -> "the cancelled turn's ticket was not given back");
    HeldLock next = Hang.get(engine.request("conv", LIFETIME, null).served(), TIMEOUT, "the next turn");
    next.close();
  }
}
