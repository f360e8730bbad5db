package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.store.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TicketLockTest {

  private static final Duration MINUTE = Duration.ofMinutes(1);

  private final MutableClock clock = new MutableClock();

  private TicketLock empty() {
    return new TicketLock("conv", List.of(), clock);
  }

  private double now() {
    return clock.epochSeconds();
  }

  private static List<Integer> numbers(TicketLock lock) {
    return lock.tickets().stream().map(Ticket::number).toList();
  }

  @Nested
  class AnEmptyLock {

    @Test
    void hasIssuedNothing() {
      assertThat(empty().lastIssued()).isEqualTo(-1);
    }

    @Test
    void servesZeroByRasaConvention() {
      assertThat(empty().nowServing()).isZero();
    }

    @Test
    void hasNobodyWaiting() {
      assertThat(empty().isSomeoneWaiting()).isFalse();
      assertThat(empty().tickets()).isEmpty();
    }

    @Test
    void reportsTicketZeroAsUnlockedLikeRasaAndEveryOtherNumberAsLocked() {
      TicketLock lock = empty();

      assertThat(lock.isLocked(0)).isFalse();
      assertThat(lock.isLocked(1)).isTrue();
      assertThat(lock.isLocked(42)).isTrue();
    }

    @Test
    void treatsEveryTicketAsExpired() {
      assertThat(empty().hasLockExpired(0)).isTrue();
      assertThat(empty().ticketFor(0)).isNull();
    }

    @Test
    void issuesZeroFirst() {
      assertThat(empty().issueTicket(MINUTE)).isZero();
    }
  }

  @Nested
  class Issuing {

    @Test
    void numbersTicketsConsecutivelyInIssueOrder() {
      TicketLock lock = empty();

      assertThat(lock.issueTicket(MINUTE)).isZero();
      assertThat(lock.issueTicket(MINUTE)).isEqualTo(1);
      assertThat(lock.issueTicket(MINUTE)).isEqualTo(2);

      assertThat(numbers(lock)).containsExactly(0, 1, 2);
      assertThat(lock.lastIssued()).isEqualTo(2);
    }

    @Test
    void setsExpiryToNowPlusLifetime() {
      TicketLock lock = empty();
      double before = now();

      int t = lock.issueTicket(Duration.ofMillis(1500));

      assertThat(lock.ticketFor(t).expires()).isEqualTo(before + 1.5);
    }

    @Test
    void continuesAfterTheLastIssuedNumberEvenWhenEarlierTicketsAreGone() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);
      lock.issueTicket(MINUTE);
      lock.removeTicketFor(0);

      assertThat(lock.issueTicket(MINUTE)).isEqualTo(2);
    }

    @Test
    void continuesFromTheHighestNumberInASavedQueue() {
      TicketLock lock = new TicketLock("conv", List.of(new Ticket(41, now() + 60)), clock);

      assertThat(lock.issueTicket(MINUTE)).isEqualTo(42);
    }

    @Test
    void dropsExpiredTicketsFirst() {
      TicketLock lock = empty();
      lock.issueTicket(Duration.ofSeconds(1)); // 0, expires soon
      lock.issueTicket(MINUTE); // 1
      clock.advance(Duration.ofSeconds(2));

      int t = lock.issueTicket(MINUTE);

      assertThat(t).isEqualTo(2);
      assertThat(numbers(lock)).containsExactly(1, 2);
    }

    @Test
    void restartsAtZeroWhenEveryTicketHasExpired() {
      TicketLock lock = empty();
      lock.issueTicket(Duration.ofSeconds(1));
      lock.issueTicket(Duration.ofSeconds(1));
      clock.advance(Duration.ofSeconds(2));

      assertThat(lock.issueTicket(MINUTE)).isZero();
      assertThat(numbers(lock)).containsExactly(0);
    }

    @Test
    void reusesTheNumberOfAnExpiredLastTicketLikeRasa() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE); // 0 stays live
      lock.issueTicket(Duration.ofSeconds(1)); // 1 expires
      clock.advance(Duration.ofSeconds(2));

      assertThat(lock.issueTicket(MINUTE)).isEqualTo(1);
    }

    @Test
    void aTicketExpiringExactlyNowIsNotDroppedSoNumberingContinues() {
      TicketLock lock = empty();
      lock.issueTicket(Duration.ofSeconds(1));
      clock.advance(Duration.ofSeconds(1));

      assertThat(lock.issueTicket(MINUTE)).isEqualTo(1);
    }

    @Test
    void acceptsSubMillisecondLifetimes() {
      TicketLock lock = empty();

      int t = lock.issueTicket(Duration.ofNanos(1));

      assertThat(lock.hasLockExpired(t)).isFalse();
      clock.advanceMillis(1);
      assertThat(lock.hasLockExpired(t)).isTrue();
    }

    @Test
    void acceptsVeryLongLifetimes() {
      // A "practically forever" lifetime must not overflow when converted to epoch seconds.
      TicketLock lock = empty();

      int t = lock.issueTicket(Duration.ofDays(365L * 1000));

      assertThat(lock.ticketFor(t).expires()).isGreaterThan(now() + 365.0 * 999 * 24 * 3600);
    }

    @Test
    void rejectsLifetimesThatAreNotPositive() {
      TicketLock lock = empty();

      assertThatThrownBy(() -> lock.issueTicket(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> lock.issueTicket(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> lock.issueTicket(null)).isInstanceOf(NullPointerException.class);
      assertThat(lock.tickets()).isEmpty();
    }
  }

  @Nested
  class Serving {

    @Test
    void servesTheFirstTicketAndLocksTheRest() {
      TicketLock lock = empty();
      int a = lock.issueTicket(MINUTE);
      int b = lock.issueTicket(MINUTE);
      int c = lock.issueTicket(MINUTE);

      assertThat(lock.nowServing()).isEqualTo(a);
      assertThat(lock.isLocked(a)).isFalse();
      assertThat(lock.isLocked(b)).isTrue();
      assertThat(lock.isLocked(c)).isTrue();
    }

    @Test
    void servesInQueueOrderAsTicketsAreRemoved() {
      TicketLock lock = empty();
      int a = lock.issueTicket(MINUTE);
      int b = lock.issueTicket(MINUTE);
      int c = lock.issueTicket(MINUTE);

      lock.removeTicketFor(a);
      assertThat(lock.nowServing()).isEqualTo(b);
      assertThat(lock.isLocked(c)).isTrue();

      lock.removeTicketFor(b);
      assertThat(lock.nowServing()).isEqualTo(c);
      assertThat(lock.isLocked(c)).isFalse();

      lock.removeTicketFor(c);
      assertThat(lock.isSomeoneWaiting()).isFalse();
      assertThat(lock.nowServing()).isZero();
    }

    @Test
    void servesInTheOrderTheQueueWasGivenNotByNumber() {
      TicketLock lock = new TicketLock("conv", List.of(new Ticket(5, now() + 60), new Ticket(2, now() + 60)), clock);

      assertThat(lock.nowServing()).isEqualTo(5);
      assertThat(lock.lastIssued()).isEqualTo(2);
    }

    @Test
    void anExpiredHeadNoLongerBlocks() {
      TicketLock lock = empty();
      int a = lock.issueTicket(Duration.ofSeconds(1));
      int b = lock.issueTicket(MINUTE);
      assertThat(lock.isLocked(b)).isTrue();

      clock.advance(Duration.ofMillis(1001));

      assertThat(lock.nowServing()).isEqualTo(b);
      assertThat(lock.isLocked(b)).isFalse();
      assertThat(lock.isLocked(a)).isTrue();
    }

    @Test
    void aHeadExpiringExactlyNowStillBlocks() {
      TicketLock lock = empty();
      int a = lock.issueTicket(Duration.ofSeconds(1));
      int b = lock.issueTicket(MINUTE);

      clock.advance(Duration.ofSeconds(1));

      assertThat(lock.nowServing()).isEqualTo(a);
      assertThat(lock.isLocked(b)).isTrue();
    }

    @Test
    void expiredTicketsInTheMiddleAreSkipped() {
      TicketLock lock = empty();
      int a = lock.issueTicket(Duration.ofSeconds(10));
      lock.issueTicket(Duration.ofSeconds(1));
      int c = lock.issueTicket(MINUTE);
      clock.advance(Duration.ofSeconds(2));

      assertThat(lock.nowServing()).isEqualTo(a);
      lock.removeTicketFor(a);
      assertThat(lock.nowServing()).isEqualTo(c);
      assertThat(numbers(lock)).containsExactly(c);
    }

    @Test
    void aTicketThatIsNotQueuedIsLocked() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);

      assertThat(lock.isLocked(99)).isTrue();
    }
  }

  @Nested
  class Waiting {

    @Test
    void someoneWaitsWhileAnyLiveTicketRemains() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);

      assertThat(lock.isSomeoneWaiting()).isTrue();
    }

    @Test
    void nobodyWaitsOnceEveryTicketHasExpired() {
      TicketLock lock = empty();
      lock.issueTicket(Duration.ofSeconds(1));
      lock.issueTicket(Duration.ofSeconds(2));

      clock.advance(Duration.ofSeconds(2));
      assertThat(lock.isSomeoneWaiting()).isTrue();

      clock.advanceMillis(1);
      assertThat(lock.isSomeoneWaiting()).isFalse();
      assertThat(lock.tickets()).isEmpty();
    }

    @Test
    void queriesDropExpiredTicketsFromTheQueue() {
      TicketLock lock = empty();
      lock.issueTicket(Duration.ofSeconds(1));
      lock.issueTicket(MINUTE);
      clock.advance(Duration.ofSeconds(2));
      assertThat(lock.tickets()).hasSize(2); // nothing dropped until a query runs

      lock.nowServing();

      assertThat(numbers(lock)).containsExactly(1);
    }

    @Test
    void lastIssuedIgnoresExpiredTickets() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);
      lock.issueTicket(Duration.ofSeconds(1));
      clock.advance(Duration.ofSeconds(2));

      assertThat(lock.lastIssued()).isZero();
    }

    @Test
    void removeExpiredTicketsKeepsLiveOnesInOrder() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);
      lock.issueTicket(Duration.ofSeconds(1));
      lock.issueTicket(MINUTE);
      clock.advance(Duration.ofSeconds(2));

      lock.removeExpiredTickets();

      assertThat(numbers(lock)).containsExactly(0, 2);
    }
  }

  @Nested
  class Removing {

    @Test
    void removesOnlyTheGivenTicket() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);
      lock.issueTicket(MINUTE);
      lock.issueTicket(MINUTE);

      lock.removeTicketFor(1);

      assertThat(numbers(lock)).containsExactly(0, 2);
    }

    @Test
    void removingAnUnknownTicketChangesNothing() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);

      lock.removeTicketFor(7);

      assertThat(numbers(lock)).containsExactly(0);
    }

    @Test
    void removingTwiceIsHarmless() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);
      lock.issueTicket(MINUTE);

      lock.removeTicketFor(0);
      lock.removeTicketFor(0);

      assertThat(numbers(lock)).containsExactly(1);
    }
  }

  @Nested
  class Expiry {

    @Test
    void aLiveTicketHasNotExpired() {
      TicketLock lock = empty();
      int t = lock.issueTicket(MINUTE);

      assertThat(lock.hasLockExpired(t)).isFalse();
    }

    @Test
    void aTicketPastItsExpiryHasExpiredEvenBeforeItIsDropped() {
      TicketLock lock = empty();
      int t = lock.issueTicket(Duration.ofSeconds(1));
      clock.advanceMillis(1001);

      assertThat(lock.hasLockExpired(t)).isTrue();
      assertThat(lock.ticketFor(t)).as("hasLockExpired does not drop tickets").isNotNull();
    }

    @Test
    void aTicketAtItsExactExpiryHasNotExpired() {
      TicketLock lock = empty();
      int t = lock.issueTicket(Duration.ofSeconds(1));
      clock.advance(Duration.ofSeconds(1));

      assertThat(lock.hasLockExpired(t)).isFalse();
    }

    @Test
    void aRemovedTicketHasExpired() {
      TicketLock lock = empty();
      int t = lock.issueTicket(MINUTE);
      lock.removeTicketFor(t);

      assertThat(lock.hasLockExpired(t)).isTrue();
    }

    @Test
    void aNeverIssuedTicketHasExpired() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);

      assertThat(lock.hasLockExpired(5)).isTrue();
    }
  }

  @Nested
  class Renewing {

    @Test
    void movesTheExpiryToNowPlusLifetime() {
      TicketLock lock = empty();
      int t = lock.issueTicket(Duration.ofSeconds(10));
      clock.advance(Duration.ofSeconds(8));

      assertThat(lock.renewTicket(t, Duration.ofSeconds(10))).isTrue();

      assertThat(lock.ticketFor(t).expires()).isEqualTo(now() + 10);
      clock.advance(Duration.ofSeconds(10));
      assertThat(lock.hasLockExpired(t)).isFalse();
      clock.advanceMillis(1);
      assertThat(lock.hasLockExpired(t)).isTrue();
    }

    @Test
    void keepsTheTicketsPlaceInTheQueue() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);
      lock.issueTicket(MINUTE);
      lock.issueTicket(MINUTE);

      lock.renewTicket(1, Duration.ofHours(1));

      assertThat(numbers(lock)).containsExactly(0, 1, 2);
      assertThat(lock.nowServing()).isZero();
    }

    @Test
    void keepsTheHeadServedPastItsOriginalLifetime() {
      TicketLock lock = empty();
      int a = lock.issueTicket(Duration.ofSeconds(10));
      int b = lock.issueTicket(MINUTE);

      for (int i = 0; i < 5; i++) {
        clock.advance(Duration.ofSeconds(5));
        assertThat(lock.renewTicket(a, Duration.ofSeconds(10))).isTrue();
      }

      assertThat(lock.nowServing()).isEqualTo(a);
      assertThat(lock.isLocked(b)).isTrue();
    }

    @Test
    void refusesAnExpiredTicketAndLeavesItUnchanged() {
      TicketLock lock = empty();
      int t = lock.issueTicket(Duration.ofSeconds(1));
      double expires = lock.ticketFor(t).expires();
      clock.advanceMillis(1001);

      assertThat(lock.renewTicket(t, MINUTE)).isFalse();
      assertThat(lock.ticketFor(t).expires()).isEqualTo(expires);
      assertThat(lock.hasLockExpired(t)).isTrue();
    }

    @Test
    void renewsATicketAtItsExactExpiryInstant() {
      TicketLock lock = empty();
      int t = lock.issueTicket(Duration.ofSeconds(1));
      clock.advance(Duration.ofSeconds(1));

      assertThat(lock.renewTicket(t, MINUTE)).isTrue();
    }

    @Test
    void refusesAnUnknownTicket() {
      TicketLock lock = empty();
      lock.issueTicket(MINUTE);

      assertThat(lock.renewTicket(3, MINUTE)).isFalse();
      assertThat(numbers(lock)).containsExactly(0);
    }

    @Test
    void refusesOnAnEmptyLock() {
      assertThat(empty().renewTicket(0, MINUTE)).isFalse();
    }

    @Test
    void rejectsLifetimesThatAreNotPositive() {
      TicketLock lock = empty();
      int t = lock.issueTicket(MINUTE);

      assertThatThrownBy(() -> lock.renewTicket(t, Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> lock.renewTicket(t, Duration.ofMillis(-5))).isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Nested
  class Construction {

    @Test
    void copiesTheGivenTickets() {
      List<Ticket> source = new ArrayList<>(List.of(new Ticket(0, now() + 60)));
      TicketLock lock = new TicketLock("conv", source, clock);

      source.add(new Ticket(1, now() + 60));
      source.clear();

      assertThat(numbers(lock)).containsExactly(0);
    }

    @Test
    void exposesTicketsReadOnlyButLive() {
      TicketLock lock = empty();
      List<Ticket> view = lock.tickets();

      assertThatThrownBy(() -> view.add(new Ticket(0, 1))).isInstanceOf(UnsupportedOperationException.class);
      lock.issueTicket(MINUTE);
      assertThat(view).hasSize(1);
    }

    @Test
    void rejectsNullTickets() {
      List<Ticket> withNull = new ArrayList<>();
      withNull.add(null);

      assertThatThrownBy(() -> new TicketLock("conv", withNull, clock)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new TicketLock("conv", null, clock)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void rejectsAMissingOrEmptyConversationId() {
      assertThatThrownBy(() -> new TicketLock(null)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> new TicketLock("")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsANullClock() {
      assertThatThrownBy(() -> new TicketLock("conv", List.of(), null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void usesTheSystemClockByDefault() {
      TicketLock lock = new TicketLock("conv");

      assertThat(lock.clock()).isEqualTo(Clock.systemUTC());
      assertThat(lock.conversationId()).isEqualTo("conv");
      assertThat(lock.tickets()).isEmpty();
    }

    @Test
    void judgesExpiryByTheGivenClock() {
      TicketLock lock = new TicketLock("conv", List.of(new Ticket(0, now() + 1)), clock);

      assertThat(lock.clock()).isSameAs(clock);
      assertThat(lock.isSomeoneWaiting()).isTrue();
      clock.advance(Duration.ofSeconds(2));
      assertThat(lock.isSomeoneWaiting()).isFalse();
    }
  }

  @Nested
  class ValueSemantics {

    @Test
    void equalsByConversationAndTicketsIgnoringTheClock() {
      List<Ticket> tickets = List.of(new Ticket(0, 100), new Ticket(1, 200));

      TicketLock a = new TicketLock("conv", tickets, clock);
      TicketLock b = new TicketLock("conv", tickets, Clock.systemUTC());

      assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
      assertThat(a).isNotEqualTo(new TicketLock("other", tickets, clock));
      assertThat(a).isNotEqualTo(new TicketLock("conv", List.of(new Ticket(0, 100)), clock));
      assertThat(a).isNotEqualTo(new TicketLock("conv", List.of(new Ticket(1, 200), new Ticket(0, 100)), clock));
    }

    @Test
    void toStringNamesTheConversationAndTickets() {
      TicketLock lock = new TicketLock("conv-42", List.of(new Ticket(3, 100)), clock);

      assertThat(lock.toString()).contains("conv-42").contains("3");
    }
  }

  @Nested
  class Status {

    @Test
    void theHeadIsServed() {
      TicketLock lock = empty();
      int a = lock.issueTicket(MINUTE);
      lock.issueTicket(MINUTE);

      assertThat(TicketStatus.of(lock, a)).isEqualTo(TicketStatus.served());
      assertThat(TicketStatus.of(lock, a).isServed()).isTrue();
    }

    @Test
    void aLaterTicketWaitsAndKnowsWhatIsAheadOfIt() {
      TicketLock lock = empty();
      int a = lock.issueTicket(Duration.ofMillis(2500));
      lock.issueTicket(MINUTE);
      int c = lock.issueTicket(MINUTE);

      TicketStatus s = TicketStatus.of(lock, c);

      assertThat(s.kind()).isEqualTo(TicketStatus.Kind.WAITING);
      assertThat(s.isServed()).isFalse();
      assertThat(s.nowServing()).isEqualTo(a);
      assertThat(s.ahead()).isEqualTo(2);
      assertThat(s.headExpiresAtMillis()).isEqualTo(clock.millis() + 2500);
    }

    @Test
    void anExpiredOrUnknownTicketIsGone() {
      TicketLock lock = empty();
      int a = lock.issueTicket(Duration.ofSeconds(1));
      clock.advance(Duration.ofSeconds(2));

      assertThat(TicketStatus.of(lock, a).kind()).isEqualTo(TicketStatus.Kind.GONE);
      assertThat(TicketStatus.of(lock, 9)).isEqualTo(TicketStatus.gone());
    }

    @Test
    void expiredTicketsAheadDoNotCount() {
      TicketLock lock = empty();
      lock.issueTicket(Duration.ofSeconds(1));
      int b = lock.issueTicket(MINUTE);
      int c = lock.issueTicket(MINUTE);
      clock.advance(Duration.ofSeconds(2));

      assertThat(TicketStatus.of(lock, b).isServed()).isTrue();
      assertThat(TicketStatus.of(lock, c).ahead()).isEqualTo(1);
    }
  }
}
