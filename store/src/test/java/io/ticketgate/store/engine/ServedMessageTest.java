package io.ticketgate.store.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.backend.Issued;
import io.ticketgate.store.backend.ReleaseListener;
import io.ticketgate.store.memory.InMemoryBackend;
import io.ticketgate.store.testing.ForwardingBackend;
import io.ticketgate.store.testing.Hang;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A release made elsewhere that names the ticket it serves ({@link ReleaseListener#served}, the
 * concurrent Redis layout's served channel): that ticket's waiter takes the turn without a look of
 * its own, the waiters behind it are left alone, and a waiter whose issue is still on its way, which
 * may be that very ticket, looks again once issued, so the message cannot be lost on it.
 *
 * <p>The messages here are the test's, sent while this process's own holder still holds the turn in
 * the backend: what is checked is that the engine acts on the message alone. The recheck interval
 * is an hour and lifetimes are long, so no timer causes a look.
 */
class ServedMessageTest {

  private static final Duration LIFETIME = Duration.ofSeconds(100);
  private static final Duration TIMEOUT = Duration.ofSeconds(10);
  private static final String CONV = "conv";

  private final InMemoryBackend memory = new InMemoryBackend(Clock.systemUTC());
  private final AtomicInteger looks = new AtomicInteger();
  /** Holds the next issue back until the test completes it; null to issue at once. */
  private volatile CompletableFuture<Void> issueGate;
  private volatile ReleaseListener listener;
  private final TurnEngine engine = new TurnEngine(new ForwardingBackend(memory) {
    @Override
    public void open(ReleaseListener l) {
      listener = l;
      inner.open(l);
    }

    @Override
    public boolean numbersNeverReused() {
      return true;
    }

    @Override
    public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
      CompletableFuture<Void> gate = issueGate;
      return gate == null ? inner.issue(conversationId, lifetime)
          : gate.thenCompose(v -> inner.issue(conversationId, lifetime));
    }

    @Override
    public CompletionStage<TicketStatus> look(String conversationId, int ticket) {
      looks.incrementAndGet();
      return inner.look(conversationId, ticket);
    }
  }, LockStoreOptions.builder().recheckInterval(Duration.ofHours(1)).build());

  @AfterEach
  void close() {
    engine.close();
  }

  private LockRequest request() {
    return engine.request(CONV, LIFETIME, null, false);
  }

  private void awaitWaiting(int n) {
    Hang.until(() -> engine.waitingCount() == n, TIMEOUT, () -> n + " waiting; " + engine.waitingCount());
  }

  @Test
  void theWaiterNamedTakesTheTurnWithTheMarkAndWithoutALook() {
    HeldLock holder = Hang.get(request().served(), TIMEOUT, "the holder");
    LockRequest next = request();
    int ticket = Hang.get(next.issued(), TIMEOUT, "the next ticket");
    awaitWaiting(1);

    listener.served(CONV, ticket, "offset-41");

    HeldLock turn = Hang.get(next.served(), TIMEOUT, "the turn the message served");
    assertThat(turn.ticket()).isEqualTo(ticket);
    assertThat(turn.progress()).isEqualTo("offset-41");
    assertThat(looks).as("served by the message alone").hasValue(0);
    holder.close();
    turn.close();
  }

  @Test
  void theWaitersBehindTheTicketNamedAreLeftAlone() {
    HeldLock holder = Hang.get(request().served(), TIMEOUT, "the holder");
    LockRequest second = request();
    int secondTicket = Hang.get(second.issued(), TIMEOUT, "the second ticket");
    LockRequest third = request();
    Hang.get(third.issued(), TIMEOUT, "the third ticket");
    awaitWaiting(2);

    listener.served(CONV, secondTicket, null);

    HeldLock turn = Hang.get(second.served(), TIMEOUT, "the second turn");
    assertThat(third.served()).isNotDone();
    assertThat(looks).as("nobody behind the ticket served looked").hasValue(0);
    holder.close();
    turn.close();
    Hang.get(third.served(), TIMEOUT, "the third turn").close();
  }

  @Test
  void aWaiterWhoseIssueIsOnItsWayLooksAgainOnceIssued() {
    HeldLock holder = Hang.get(request().served(), TIMEOUT, "the holder");
    CompletableFuture<Void> gate = new CompletableFuture<>();
    issueGate = gate;
    LockRequest next = request();
    issueGate = null;

    // The message can overtake the issue's answer: it names the number the issue is about to return.
    listener.served(CONV, holder.ticket() + 1, null);
    gate.complete(null);

    assertThat(Hang.get(next.issued(), TIMEOUT, "the issue")).isEqualTo(holder.ticket() + 1);
    Hang.until(() -> looks.get() == 1, TIMEOUT, () -> "the look the message asked for; looks " + looks.get());
    // The store still shows the holder ahead (this test's message was not a real release), so the
    // look keeps it waiting: what matters is that the message was not dropped on an unissued waiter.
    assertThat(next.served()).isNotDone();
    holder.close();
    Hang.get(next.served(), TIMEOUT, "the turn after the holder's release").close();
  }
}
