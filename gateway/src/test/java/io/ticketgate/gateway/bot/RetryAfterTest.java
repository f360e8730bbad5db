package io.ticketgate.gateway.bot;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class RetryAfterTest {

  private static final Instant NOW = Instant.parse("2025-03-01T12:00:00Z");

  @Test
  void secondsAreTakenAsWritten() {
    assertThat(RetryAfter.parse("7", NOW)).isEqualTo(Duration.ofSeconds(7));
    assertThat(RetryAfter.parse(" 0 ", NOW)).isEqualTo(Duration.ZERO);
  }

  @Test
  void anHttpDateIsTheTimeLeftUntilIt() {
    assertThat(RetryAfter.parse("Sat, 01 Mar 2025 12:00:30 GMT", NOW)).isEqualTo(Duration.ofSeconds(30));
  }

  @Test
  void aDateInThePastMeansNow() {
    assertThat(RetryAfter.parse("Sat, 01 Mar 2025 11:00:00 GMT", NOW)).isEqualTo(Duration.ZERO);
  }

  @Test
  void anAbsentOrUnreadableHeaderLeavesTheBackoffInCharge() {
    assertThat(RetryAfter.parse(null, NOW)).isNull();
    assertThat(RetryAfter.parse("", NOW)).isNull();
    assertThat(RetryAfter.parse("-5", NOW)).isNull();
    assertThat(RetryAfter.parse("1.5", NOW)).isNull();
    assertThat(RetryAfter.parse("soon", NOW)).isNull();
  }

  @Test
  void anAbsurdNumberStillParses() {
    assertThat(RetryAfter.parse("99999999999999999999999", NOW)).isGreaterThan(Duration.ofDays(365));
  }
}
