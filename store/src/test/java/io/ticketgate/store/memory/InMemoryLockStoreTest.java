package io.ticketgate.store.memory;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreContract;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.testing.MutableClock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InMemoryLockStoreTest extends LockStoreContract {

  @Override
  protected LockStore newStore(LockStoreOptions options) {
    return new InMemoryLockStore(options);
  }

  private final MutableClock clock = new MutableClock();

  private InMemoryLockStore steppedStore() {
    return (InMemoryLockStore) store(defaultOptions().toBuilder().clock(clock).build());
  }

  @Test
  void getLockReturnsACopyThatDoesNotChangeTheStore() {
    InMemoryLockStore store = (InMemoryLockStore) store();
    String conv = newConversationId();
    int t = store.issueTicket(conv, LONG);

    TicketLock copy = store.getLock(conv).orElseThrow();
    copy.removeTicketFor(t);
    copy.issueTicket(LONG);
    copy.issueTicket(LONG);

    assertThat(store.getLock(conv).orElseThrow().tickets()).extracting(Ticket::number).containsExactly(t);
    assertThat(store.getLock(conv).orElseThrow()).isNotSameAs(store.getLock(conv).orElseThrow());
  }

  @Test
  void saveLockStoresACopySoLaterChangesToTheArgumentDoNotLeakIn() {
    InMemoryLockStore store = (InMemoryLockStore) store();
    String conv = newConversationId();
    TicketLock lock = store.createLock(conv);
    lock.issueTicket(LONG);

    store.saveLock(lock);
    lock.issueTicket(LONG);
    lock.issueTicket(LONG);

    assertThat(store.getLock(conv).orElseThrow().tickets()).hasSize(1);
  }

  @Test
  void sizeCountsConversationsAndDropsToZeroAfterCleanup() {
    InMemoryLockStore store = (InMemoryLockStore) store();
    String a = newConversationId();
    String b = newConversationId();
    assertThat(store.size()).isZero();

    try (HeldLock ha = store.lock(a); HeldLock hb = store.lock(b)) {
      assertThat(store.size()).isEqualTo(2);
      assertThat(ha.ticket()).isZero();
      assertThat(hb.ticket()).isZero();
    }

    assertThat(store.size()).isZero();
  }

  @Test
  void sizeDropsToZeroAfterAFailedWaitIsGivenBack() {
    InMemoryLockStore store = (InMemoryLockStore) store();
    String conv = newConversationId();
    HeldLock holder = store.lock(conv);
    var impatient = store.lockAsync(conv, LONG, Duration.ofMillis(50));
    io.ticketgate.store.testing.Hang.failure(impatient, TIMEOUT, "maxWait");

    holder.close();

    io.ticketgate.store.testing.Hang.until(() -> store.size() == 0, TIMEOUT,
        () -> "the store to be empty; it holds " + store.getLock(conv));
  }

  @Test
  void numbersRestartAtZeroOnceTheLockIsEmptyLikeRasa() {
    InMemoryLockStore store = (InMemoryLockStore) store();
    String conv = newConversationId();

    int first;
    try (HeldLock held = store.lock(conv)) {
      first = held.ticket();
    }
    try (HeldLock held = store.lock(conv)) {
      assertThat(held.ticket()).isEqualTo(first).isZero();
    }
  }

  @Test
  void aProgressMarkIsForgottenTenMinutesAfterTheLastRelease() {
    InMemoryLockStore store = steppedStore();
    String conv = newConversationId();
    store.lock(conv, Duration.ofSeconds(10), null).close("in-0@1@1");
    clock.advance(Duration.ofMinutes(9));
    HeldLock within = store.lock(conv, Duration.ofSeconds(10), null);
    assertThat(within.progress()).isEqualTo("in-0@1@1");
    within.close(); // records nothing: the mark keeps its time

    clock.advance(Duration.ofMinutes(2));

    assertThat(store.lock(conv, Duration.ofSeconds(10), null).progress()).isNull();
  }

  @Test
  void ticketsExpireByTheStoresClock() {
    InMemoryLockStore store = steppedStore();
    String conv = newConversationId();
    int t1 = store.issueTicket(conv, Duration.ofSeconds(10));
    int t2 = store.issueTicket(conv, Duration.ofSeconds(20));
    assertThat(store.getLock(conv).orElseThrow().ticketFor(t1).expires()).isEqualTo(clock.epochSeconds() + 10);

    clock.advance(Duration.ofSeconds(11));

    assertThat(store.ticketStatus(conv, t1).kind()).isEqualTo(TicketStatus.Kind.GONE);
    assertThat(store.ticketStatus(conv, t2).isServed()).isTrue();

    clock.advance(Duration.ofSeconds(10));

    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(store.size()).as("a lock with only expired tickets is dropped").isZero();
  }

  @Test
  void renewTicketUsesTheStoresClock() {
    InMemoryLockStore store = steppedStore();
    String conv = newConversationId();
    int t = store.issueTicket(conv, Duration.ofSeconds(10));
    clock.advance(Duration.ofSeconds(9));

    assertThat(store.renewTicket(conv, t, Duration.ofSeconds(10))).isTrue();
    clock.advance(Duration.ofSeconds(9));
    assertThat(store.ticketStatus(conv, t).isServed()).isTrue();

    clock.advance(Duration.ofSeconds(2));
    assertThat(store.renewTicket(conv, t, Duration.ofSeconds(10))).isFalse();
  }

  @Test
  void getLockUsesTheStoresClock() {
    InMemoryLockStore store = steppedStore();
    String conv = newConversationId();
    store.saveLock(new TicketLock(conv, List.of(new Ticket(0, clock.epochSeconds() + 5))));

    TicketLock read = store.getLock(conv).orElseThrow();

    assertThat(read.clock()).isSameAs(clock);
    assertThat(read.isSomeoneWaiting()).isTrue();
  }

  @Test
  void isBuiltFromASection() {
    InMemoryLockStore store = new InMemoryLockStore(Map.of("lock_lifetime", 12, "keep_alive", true));
    try {
      assertThat(store.lockLifetime()).isEqualTo(Duration.ofSeconds(12));
      assertThat(store.options().keepAlive()).isTrue();
    } finally {
      store.close();
    }
  }

  @Test
  void defaultConstructorUsesTheDefaults() {
    InMemoryLockStore store = new InMemoryLockStore();
    try {
      assertThat(store.options()).isEqualTo(LockStoreOptions.defaults());
    } finally {
      store.close();
    }
  }
}
