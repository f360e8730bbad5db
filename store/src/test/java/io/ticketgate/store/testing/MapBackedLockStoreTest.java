package io.ticketgate.store.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreContract;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.TicketStatus;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Runs the whole contract against a store that implements only getLock/saveLock/deleteLock, proving
 * that the operations {@link LockStore} builds on them are correct.
 */
class MapBackedLockStoreTest extends LockStoreContract {

  @Override
  protected LockStore newStore(LockStoreOptions options) {
    return new MapBackedLockStore(options);
  }

  @Override
  protected boolean keepsProgress() {
    return false; // Rasa's lock has no place for a mark
  }

  @Test
  void storesLocksOnlyThroughThePrimitives() {
    MapBackedLockStore store = (MapBackedLockStore) store();
    String conv = newConversationId();

    try (HeldLock held = store.lock(conv)) {
      assertThat(store.raw(conv)).startsWith(held.ticket() + "@");
      assertThat(store.size()).isEqualTo(1);
    }

    assertThat(store.raw(conv)).isNull();
    assertThat(store.size()).isZero();
  }

  @Test
  void judgesExpiryByTheStoresClock() {
    MutableClock clock = new MutableClock();
    MapBackedLockStore store = (MapBackedLockStore) store(defaultOptions().toBuilder().clock(clock).build());
    String conv = newConversationId();
    int t1 = store.issueTicket(conv, Duration.ofSeconds(10));
    int t2 = store.issueTicket(conv, Duration.ofSeconds(30));

    clock.advance(Duration.ofSeconds(11));

    assertThat(store.ticketStatus(conv, t1).kind()).isEqualTo(TicketStatus.Kind.GONE);
    assertThat(store.ticketStatus(conv, t2).isServed()).isTrue();
    assertThat(store.renewTicket(conv, t1, Duration.ofSeconds(10))).isFalse();
  }
}
