package io.ticketgate.store.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.memory.InMemoryBackend;
import io.ticketgate.store.testing.ForwardingBackend;
import io.ticketgate.store.testing.Hang;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The hand-over to the next ticket of the same process on a backend whose numbers never repeat (as
 * {@code concurrent_redis}): the next holder is served before the release is sent, and whatever it
 * sends for the conversation still reaches the backend after that release.
 */
class HandOverFirstTest {

  private static final Duration LIFETIME = Duration.ofSeconds(100);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);

  /** What reached the backend, and when the next holder was served, in order. */
  private final List<String> events = new CopyOnWriteArrayList<>();
  private final InMemoryBackend memory = new InMemoryBackend(Clock.systemUTC());
  private final TurnEngine engine = new TurnEngine(new ForwardingBackend(memory) {
    @Override
    public boolean numbersNeverReused() {
      return true; // no ticket expires or is given back in these tests, so the numbers only grow here
    }

    @Override
    public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
      events.add("release " + ticket + (progress == null ? "" : " marking " + progress));
      return inner.release(conversationId, ticket, progress);
    }

    @Override
    public CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime) {
      events.add("renew " + ticket);
      return inner.renew(conversationId, ticket, lifetime);
    }
  }, LockStoreOptions.builder().recheckInterval(Duration.ofHours(1)).build());

  @AfterEach
  void close() {
    engine.close();
  }

  private HeldLock first() {
    return Hang.get(engine.request("conv", LIFETIME, null, false).served(), TIMEOUT, "the first turn");
  }

  /** A second request of the same conversation, waiting behind {@code first} (ticket 1). */
  private LockRequest waiting(boolean onServingThread) {
    LockRequest next = engine.request("conv", LIFETIME, null, onServingThread);
    Hang.until(() -> engine.waitingCount() == 1, TIMEOUT, () -> "the second request never waited");
    return next;
  }

  @Test
  void theNextHolderIsServedBeforeTheReleaseIsSent() {
    HeldLock first = first();
    LockRequest next = waiting(true);
    next.served().thenRun(() -> events.add("ticket 1 served"));

    first.close("p-1");

    assertThat(events).containsExactly("ticket 1 served", "release 0 marking p-1");
    HeldLock second = Hang.get(next.served(), TIMEOUT, "the second turn");
    assertThat(second.ticket()).isEqualTo(1);
    assertThat(second.progress()).as("served with the mark the release recorded").isEqualTo("p-1");
    assertThat(Hang.get(memory.look("conv", 1).toCompletableFuture(), TIMEOUT, "a look").isServed()).isTrue();
    second.close();
  }

  @Test
  void anAsynchronousReleaseHandsOverFirstTooAndItsNextHolderCanReleaseAsynchronouslyInsideIt() {
    HeldLock first = first();
    LockRequest next = waiting(true);
    CompletableFuture<Void> closedInside = next.served().thenCompose(held -> {
      events.add("ticket 1 served");
      return held.closeAsync("p-2");
    });

    Hang.get(first.closeAsync("p-1").toCompletableFuture(), TIMEOUT, "the first release");

    Hang.get(closedInside, TIMEOUT, "the second turn's release");
    assertThat(events).containsExactly("ticket 1 served", "release 0 marking p-1", "release 1 marking p-2");
  }

  @Test
  void aHolderThatReleasesInsideTheHandOverSendsTheReleaseAheadFirst() {
    HeldLock first = first();
    LockRequest next = waiting(true);
    // Runs on the releasing thread, inside the hand-over, before that thread has sent its release.
    CompletableFuture<Void> closedInside = next.served().thenAccept(held -> held.close("p-2"));

    first.close("p-1");

    Hang.get(closedInside, TIMEOUT, "the second turn's close");
    assertThat(events).containsExactly("release 0 marking p-1", "release 1 marking p-2");
  }

  @Test
  void aHolderOnAnotherThreadSendsItsCommandsAfterTheReleaseAhead() throws Exception {
    HeldLock first = first();
    LockRequest next = waiting(false); // completed on a virtual thread of the engine
    CompletableFuture<Void> renewedAndClosed = next.served().thenAccept(held -> {
      held.renew();
      held.close("p-2");
    });

    Thread releasing = new Thread(() -> first.close("p-1"), "releasing-holder");
    releasing.start();
    releasing.join(TIMEOUT.toMillis());

    Hang.get(renewedAndClosed, TIMEOUT, "the second turn");
    assertThat(events).containsExactly("release 0 marking p-1", "renew 1", "release 1 marking p-2");
  }
}
