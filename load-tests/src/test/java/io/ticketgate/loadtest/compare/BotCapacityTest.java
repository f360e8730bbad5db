package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The probe of the http bot: a real bot process on loopback, called by the probe's own client. */
class BotCapacityTest {

  @Test
  void countsTheAnswersOfABotProcessAndLeavesNoDispatchLogBehind(@TempDir Path logs) throws Exception {
    BotCapacity.Result r = BotCapacity.measure(2, 20, Duration.ofMillis(500), Duration.ofSeconds(1), logs);

    assertThat(r.latencyMillis()).isEqualTo(2);
    assertThat(r.callsAtOnce()).isEqualTo(20);
    // Each of 20 connections keeps a call open, so a second holds many answers; none may fail.
    assertThat(r.callsPerSecond()).isPositive();
    assertThat(r.failures()).isZero();
    assertThat(r.botCpuMicrosPerCall()).as("read from the bot's process").isPositive();
    assertThat(logs.resolve("bot-capacity-2ms.dispatches.tsv")).doesNotExist();
  }

  @Test
  void callsAtOnceAreBounded(@TempDir Path logs) {
    assertThatThrownBy(() -> BotCapacity.measure(0, 0, Duration.ZERO, Duration.ZERO, logs))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("callsAtOnce was 0");
    assertThatThrownBy(() -> BotCapacity.measure(0, BotCapacity.MAX_CALLS_AT_ONCE + 1, Duration.ZERO, Duration.ZERO,
        logs)).hasMessageContaining("at most").hasMessageContaining("1000");
  }
}
