package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.store.testing.MutableClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class TicketTest {

  private final MutableClock clock = new MutableClock();

  @Test
  void keepsNumberAndExpiry() {
    Ticket t = new Ticket(7, 1_700_000_000.25);

    assertThat(t.number()).isEqualTo(7);
    assertThat(t.expires()).isEqualTo(1_700_000_000.25);
  }

  @Test
  void isLiveBeforeItsExpiry() {
    Ticket t = new Ticket(0, clock.epochSeconds() + 1);

    assertThat(t.hasExpired(clock)).isFalse();
  }

  @Test
  void expiryIsStrictSoATicketIsStillLiveAtItsExactExpiryInstant() {
    Ticket t = new Ticket(0, clock.epochSeconds());

    assertThat(t.hasExpired(clock)).as("expires == now is not expired (Rasa: expires < now)").isFalse();
    assertThat(t.hasExpiredAt(t.expires())).isFalse();
  }

  @Test
  void hasExpiredOneMillisecondAfterItsExpiry() {
    Ticket t = new Ticket(0, clock.epochSeconds());

    clock.advanceMillis(1);

    assertThat(t.hasExpired(clock)).isTrue();
  }

  @Test
  void hasExpiredAtComparesEpochSeconds() {
    Ticket t = new Ticket(3, 100.5);

    assertThat(t.hasExpiredAt(100.4)).isFalse();
    assertThat(t.hasExpiredAt(100.5)).isFalse();
    assertThat(t.hasExpiredAt(100.500001)).isTrue();
  }

  @Test
  void fractionalExpiryIsJudgedAtMillisecondPrecisionOfTheClock() {
    Clock at = Clock.fixed(Instant.ofEpochMilli(100_500), ZoneOffset.UTC);

    assertThat(new Ticket(0, 100.4999).hasExpired(at)).isTrue();
    assertThat(new Ticket(0, 100.5).hasExpired(at)).isFalse();
  }

  @Test
  void systemClockFormJudgesByTheCurrentTime() {
    double now = System.currentTimeMillis() / 1000.0;

    assertThat(new Ticket(0, now - 3600).hasExpired()).isTrue();
    assertThat(new Ticket(0, now + 3600).hasExpired()).isFalse();
  }

  @Test
  void withExpiresKeepsTheNumberAndLeavesTheOriginalUnchanged() {
    Ticket t = new Ticket(4, 10);

    Ticket later = t.withExpires(20);

    assertThat(later).isEqualTo(new Ticket(4, 20));
    assertThat(t.expires()).isEqualTo(10);
  }

  @Test
  void isAValue() {
    assertThat(new Ticket(1, 2.5)).isEqualTo(new Ticket(1, 2.5)).hasSameHashCodeAs(new Ticket(1, 2.5));
    assertThat(new Ticket(1, 2.5)).isNotEqualTo(new Ticket(2, 2.5)).isNotEqualTo(new Ticket(1, 2.6));
  }

  @Test
  void zeroIsAValidNumber() {
    assertThat(new Ticket(0, 1).number()).isZero();
  }

  @Test
  void rejectsNegativeNumbers() {
    assertThatThrownBy(() -> new Ticket(-1, 1))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("-1");
  }

  @Test
  void rejectsNonFiniteExpiry() {
    assertThatThrownBy(() -> new Ticket(1, Double.NaN)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Ticket(1, Double.POSITIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new Ticket(1, Double.NEGATIVE_INFINITY)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void epochSecondsIsTheClockInFractionalSeconds() {
    clock.set(Instant.ofEpochMilli(1_234_567));

    assertThat(Ticket.epochSeconds(clock)).isEqualTo(1234.567);
  }

  @Test
  void aTicketIssuedForALifetimeExpiresExactlyAfterIt() {
    Ticket t = new Ticket(0, clock.epochSeconds() + Duration.ofSeconds(5).toMillis() / 1000.0);

    clock.advance(Duration.ofSeconds(5));
    assertThat(t.hasExpired(clock)).isFalse();

    clock.advanceMillis(1);
    assertThat(t.hasExpired(clock)).isTrue();
  }
}
