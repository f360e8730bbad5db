package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ticketgate.store.testing.Hang;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link LockStore} must honour: Rasa's ticket-lock semantics plus this project's
 * turn-taking API. A store's test extends this class and implements {@link #newStore}; authors of a
 * custom store can do the same.
 *
 * <p>Rules the tests follow so they can share one backing server (a Redis, say) and run anywhere:
 * <ul>
 *   <li>every test uses fresh, random conversation ids, so tests never see each other's tickets;
 *   <li>only the store's public API is used;
 *   <li>nothing asserts how fast something happened: where real time must pass (a ticket must
 *       expire) the tests wait for the outcome, bounded by a generous safety-net timeout that dumps
 *       every thread's stack when it is hit;
 *   <li>every store a test creates is closed after it.
 * </ul>
 *
 * <p>Hooks a subclass may override: {@link #ticketNumbersOnlyGrow()} for stores that never reuse a
 * ticket number (such as a counter-based concurrent store), and the stress sizes.
 */
public abstract class LockStoreContract {

  /** A lifetime no test outlives. */
  protected static final Duration LONG = Duration.ofSeconds(60);

  /** A lifetime that a test lets pass on purpose. */
  protected static final Duration SHORT = Duration.ofMillis(300);

  /** The lifetime of tickets that are renewed (by hand or by keep-alive) past it. */
  protected static final Duration RENEWED = Duration.ofMillis(400);

  /** How long renewed tickets are kept past their lifetime: three lifetimes. */
  protected static final Duration THREE_LIFETIMES = RENEWED.multipliedBy(3);

  /** The safety net for single waits; a healthy store is done in milliseconds. */
  protected static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The safety net for stress runs. */
  protected static final Duration STRESS_TIMEOUT = Duration.ofSeconds(60);

  private final List<LockStore> stores = new ArrayList<>();
  private final Set<LockStore> closedStores = Collections.newSetFromMap(new IdentityHashMap<>());

  /**
   * A new store with {@code options}. The store must honour every option (lifetime, keep-alive,
   * recheck interval, clock); the contract closes it after the test.
   */
  protected abstract LockStore newStore(LockStoreOptions options);

  /**
   * Whether this store never reuses a ticket number within a conversation. Stores with Rasa's
   * numbering (the default, {@code false}) restart at 0 once a conversation's lock is empty, so the
   * contract checks FIFO order per "epoch" between empty locks.
   */
  protected boolean ticketNumbersOnlyGrow() {
    return false;
  }

  /**
   * Whether this store keeps progress marks ({@link HeldLock#close(String)}). Stores built on Rasa's
   * three primitives keep none: their turns' {@link HeldLock#progress()} is always null.
   */
  protected boolean keepsProgress() {
    return true;
  }

  /** Threads taking turns on one conversation in {@link #stressOneConversation()}. */
  protected int stressThreads() {
    return 12;
  }

  /** Turns each of those threads takes. */
  protected int stressIterations() {
    return 200;
  }

  /** Conversations in {@link #stressManyConversationsInParallel()}. */
  protected int stressConversations() {
    return 16;
  }

  /** Threads per conversation in {@link #stressManyConversationsInParallel()}. */
  protected int stressThreadsPerConversation() {
    return 4;
  }

  /** Turns per thread in {@link #stressManyConversationsInParallel()}. */
  protected int stressIterationsPerConversationThread() {
    return 50;
  }

  /** Options for tests that need nothing special: a long lifetime and everything else default. */
  protected LockStoreOptions defaultOptions() {
    return LockStoreOptions.builder().lockLifetime(LONG).keepAlive(false).build();
  }

  /**
   * Options whose safety-net recheck never fires during a test (an hour), for tests that check that
   * something happens because of an event (a release, a cancellation, a deadline, an expiry the
   * engine knows about) rather than because the waiter happened to look again.
   */
  protected LockStoreOptions eventDrivenOptions() {
    return defaultOptions().toBuilder().recheckInterval(Duration.ofHours(1)).build();
  }

  /** A new store with {@link #defaultOptions()}, closed after the test. */
  protected final LockStore store() {
    return store(defaultOptions());
  }

  /** A new store with {@code options}, closed after the test. */
  protected final LockStore store(LockStoreOptions options) {
    LockStore s = newStore(options);
    assertThat(s).as("newStore must return a store").isNotNull();
    stores.add(s);
    return s;
  }

  /** Closes {@code store} now; the contract will not close it again. */
  protected final void closeStore(LockStore store) {
    if (closedStores.add(store)) {
      store.close();
    }
  }

  /** A fresh conversation id no other test (or run) uses. */
  protected static String newConversationId() {
    return "contract-" + UUID.randomUUID();
  }

  @AfterEach
  void closeStores() {
    RuntimeException first = null;
    for (LockStore s : stores) {
      try {
        closeStore(s);
      } catch (RuntimeException e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    stores.clear();
    if (first != null) {
      throw first;
    }
  }

  // ------------------------------------------------------------------ helpers

  private static double nowSeconds() {
    return System.currentTimeMillis() / 1000.0;
  }

  /** Waits until {@code store} has exactly {@code n} of this process's tickets waiting. */
  protected static void awaitWaiting(LockStore store, int n) {
    Hang.until(() -> store.waitingCount() == n, TIMEOUT,
        () -> "the store to have " + n + " waiting ticket(s); it has " + store.waitingCount());
  }

  /** Waits until the conversation's stored lock holds exactly {@code n} live tickets. */
  protected static void awaitLiveTickets(LockStore store, String conversationId, int n) {
    Hang.until(() -> liveTickets(store, conversationId).size() == n, TIMEOUT,
        () -> "conversation " + conversationId + " to hold " + n + " live ticket(s); it holds "
            + liveTickets(store, conversationId));
  }

  /** The numbers of the conversation's live tickets, in queue order. */
  protected static List<Integer> liveTickets(LockStore store, String conversationId) {
    Optional<TicketLock> lock = store.getLock(conversationId);
    if (lock.isEmpty()) {
      return List.of();
    }
    double now = nowSeconds();
    return lock.get().tickets().stream().filter(t -> !t.hasExpiredAt(now)).map(Ticket::number).toList();
  }

  private static LockException lockFailure(CompletableFuture<HeldLock> future, String what) {
    Throwable t = Hang.failure(future, TIMEOUT, what);
    assertThat(t).as(what).isInstanceOf(LockException.class);
    return (LockException) t;
  }

  private static void assertNamesConversation(LockException e, String conversationId) {
    assertThat(e.conversationId()).isEqualTo(conversationId);
    assertThat(e.getMessage()).contains(conversationId);
  }

  private static HeldLock served(CompletableFuture<HeldLock> future, String what) {
    return Hang.get(future, TIMEOUT, what);
  }

  // ------------------------------------------------------------------ the three primitives

  @Test
  void aNewConversationHasNoLock() {
    LockStore store = store();
    String conv = newConversationId();

    assertThat(store.getLock(conv)).isEmpty();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(store.ticketStatus(conv, 0).kind()).isEqualTo(TicketStatus.Kind.GONE);
    assertThat(store.ticketStatus(conv, 1).kind()).isEqualTo(TicketStatus.Kind.GONE);
  }

  @Test
  void savedLockReadsBackWithTheSameTicketsInOrder() {
    LockStore store = store();
    String conv = newConversationId();
    double now = nowSeconds();
    TicketLock lock = new TicketLock(conv, List.of(new Ticket(3, now + 60), new Ticket(4, now + 61.5)));

    store.saveLock(lock);

    TicketLock read = store.getLock(conv).orElseThrow();
    assertThat(read.conversationId()).isEqualTo(conv);
    assertThat(read.tickets()).extracting(Ticket::number).containsExactly(3, 4);
    assertThat(read.tickets().get(0).expires()).isCloseTo(now + 60, within(1e-3));
    assertThat(read.tickets().get(1).expires()).isCloseTo(now + 61.5, within(1e-3));
  }

  @Test
  void saveLockReplacesWhatWasStored() {
    LockStore store = store();
    String conv = newConversationId();
    double now = nowSeconds();
    store.saveLock(new TicketLock(conv, List.of(new Ticket(0, now + 60), new Ticket(1, now + 60))));

    store.saveLock(new TicketLock(conv, List.of(new Ticket(7, now + 60))));

    assertThat(liveTickets(store, conv)).containsExactly(7);
  }

  @Test
  void deleteLockRemovesEveryTicket() {
    LockStore store = store();
    String conv = newConversationId();
    store.issueTicket(conv, LONG);
    store.issueTicket(conv, LONG);

    store.deleteLock(conv);

    assertThat(store.getLock(conv)).isEmpty();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void deletingAnUnknownLockIsHarmless() {
    LockStore store = store();
    String conv = newConversationId();

    store.deleteLock(conv);

    assertThat(store.getLock(conv)).isEmpty();
  }

  @Test
  void savedLocksOfDifferentConversationsAreIndependent() {
    LockStore store = store();
    String a = newConversationId();
    String b = newConversationId();
    double now = nowSeconds();
    store.saveLock(new TicketLock(a, List.of(new Ticket(1, now + 60))));
    store.saveLock(new TicketLock(b, List.of(new Ticket(2, now + 60))));

    store.deleteLock(a);

    assertThat(store.getLock(a)).isEmpty();
    assertThat(liveTickets(store, b)).containsExactly(2);
  }

  // ------------------------------------------------------------------ the provided operations

  @Test
  void issuedTicketsAreQueuedInIssueOrderWithGrowingNumbers() {
    LockStore store = store();
    String conv = newConversationId();

    int t1 = store.issueTicket(conv, LONG);
    int t2 = store.issueTicket(conv, LONG);
    int t3 = store.issueTicket(conv, LONG);

    assertThat(t2).isGreaterThan(t1);
    assertThat(t3).isGreaterThan(t2);
    assertThat(liveTickets(store, conv)).containsExactly(t1, t2, t3);
    assertThat(store.isSomeoneWaiting(conv)).isTrue();
  }

  @Test
  void aNewConversationsFirstTicketIsServedAtOnceAndLaterOnesWait() {
    LockStore store = store();
    String conv = newConversationId();

    int t1 = store.issueTicket(conv, LONG);
    int t2 = store.issueTicket(conv, LONG);
    int t3 = store.issueTicket(conv, LONG);

    assertThat(store.ticketStatus(conv, t1).isServed()).isTrue();
    TicketStatus s2 = store.ticketStatus(conv, t2);
    assertThat(s2.kind()).isEqualTo(TicketStatus.Kind.WAITING);
    assertThat(s2.nowServing()).isEqualTo(t1);
    assertThat(s2.ahead()).isEqualTo(1);
    TicketStatus s3 = store.ticketStatus(conv, t3);
    assertThat(s3.kind()).isEqualTo(TicketStatus.Kind.WAITING);
    assertThat(s3.ahead()).isEqualTo(2);
  }

  @Test
  void issuedTicketsLiveForTheirLifetime() {
    LockStore store = store();
    String conv = newConversationId();
    double before = nowSeconds();

    int t = store.issueTicket(conv, Duration.ofSeconds(42));

    double after = nowSeconds();
    Ticket ticket = store.getLock(conv).orElseThrow().ticketFor(t);
    assertThat(ticket).isNotNull();
    assertThat(ticket.expires()).isBetween(before + 42 - 1, after + 42 + 1);
  }

  @Test
  void finishServingHandsTheTurnToTheNextTicket() {
    LockStore store = store();
    String conv = newConversationId();
    int t1 = store.issueTicket(conv, LONG);
    int t2 = store.issueTicket(conv, LONG);
    int t3 = store.issueTicket(conv, LONG);

    store.finishServing(conv, t1);

    assertThat(store.ticketStatus(conv, t1).kind()).isEqualTo(TicketStatus.Kind.GONE);
    assertThat(store.ticketStatus(conv, t2).isServed()).isTrue();
    assertThat(store.ticketStatus(conv, t3).ahead()).isEqualTo(1);
    assertThat(liveTickets(store, conv)).containsExactly(t2, t3);

    store.finishServing(conv, t2);
    store.finishServing(conv, t3);

    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(liveTickets(store, conv)).isEmpty();
  }

  @Test
  void finishingAWaitingTicketLeavesTheHeadServed() {
    LockStore store = store();
    String conv = newConversationId();
    int t1 = store.issueTicket(conv, LONG);
    int t2 = store.issueTicket(conv, LONG);
    int t3 = store.issueTicket(conv, LONG);

    store.finishServing(conv, t2);

    assertThat(store.ticketStatus(conv, t1).isServed()).isTrue();
    assertThat(store.ticketStatus(conv, t3).ahead()).isEqualTo(1);
    assertThat(liveTickets(store, conv)).containsExactly(t1, t3);
  }

  @Test
  void cleanupKeepsTheLockWhileOthersWait() {
    LockStore store = store();
    String conv = newConversationId();
    int t1 = store.issueTicket(conv, LONG);
    int t2 = store.issueTicket(conv, LONG);

    store.cleanup(conv, t1);

    assertThat(store.getLock(conv)).isPresent();
    assertThat(liveTickets(store, conv)).containsExactly(t2);
    assertThat(store.isSomeoneWaiting(conv)).isTrue();
    assertThat(store.ticketStatus(conv, t2).isServed()).isTrue();
  }

  @Test
  void cleanupDeletesTheLockWhenNobodyWaits() {
    LockStore store = store();
    String conv = newConversationId();
    int t1 = store.issueTicket(conv, LONG);

    store.cleanup(conv, t1);

    assertThat(store.getLock(conv)).isEmpty();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void cleanupDeletesALockWhoseOtherTicketsHaveExpired() {
    LockStore store = store();
    String conv = newConversationId();
    double now = nowSeconds();
    store.saveLock(new TicketLock(conv, List.of(new Ticket(0, now + 60), new Ticket(1, now - 10))));

    store.cleanup(conv, 0);

    assertThat(store.getLock(conv)).isEmpty();
  }

  @Test
  void cleanupOfAnUnknownTicketOrConversationIsHarmless() {
    LockStore store = store();
    String conv = newConversationId();
    int t1 = store.issueTicket(conv, LONG);

    store.cleanup(conv, t1 + 100);
    store.cleanup(newConversationId(), 0);
    store.finishServing(newConversationId(), 0);

    assertThat(liveTickets(store, conv)).containsExactly(t1);
    assertThat(store.ticketStatus(conv, t1).isServed()).isTrue();
  }

  @Test
  void expiredTicketsNeverBlock() {
    LockStore store = store();
    String conv = newConversationId();
    double now = nowSeconds();
    store.saveLock(new TicketLock(conv, List.of(new Ticket(0, now - 10), new Ticket(1, now + 60))));

    assertThat(store.ticketStatus(conv, 1).isServed()).isTrue();
    assertThat(store.ticketStatus(conv, 0).kind()).isEqualTo(TicketStatus.Kind.GONE);
    assertThat(store.isSomeoneWaiting(conv)).isTrue();
  }

  @Test
  void aLockWhoseTicketsAllExpiredHasNobodyWaitingAndServesTheNextTicketAtOnce() {
    LockStore store = store();
    String conv = newConversationId();
    double now = nowSeconds();
    store.saveLock(new TicketLock(conv, List.of(new Ticket(0, now - 10), new Ticket(1, now - 5))));

    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    int t = store.issueTicket(conv, LONG);
    assertThat(store.ticketStatus(conv, t).isServed()).isTrue();
  }

  @Test
  void renewTicketExtendsALiveTicket() {
    LockStore store = store();
    String conv = newConversationId();
    int t = store.issueTicket(conv, Duration.ofSeconds(10));
    double before = nowSeconds();

    assertThat(store.renewTicket(conv, t, Duration.ofSeconds(100))).isTrue();

    Ticket ticket = store.getLock(conv).orElseThrow().ticketFor(t);
    assertThat(ticket.expires()).isGreaterThanOrEqualTo(before + 100 - 1);
  }

  @Test
  void renewTicketRefusesUnknownAndExpiredTickets() {
    LockStore store = store();
    String conv = newConversationId();
    double now = nowSeconds();
    store.saveLock(new TicketLock(conv, List.of(new Ticket(0, now + 60), new Ticket(1, now - 10))));

    assertThat(store.renewTicket(conv, 1, LONG)).as("expired").isFalse();
    assertThat(store.renewTicket(conv, 5, LONG)).as("never issued").isFalse();
    assertThat(store.renewTicket(newConversationId(), 0, LONG)).as("no lock").isFalse();
    assertThat(store.ticketStatus(conv, 1).kind()).isEqualTo(TicketStatus.Kind.GONE);
  }

  @Test
  void ticketsOfDifferentConversationsDoNotQueueBehindEachOther() {
    LockStore store = store();
    String a = newConversationId();
    String b = newConversationId();

    int ta = store.issueTicket(a, LONG);
    int tb = store.issueTicket(b, LONG);

    assertThat(store.ticketStatus(a, ta).isServed()).isTrue();
    assertThat(store.ticketStatus(b, tb).isServed()).isTrue();
  }

  @Test
  void rejectsInvalidArguments() {
    LockStore store = store();
    String conv = newConversationId();

    assertThatThrownBy(() -> store.lockAsync(null, LONG, null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> store.lockAsync("", LONG, null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.lockAsync(conv, Duration.ZERO, null)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.lockAsync(conv, Duration.ofSeconds(-1), null))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.lockAsync(conv, LONG, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.lockAsync(conv, LONG, Duration.ofMillis(-1)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.issueTicket(conv, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> store.renewTicket(conv, 0, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThat(store.getLock(conv)).as("nothing was issued").isEmpty();
  }

  // ------------------------------------------------------------------ taking turns

  @Test
  void lockOnAFreeConversationIsServedAtOnceAndCloseCleansUp() {
    LockStore store = store();
    String conv = newConversationId();

    HeldLock held = store.lock(conv);

    assertThat(held.conversationId()).isEqualTo(conv);
    assertThat(held.waited()).isNotNull().isGreaterThanOrEqualTo(Duration.ZERO);
    assertThat(store.ticketStatus(conv, held.ticket()).isServed()).isTrue();
    assertThat(liveTickets(store, conv)).containsExactly(held.ticket());

    held.close();

    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(store.getLock(conv)).isEmpty();
  }

  @Test
  void lockUsesTheStoresLifetime() {
    LockStore store = store(defaultOptions().toBuilder().lockLifetime(Duration.ofSeconds(37)).build());
    String conv = newConversationId();
    double before = nowSeconds();

    try (HeldLock held = store.lock(conv)) {
      double after = nowSeconds();
      assertThat(store.lockLifetime()).isEqualTo(Duration.ofSeconds(37));
      Ticket t = store.getLock(conv).orElseThrow().ticketFor(held.ticket());
      assertThat(t.expires()).isBetween(before + 37 - 1, after + 37 + 1);
    }
  }

  @Test
  void lockAsyncCompletesWithTheTurn() {
    LockStore store = store();
    String conv = newConversationId();

    HeldLock held = served(store.lockAsync(conv), "a turn on a free conversation");

    assertThat(held.conversationId()).isEqualTo(conv);
    assertThat(store.ticketStatus(conv, held.ticket()).isServed()).isTrue();
    held.close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void theHeldTicketNumberIsTheStoredOne() {
    LockStore store = store();
    String conv = newConversationId();

    HeldLock a = store.lock(conv);
    CompletableFuture<HeldLock> next = store.lockAsync(conv);
    awaitWaiting(store, 1);
    List<Integer> queued = liveTickets(store, conv);
    assertThat(queued).hasSize(2);
    assertThat(queued.get(0)).isEqualTo(a.ticket());

    a.close();

    try (HeldLock b = served(next, "the second turn")) {
      assertThat(b.ticket()).isEqualTo(queued.get(1)).isGreaterThan(a.ticket());
    }
  }

  @Test
  void turnsAreServedInIssueOrder() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock first = store.lock(conv);
    List<CompletableFuture<HeldLock>> waiting = new ArrayList<>();
    for (int i = 1; i <= 4; i++) {
      waiting.add(store.lockAsync(conv));
      awaitWaiting(store, i); // each ticket is issued before the next is requested
    }
    assertThat(waiting).noneMatch(CompletableFuture::isDone);

    List<Integer> order = new ArrayList<>();
    order.add(first.ticket());
    first.close();
    for (int i = 0; i < waiting.size(); i++) {
      HeldLock held = served(waiting.get(i), "turn " + (i + 1) + " in issue order");
      for (int j = i + 1; j < waiting.size(); j++) {
        assertThat(waiting.get(j)).as("turn %d must wait while turn %d is held", j + 1, i + 1).isNotDone();
      }
      assertThat(store.ticketStatus(conv, held.ticket()).isServed()).isTrue();
      order.add(held.ticket());
      held.close();
    }

    assertThat(order).isSorted().doesNotHaveDuplicates();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(store.getLock(conv)).isEmpty();
  }

  @Test
  void anExpiredHolderNoLongerBlocks() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock stale = store.lock(conv, SHORT, null);

    HeldLock next = served(store.lockAsync(conv, LONG, null), "the turn after an expired holder");

    try {
      assertThat(next.aheadExpired()).as("served because the ticket ahead expired").isTrue();
      // The stale holder finally finishes: that must not take the current holder's turn.
      stale.close();
      assertThat(store.ticketStatus(conv, next.ticket()).isServed()).isTrue();
      CompletableFuture<HeldLock> third = store.lockAsync(conv);
      awaitWaiting(store, 1);
      assertThat(third).isNotDone();
      next.close();
      served(third, "the turn after the current holder").close();
    } finally {
      next.close();
    }
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void aTurnHandedOverByARelease() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv, LONG, null);
    CompletableFuture<HeldLock> waiter = store.lockAsync(conv, LONG, null);
    awaitWaiting(store, 1);
    holder.close();
    try (HeldLock next = served(waiter, "the turn after a released holder")) {
      assertThat(next.aheadExpired()).as("the ticket ahead was released, not expired").isFalse();
    }
  }

  // ------------------------------------------------------------------ requestAfter: a turn queued behind a held one

  @Test
  void aRequestAfterAHeldTurnIsIssuedByItsReleaseAndServed() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv, LONG, null);
    LockRequest next = store.requestAfter(holder, LONG, null);

    assertThat(next.conversationId()).isEqualTo(conv);
    assertThat(next.issued()).as("issued only by the release").isNotDone();
    assertThat(liveTickets(store, conv)).containsExactly(holder.ticket());

    holder.close();

    try (HeldLock held = served(next.served(), "the turn queued behind a released one")) {
      assertThat(next.issued().getNow(-1)).isEqualTo(held.ticket());
      assertThat(held.aheadExpired()).isFalse();
      assertThat(store.ticketStatus(conv, held.ticket()).isServed()).isTrue();
      assertThat(liveTickets(store, conv)).containsExactly(held.ticket());
    }
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  /**
   * Requests that take their turn on the serving thread wait and are served like any other, behind
   * a held turn and queued behind one; only the thread that completes their future differs.
   */
  @Test
  void requestsTakingTheirTurnOnTheServingThreadAreServedInOrder() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv, LONG, null);
    LockRequest waiting = store.request(conv, LONG, null, LockRequest.Completion.SERVING_THREAD);
    Hang.get(waiting.issued(), TIMEOUT, "the waiting request's issue");
    assertThat(waiting.served()).as("waits while the turn is held").isNotDone();

    holder.close();

    HeldLock second = served(waiting.served(), "the waiting request");
    LockRequest behind = store.requestAfter(second, LONG, null, LockRequest.Completion.SERVING_THREAD);
    assertThat(behind.issued()).as("issued only by the release").isNotDone();
    second.close();
    try (HeldLock third = served(behind.served(), "the request queued behind the second turn")) {
      assertThat(third.ticket()).isNotEqualTo(second.ticket());
      assertThat(liveTickets(store, conv)).containsExactly(third.ticket());
    }
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThatThrownBy(() -> store.request(conv, LONG, null, null)).isInstanceOf(NullPointerException.class)
        .hasMessageContaining("completion");
  }

  @Test
  void aTicketTakenWhileTheTurnIsHeldIsServedBeforeTheRequestQueuedBehindIt() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv, LONG, null);
    LockRequest behind = store.requestAfter(holder, LONG, null);
    CompletableFuture<HeldLock> other = store.lockAsync(conv, LONG, null);
    awaitWaiting(store, 1);

    holder.close();

    HeldLock otherHeld = served(other, "the ticket issued while the turn was held");
    int behindTicket = Hang.get(behind.issued(), TIMEOUT, "the queued request's issue by the release");
    assertThat(behindTicket).as("issued after the other ticket").isNotEqualTo(otherHeld.ticket());
    assertThat(liveTickets(store, conv)).containsExactly(otherHeld.ticket(), behindTicket);
    assertThat(behind.served()).as("waits while the other ticket is held").isNotDone();
    otherHeld.close();
    served(behind.served(), "the queued request after the other ticket").close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void aChainOfTurnsEachQueuedBehindThePreviousKeepsTheirOrder() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock held = store.lock(conv, LONG, null);
    for (int i = 1; i <= 20; i++) {
      LockRequest next = store.requestAfter(held, LONG, null);
      int before = held.ticket();
      held.close();
      held = served(next.served(), "turn " + i + " of the chain");
      assertThat(liveTickets(store, conv)).as("turn %d", i).containsExactly(held.ticket());
      // Issued while the ticket ahead was still in the queue, even with Rasa's numbering.
      assertThat(held.ticket()).as("turn %d", i).isGreaterThan(before);
    }
    held.close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void aRequestAfterAReleasedTurnIsIssuedAtOnce() {
    LockStore store = store();
    String conv = newConversationId();
    HeldLock holder = store.lock(conv, LONG, null);
    holder.close();

    LockRequest next = store.requestAfter(holder, LONG, null);

    served(next.served(), "a request after a released turn").close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void cancellingARequestQueuedBehindATurnLeavesAPlainRelease() {
    LockStore store = store();
    String conv = newConversationId();
    HeldLock holder = store.lock(conv, LONG, null);
    LockRequest next = store.requestAfter(holder, LONG, null);

    assertThat(next.cancel()).isTrue();

    Throwable failure = Hang.failure(next.issued(), TIMEOUT, "the issue of a cancelled request");
    assertThat(failure).isInstanceOf(LockException.class);
    assertThat(((LockException) failure).reason()).isEqualTo(LockException.Reason.CANCELLED);
    // Another request may now queue behind the turn; cancel it too.
    LockRequest again = store.requestAfter(holder, LONG, null);
    assertThat(again.cancel()).isTrue();
    holder.close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(store.getLock(conv)).isEmpty();
  }

  @Test
  void onlyOneRequestQueuesBehindATurnOfThisStore() {
    LockStore store = store();
    LockStore other = store();
    String conv = newConversationId();
    try (HeldLock holder = store.lock(conv, LONG, null)) {
      LockRequest next = store.requestAfter(holder, LONG, null);
      assertThatThrownBy(() -> store.requestAfter(holder, LONG, null))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining(conv);
      assertThatThrownBy(() -> other.requestAfter(holder, LONG, null))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ahead");
      assertThatThrownBy(() -> store.requestAfter(null, LONG, null)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> store.requestAfter(holder, Duration.ZERO, null))
          .isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> store.requestAfter(holder, LONG, Duration.ZERO))
          .isInstanceOf(IllegalArgumentException.class);
      next.cancel();
    }
  }

  @Test
  void aRequestQueuedBehindATurnThatExpiredIsCancelledWhenTheTurnIsReleasedAndMayAskAgain() {
    LockStore store = store(eventDrivenOptions().toBuilder().keepAlive(false).build());
    String conv = newConversationId();
    HeldLock stale = store.lock(conv, SHORT, null);
    LockRequest next = store.requestAfter(stale, LONG, null);
    double staleExpires = store.getLock(conv).orElseThrow().ticketFor(stale.ticket()).expires();
    sleepUntilPast(staleExpires);

    stale.close(); // nothing to give back: the ticket expired

    LockException e = lockFailure(next.served(), "the request behind an expired turn");
    assertThat(e.reason()).isEqualTo(LockException.Reason.CANCELLED);
    assertThat(e.getMessage()).contains("expired").contains(conv);
    assertThat(Hang.failure(next.issued(), TIMEOUT, "its issue")).isInstanceOf(LockException.class);
    // Asking again behind the released turn issues at once.
    try (HeldLock held = served(store.requestAfter(stale, LONG, null).served(), "the request asked again")) {
      assertThat(store.ticketStatus(conv, held.ticket()).isServed()).isTrue();
    }
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void aWaiterWhoseOwnTicketExpiresGetsLockExceptionNamingTheConversation() {
    LockStore store = store();
    String conv = newConversationId();
    double waiterExpires;
    try (HeldLock holder = store.lock(conv)) {
      LockException e = lockFailure(store.lockAsync(conv, SHORT, null), "a waiter whose ticket expires");

      assertNamesConversation(e, conv);
      assertThat(store.ticketStatus(conv, holder.ticket()).isServed()).isTrue();
      // The waiter gives up once a lower bound of its expiry has passed (from before its issue
      // request); the store set the real one a little later, when it issued. Until then the
      // ticket is still the store's, and what follows holds only from there.
      waiterExpires = store.getLock(conv).map(l -> l.tickets().stream()
          .filter(t -> t.number() != holder.ticket()).mapToDouble(Ticket::expires).max().orElse(0))
          .orElse(0.0);
    }
    sleepUntilPast(waiterExpires);
    assertThat(store.isSomeoneWaiting(conv)).as("the expired waiter's ticket does not linger").isFalse();
  }

  /** Sleeps until the wall clock is past {@code epochSeconds}, the stores' expiry format. */
  private static void sleepUntilPast(double epochSeconds) {
    long until = (long) Math.ceil(epochSeconds * 1000) + 1;
    try {
      for (long left = until - System.currentTimeMillis(); left > 0; left = until - System.currentTimeMillis()) {
        Thread.sleep(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted", e);
    }
  }

  @Test
  void aWaiterLearnsOfItsOwnExpiryWithoutARecheckOrARelease() {
    // Nothing happens in the queue and the holder lives a minute: only the waiter's own expiry can
    // end its wait.
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    try (HeldLock holder = store.lock(conv)) {
      LockException e = lockFailure(store.lockAsync(conv, SHORT, null), "a waiter whose ticket expires");

      assertNamesConversation(e, conv);
      assertThat(store.ticketStatus(conv, holder.ticket()).isServed()).isTrue();
    }
  }

  @Test
  void aBlockedLockWhoseOwnTicketExpiresThrowsLockException() {
    LockStore store = store();
    String conv = newConversationId();
    HeldLock holder = store.lock(conv);
    try {
      CompletableFuture<Void> blocked = CompletableFuture.runAsync(() -> store.lock(conv, SHORT, null));
      Throwable t = Hang.failure(blocked, TIMEOUT, "a blocked lock() whose ticket expires");

      Throwable cause = t instanceof java.util.concurrent.CompletionException ? t.getCause() : t;
      assertThat(cause).isInstanceOf(LockException.class);
      assertNamesConversation((LockException) cause, conv);
    } finally {
      holder.close();
    }
  }

  @Test
  void maxWaitGivesUpWithLockExceptionAndGivesTheTicketBackAtOnce() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv);
    CompletableFuture<HeldLock> impatient = store.lockAsync(conv, LONG, Duration.ofMillis(200));
    awaitWaiting(store, 1);
    CompletableFuture<HeldLock> patient = store.lockAsync(conv, LONG, null);
    awaitWaiting(store, 2);

    LockException e = lockFailure(impatient, "a waiter whose maxWait passes");

    assertNamesConversation(e, conv);
    // The abandoned ticket (alive for another minute) is removed while the holder still holds.
    awaitLiveTickets(store, conv, 2);
    assertThat(patient).isNotDone();
    holder.close();
    try (HeldLock next = served(patient, "the waiter behind an abandoned ticket")) {
      assertThat(next.ticket()).isGreaterThan(holder.ticket());
    }
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void aBlockedLockWhoseMaxWaitPassesThrowsLockException() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    try (HeldLock holder = store.lock(conv)) {
      assertThatThrownBy(() -> store.lock(conv, LONG, Duration.ofMillis(100)))
          .isInstanceOf(LockException.class)
          .hasMessageContaining(conv);
      awaitLiveTickets(store, conv, 1);
      assertThat(liveTickets(store, conv)).containsExactly(holder.ticket());
    }
  }

  @Test
  void maxWaitDoesNotFailATurnThatIsServedInTime() {
    LockStore store = store();
    String conv = newConversationId();

    try (HeldLock held = served(store.lockAsync(conv, LONG, Duration.ofSeconds(30)), "a turn with maxWait")) {
      assertThat(store.ticketStatus(conv, held.ticket()).isServed()).isTrue();
    }
  }

  @Test
  void cancellingLockAsyncGivesTheTicketBack() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv);
    CompletableFuture<HeldLock> cancelled = store.lockAsync(conv);
    awaitWaiting(store, 1);
    CompletableFuture<HeldLock> next = store.lockAsync(conv);
    awaitWaiting(store, 2);

    assertThat(cancelled.cancel(true)).isTrue();

    assertThat(cancelled).isCancelled();
    awaitLiveTickets(store, conv, 2);
    awaitWaiting(store, 1);
    assertThat(next).isNotDone();
    holder.close();
    served(next, "the waiter behind a cancelled ticket").close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void cancellingBeforeTheTicketIsIssuedStillGivesItBack() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv);

    LockRequest request = store.request(conv, LONG, null);
    request.cancel(); // possibly before the ticket is even issued

    // Wait for the issue itself, so the count below cannot be taken before the ticket exists.
    int issued = Hang.get(request.issued(), TIMEOUT, "the cancelled request's issue");
    awaitWaiting(store, 0);
    awaitLiveTickets(store, conv, 1);
    assertThat(issued).isNotEqualTo(holder.ticket());
    assertThat(liveTickets(store, conv)).containsExactly(holder.ticket());
    holder.close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void abandoningTheFutureWithOrTimeoutGivesTheTicketBack() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv);
    CompletableFuture<HeldLock> abandoned = store.lockAsync(conv, LONG, null);
    awaitWaiting(store, 1);

    abandoned.orTimeout(50, TimeUnit.MILLISECONDS);

    assertThat(Hang.failure(abandoned, TIMEOUT, "orTimeout")).isInstanceOf(TimeoutException.class);
    awaitLiveTickets(store, conv, 1);
    assertThat(liveTickets(store, conv)).containsExactly(holder.ticket());
    holder.close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void interruptingABlockedLockThrowsLockExceptionAndGivesTheTicketBack() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv);
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicBoolean stillInterrupted = new AtomicBoolean();
    Thread blocked = new Thread(() -> {
      try {
        store.lock(conv).close();
      } catch (Throwable t) {
        thrown.set(t);
        stillInterrupted.set(Thread.currentThread().isInterrupted());
      }
    }, "contract-interrupted-waiter");
    blocked.start();
    awaitWaiting(store, 1);
    CompletableFuture<HeldLock> next = store.lockAsync(conv);
    awaitWaiting(store, 2);

    blocked.interrupt();
    Hang.join(blocked, TIMEOUT, "the interrupted waiter");

    assertThat(thrown.get()).isInstanceOf(LockException.class);
    assertNamesConversation((LockException) thrown.get(), conv);
    assertThat(stillInterrupted).as("the interrupt flag is set again").isTrue();
    awaitLiveTickets(store, conv, 2);
    holder.close();
    served(next, "the waiter behind an interrupted one").close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void renewKeepsTheTurnPastTheOriginalLifetime() throws InterruptedException {
    LockStore store = store();
    String conv = newConversationId();
    HeldLock holder = store.lock(conv, RENEWED, null);
    CompletableFuture<HeldLock> next = store.lockAsync(conv, LONG, null);
    awaitWaiting(store, 1);

    long until = System.nanoTime() + THREE_LIFETIMES.toNanos();
    while (System.nanoTime() - until < 0) {
      Thread.sleep(RENEWED.toMillis() / 4); // real time must pass the original lifetime
      holder.renew();
    }

    assertThat(next).as("the renewed holder keeps its turn").isNotDone();
    assertThat(store.ticketStatus(conv, holder.ticket()).isServed()).isTrue();
    holder.close();
    served(next, "the turn after a renewed holder").close();
  }

  @Test
  void aHeldTurnIsLostOnceItsTicketMayHaveExpired() {
    LockStore store = store(defaultOptions()); // keep-alive off: nothing renews it
    String conv = newConversationId();
    HeldLock held = store.lock(conv, SHORT, null);
    assertThat(held.isLost()).as("just served").isFalse();
    double expires = store.getLock(conv).orElseThrow().ticketFor(held.ticket()).expires();

    sleepUntilPast(expires);

    assertThat(held.isLost()).as("past its ticket's expiry").isTrue();
    held.close();
  }

  @Test
  void renewAfterExpiryThrowsLockException() {
    LockStore store = store();
    String conv = newConversationId();
    HeldLock held = store.lock(conv, SHORT, null);

    Hang.until(() -> store.ticketStatus(conv, held.ticket()).kind() == TicketStatus.Kind.GONE, TIMEOUT,
        "the held ticket to expire");

    assertThatThrownBy(held::renew).isInstanceOf(LockException.class).hasMessageContaining(conv);
    held.close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void renewAfterCloseIsRejected() {
    LockStore store = store();
    String conv = newConversationId();
    HeldLock held = store.lock(conv);
    held.close();

    assertThatThrownBy(held::renew).isInstanceOf(IllegalStateException.class).hasMessageContaining(conv);
    assertThat(store.getLock(conv)).as("renew did not bring the ticket back").isEmpty();
  }

  @Test
  void keepAliveKeepsWaitingAndHeldTicketsAlivePastTheirLifetime() throws InterruptedException {
    LockStore store = store(defaultOptions().toBuilder().lockLifetime(RENEWED).keepAlive(true).build());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv);
    CompletableFuture<HeldLock> next = store.lockAsync(conv);
    awaitWaiting(store, 1);

    Thread.sleep(THREE_LIFETIMES.toMillis()); // real time must pass the lifetime several times

    assertKeptAlive(store, conv, holder, next);
  }

  @Test
  void keepAliveHonoursTheLifetimeGivenToLock() throws InterruptedException {
    // The store's own lifetime is long; the tickets are given a short one.
    LockStore store = store(defaultOptions().toBuilder().lockLifetime(LONG).keepAlive(true).build());
    String conv = newConversationId();
    HeldLock holder = store.lock(conv, RENEWED, null);
    CompletableFuture<HeldLock> next = store.lockAsync(conv, RENEWED, null);
    awaitWaiting(store, 1);

    Thread.sleep(THREE_LIFETIMES.toMillis()); // real time must pass the lifetime several times

    assertKeptAlive(store, conv, holder, next);
  }

  private static void assertKeptAlive(LockStore store, String conv, HeldLock holder, CompletableFuture<HeldLock> next) {
    assertThat(next).as("the waiter neither expired nor overtook the holder: %s", next).isNotDone();
    assertThat(store.ticketStatus(conv, holder.ticket()).isServed()).as("the holder is still served").isTrue();
    assertThat(liveTickets(store, conv)).hasSize(2);
    holder.renew(); // still live, so renewing by hand works too
    holder.close();
    served(next, "the kept-alive waiter").close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void closingAHeldLockTwiceIsHarmless() {
    LockStore store = store();
    String conv = newConversationId();
    HeldLock first = store.lock(conv);
    first.close();
    first.close();

    // With Rasa's numbering the next turn reuses the first turn's number: a third close of the
    // first turn must still not touch it.
    HeldLock second = store.lock(conv);
    CompletableFuture<HeldLock> third = store.lockAsync(conv);
    awaitWaiting(store, 1);

    first.close();

    assertThat(store.ticketStatus(conv, second.ticket()).isServed()).isTrue();
    assertThat(third).isNotDone();
    second.close();
    served(third, "the third turn").close();
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  @Test
  void afterAllTurnsFinishNobodyWaits() {
    LockStore store = store();
    String conv = newConversationId();
    List<CompletableFuture<Void>> turns = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      // Requested concurrently, so issued in any order: each turn ends as soon as it is served.
      turns.add(store.lockAsync(conv).thenAccept(HeldLock::close));
    }
    Hang.all(turns, TIMEOUT, "five turns");

    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(store.getLock(conv)).isEmpty();
    assertThat(store.waitingCount()).isZero();
  }

  @Test
  void closingTheStoreFailsItsWaitersAndRefusesNewTurns() {
    LockStore store = store();
    String conv = newConversationId();
    store.lock(conv);
    CompletableFuture<HeldLock> waiting = store.lockAsync(conv);
    awaitWaiting(store, 1);

    closeStore(store);

    assertNamesConversation(lockFailure(waiting, "a waiter of a closed store"), conv);
    assertThatThrownBy(() -> store.lock(conv)).isInstanceOf(LockException.class).hasMessageContaining(conv);
  }

  // ------------------------------------------------------------------ progress marks

  @Test
  void theNextTurnReadsTheProgressTheLastReleaseRecorded() {
    LockStore store = store();
    String conv = newConversationId();
    HeldLock first = store.lock(conv);
    assertThat(first.progress()).as("no release has recorded anything yet").isNull();

    first.close("in-0@41");

    HeldLock second = store.lock(conv);
    assertThat(second.progress()).isEqualTo(keepsProgress() ? "in-0@41" : null);
    second.close(); // records nothing: the mark stays
    HeldLock third = store.lock(conv);
    assertThat(third.progress()).isEqualTo(keepsProgress() ? "in-0@41" : null);
    third.close("in-0@42");
    assertThat(store.lock(newConversationId()).progress()).as("marks are per conversation").isNull();
  }

  @Test
  void aWaiterHandedTheTurnReadsTheMarkItsReleaseRecorded() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock first = store.lock(conv);
    CompletableFuture<HeldLock> waiting = store.lockAsync(conv);
    awaitWaiting(store, 1);

    first.close("in-3@7");

    assertThat(Hang.get(waiting, TIMEOUT, "the waiter").progress()).isEqualTo(keepsProgress() ? "in-3@7" : null);
  }

  @Test
  void aRequestQueuedBehindATurnReadsTheMarkItsReleaseRecorded() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock first = store.lock(conv);
    LockRequest next = store.requestAfter(first, LONG, null);

    first.close("in-1@100");

    assertThat(Hang.get(next.served(), TIMEOUT, "the queued request").progress()).isEqualTo(keepsProgress() ? "in-1@100" : null);
  }

  @Test
  void closeAsyncReleasesRecordingTheMarkAndServesTheWaiterAndTheQueuedRequest() {
    LockStore store = store(eventDrivenOptions());
    String conv = newConversationId();
    HeldLock first = store.lockAsync(conv).join();
    CompletableFuture<HeldLock> waiting = store.lockAsync(conv);
    awaitWaiting(store, 1);

    Hang.get(first.closeAsync("in-5@9").toCompletableFuture(), TIMEOUT, "the asynchronous release");

    HeldLock second = Hang.get(waiting, TIMEOUT, "the waiter");
    assertThat(second.progress()).isEqualTo(keepsProgress() ? "in-5@9" : null);
    LockRequest next = store.requestAfter(second, LONG, null);
    Hang.get(second.closeAsync().toCompletableFuture(), TIMEOUT, "the asynchronous release without a mark");
    HeldLock third = Hang.get(next.served(), TIMEOUT, "the request queued behind the second turn");
    assertThat(third.progress()).as("a release without a mark keeps the last one")
        .isEqualTo(keepsProgress() ? "in-5@9" : null);
    assertThat(first.closeAsync("in-5@10").toCompletableFuture()).as("closing again").isCompletedWithValue(null);
    Hang.get(third.closeAsync().toCompletableFuture(), TIMEOUT, "the last release");
    assertThat(store.getLock(conv)).as("nothing left once the last turn is released").isEmpty();
  }

  // ------------------------------------------------------------------ stress

  /**
   * One served turn as a stress worker saw it.
   *
   * @param worker the worker (thread or client) that took the turn
   * @param ticket the ticket number it was served on
   */
  protected record Turn(int worker, int ticket) {}

  @Test
  void stressOneConversation() {
    LockStore store = store();
    String conv = newConversationId();
    int threads = stressThreads();
    int iterations = stressIterations();
    Occupancy occupancy = new Occupancy();

    runWorkers(threads, "contract-stress", worker -> {
      for (int i = 0; i < iterations; i++) {
        try (HeldLock held = store.lock(conv)) {
          occupancy.inside(conv, worker, held, i % 16 == 0);
        }
      }
    });

    occupancy.assertNoOverlap();
    List<Turn> turns = occupancy.turns(conv);
    assertThat(turns).hasSize(threads * iterations);
    assertServedInIssueOrder(conv, turns);
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(store.waitingCount()).isZero();
  }

  @Test
  void stressManyConversationsInParallel() {
    LockStore store = store();
    int conversations = stressConversations();
    int perConversation = stressThreadsPerConversation();
    int iterations = stressIterationsPerConversationThread();
    List<String> ids = new ArrayList<>();
    for (int c = 0; c < conversations; c++) {
      ids.add(newConversationId());
    }
    Occupancy occupancy = new Occupancy();

    runWorkers(conversations * perConversation, "contract-parallel", worker -> {
      String conv = ids.get(worker % conversations);
      for (int i = 0; i < iterations; i++) {
        try (HeldLock held = store.lock(conv)) {
          occupancy.inside(conv, worker, held, i % 8 == 0);
        }
      }
    });

    occupancy.assertNoOverlap();
    for (String conv : ids) {
      List<Turn> turns = occupancy.turns(conv);
      assertThat(turns).as(conv).hasSize(perConversation * iterations);
      assertServedInIssueOrder(conv, turns);
      assertThat(store.isSomeoneWaiting(conv)).as(conv).isFalse();
    }
    assertThat(store.waitingCount()).isZero();
  }

  @Test
  void stressTurnsQueuedBehindHeldOnesBesidePlainTurns() throws Exception {
    // Worker 0 passes its turn down a chain the way the gateway does: the next request is queued
    // behind the held turn from another thread, racing the holder's release; the other workers take
    // plain turns, so releases that issue meet tickets issued in between.
    LockStore store = store();
    String conv = newConversationId();
    int threads = stressThreads();
    int iterations = stressIterations();
    Occupancy occupancy = new Occupancy();
    ExecutorService queuer = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "contract-queue-behind");
      t.setDaemon(true);
      return t;
    });
    try {
      runWorkers(threads, "contract-queued", worker -> {
        if (worker == 0) {
          HeldLock held = store.lock(conv);
          for (int i = 0; i < iterations; i++) {
            HeldLock ahead = held;
            Future<LockRequest> next = i + 1 < iterations
                ? queuer.submit(() -> store.requestAfter(ahead, store.lockLifetime(), null)) : null;
            try (ahead) {
              occupancy.inside(conv, worker, ahead, i % 16 == 0);
            }
            if (next != null) {
              held = Hang.get(Hang.get(next, TIMEOUT, "a request queued behind turn " + i).served(), TIMEOUT,
                  "turn " + (i + 1) + " of the chain");
            }
          }
          return;
        }
        for (int i = 0; i < iterations; i++) {
          try (HeldLock held = store.lock(conv)) {
            occupancy.inside(conv, worker, held, i % 16 == 0);
          }
        }
      });
    } finally {
      queuer.shutdownNow();
    }

    occupancy.assertNoOverlap();
    List<Turn> turns = occupancy.turns(conv);
    assertThat(turns).hasSize(threads * iterations);
    assertServedInIssueOrder(conv, turns);
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
    assertThat(store.waitingCount()).isZero();
  }

  @Test
  void stressWithAsynchronousContinuations() {
    // Each client takes its turns in continuations of lockAsync, the way an asynchronous gateway
    // does; a continuation runs on whichever thread completes the turn.
    LockStore store = store();
    String conv = newConversationId();
    int clients = stressThreads();
    int iterations = stressIterations();
    Occupancy occupancy = new Occupancy();
    List<String> insideClose = Collections.synchronizedList(new ArrayList<>());
    List<CompletableFuture<Void>> done = new ArrayList<>();
    ExecutorService requester = Executors.newFixedThreadPool(4, r -> {
      Thread t = new Thread(r, "contract-async-requester");
      t.setDaemon(true);
      return t;
    });
    try {
      for (int c = 0; c < clients; c++) {
        CompletableFuture<Void> clientDone = new CompletableFuture<>();
        done.add(clientDone);
        takeTurns(store, conv, c, iterations, occupancy, insideClose, requester, clientDone);
      }
      Hang.all(done, STRESS_TIMEOUT, clients + " asynchronous clients taking " + iterations + " turns each");
    } finally {
      requester.shutdownNow();
    }

    assertThat(insideClose).as("continuations that ran inside another turn's HeldLock.close(): handing turns "
        + "over that way nests each hand-over in the previous one until the stack overflows").isEmpty();
    occupancy.assertNoOverlap();
    List<Turn> turns = occupancy.turns(conv);
    assertThat(turns).hasSize(clients * iterations);
    assertServedInIssueOrder(conv, turns);
    assertThat(store.isSomeoneWaiting(conv)).isFalse();
  }

  private static void takeTurns(LockStore store, String conv, int client, int remaining, Occupancy occupancy,
      List<String> insideClose, ExecutorService requester, CompletableFuture<Void> done) {
    if (remaining == 0) {
      done.complete(null);
      return;
    }
    store.lockAsync(conv).whenComplete((held, error) -> {
      if (error != null) {
        done.completeExceptionally(error);
        return;
      }
      if (runningInsideAClose()) {
        insideClose.add("client " + client + "'s turn " + held.ticket() + " on " + Thread.currentThread());
      }
      try (held) {
        occupancy.inside(conv, client, held, false);
      } catch (Throwable t) {
        done.completeExceptionally(t);
        return;
      }
      // The next request starts from a fresh stack so that this test never nests by itself.
      requester.execute(() -> takeTurns(store, conv, client, remaining - 1, occupancy, insideClose, requester, done));
    });
  }

  private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

  private static boolean runningInsideAClose() {
    return WALKER.walk(frames -> frames.anyMatch(f -> f.getMethodName().equals("close")
        && HeldLock.class.isAssignableFrom(f.getDeclaringClass())));
  }

  /**
   * Checks that {@code turns} (in the order they were served) follow issue order. Stores that never
   * reuse numbers must serve strictly growing numbers. Stores with Rasa's numbering serve runs
   * 0, 1, 2, ... : a run restarts at 0 only when the lock emptied, and within a run no number is
   * skipped, because in a stress run every issued ticket is served.
   */
  protected void assertServedInIssueOrder(String conversationId, List<Turn> turns) {
    List<Integer> served = turns.stream().map(Turn::ticket).toList();
    for (int i = 0; i < served.size(); i++) {
      int t = served.get(i);
      boolean ok;
      String expected;
      if (ticketNumbersOnlyGrow()) {
        ok = i == 0 || t > served.get(i - 1);
        expected = i == 0 ? "any" : "> " + served.get(i - 1);
      } else {
        ok = t == 0 || (i > 0 && t == served.get(i - 1) + 1);
        expected = i == 0 ? "0" : "0 or " + (served.get(i - 1) + 1);
      }
      if (!ok) {
        int from = Math.max(0, i - 10);
        int to = Math.min(served.size(), i + 10);
        throw new AssertionError("conversation " + conversationId + ": turn " + i + " served ticket " + t
            + " but expected " + expected + "; served tickets " + from + ".." + to + ": " + served.subList(from, to));
      }
    }
    // Each worker's own tickets were served in the order it took them.
    java.util.Map<Integer, List<Integer>> byWorker = new java.util.TreeMap<>();
    for (Turn turn : turns) {
      byWorker.computeIfAbsent(turn.worker(), w -> new ArrayList<>()).add(turn.ticket());
    }
    if (ticketNumbersOnlyGrow()) {
      byWorker.forEach((w, tickets) -> assertThat(tickets).as("worker %d's tickets", w).isSorted());
    }
  }

  /** Occupancy counters and the served order, per conversation. */
  private static final class Occupancy {
    private final java.util.concurrent.ConcurrentHashMap<String, AtomicInteger> inside =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final java.util.concurrent.ConcurrentHashMap<String, List<Turn>> turns =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final List<String> overlaps = Collections.synchronizedList(new ArrayList<>());

    void inside(String conv, int worker, HeldLock held, boolean linger) {
      AtomicInteger count = inside.computeIfAbsent(conv, c -> new AtomicInteger());
      int n = count.incrementAndGet();
      try {
        if (n != 1) {
          overlaps.add(conv + ": worker " + worker + " with ticket " + held.ticket() + " found " + (n - 1)
              + " other holder(s) inside");
        }
        turns.computeIfAbsent(conv, c -> Collections.synchronizedList(new ArrayList<>()))
            .add(new Turn(worker, held.ticket()));
        if (linger) {
          Thread.yield(); // give an overlapping holder a chance to show up
        }
        if (count.get() != 1 && n == 1) {
          overlaps.add(conv + ": another holder entered while worker " + worker + " held ticket " + held.ticket());
        }
      } finally {
        count.decrementAndGet();
      }
    }

    List<Turn> turns(String conv) {
      return List.copyOf(turns.getOrDefault(conv, List.of()));
    }

    void assertNoOverlap() {
      assertThat(overlaps).as("critical sections that overlapped").isEmpty();
    }
  }

  private interface Worker {
    void run(int worker) throws Exception;
  }

  private static void runWorkers(int count, String name, Worker body) {
    AtomicInteger ids = new AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(count, r -> {
      Thread t = new Thread(r, name + "-" + ids.getAndIncrement());
      t.setDaemon(true);
      return t;
    });
    try {
      CountDownLatch start = new CountDownLatch(1);
      List<Future<?>> futures = new ArrayList<>();
      for (int w = 0; w < count; w++) {
        int worker = w;
        futures.add(pool.submit(() -> {
          start.await();
          body.run(worker);
          return null;
        }));
      }
      start.countDown();
      Hang.all(futures, STRESS_TIMEOUT, count + " " + name + " workers");
    } finally {
      pool.shutdownNow();
    }
  }
}
