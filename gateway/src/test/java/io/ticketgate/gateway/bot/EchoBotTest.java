package io.ticketgate.gateway.bot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class EchoBotTest {

  private static BotRequest request(String conversation, String text) {
    return new BotRequest(conversation, text, Map.of(), 1, new BotRequest.SourceRecord("in", 0, 0), 1);
  }

  @Test
  void repliesWithTheTextPrefixed() throws Exception {
    assertThat(new EchoBot().handle(request("c1", "hello \"you\"\n")))
        .extracting(BotReply::asString)
        .containsExactly("{\"recipient_id\":\"c1\",\"text\":\"echo: hello \\\"you\\\"\\n\"}");
  }

  @Test
  void aFixedDelaySlowsEachMessage() throws Exception {
    EchoBot bot = new EchoBot(Map.of("delay", 0.1));
    long start = System.nanoTime();
    bot.handle(request("c1", "x"));
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(100));
    assertThat(bot.minDelay()).isEqualTo(Duration.ofMillis(100));
    assertThat(bot.maxDelay()).isEqualTo(Duration.ofMillis(100));
  }

  @Test
  void aRangeIsReadAsSecondsFromNumbersOrStrings() throws Exception {
    EchoBot bot = new EchoBot(Map.of("delay_min", "0.01", "delay_max", 0.03));
    assertThat(bot.minDelay()).isEqualTo(Duration.ofMillis(10));
    assertThat(bot.maxDelay()).isEqualTo(Duration.ofMillis(30));
    for (int i = 0; i < 5; i++) {
      long start = System.nanoTime();
      bot.handle(request("c1", "x"));
      assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(10));
    }
  }

  @Test
  void noDelayByDefault() {
    assertThat(new EchoBot(Map.of("type", "echo")).maxDelay()).isZero();
    assertThat(new EchoBot(null).maxDelay()).isZero();
  }

  @Test
  void badDelaysNameTheKey() {
    assertThatThrownBy(() -> new EchoBot(Map.of("delay", "soon")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bot.delay was 'soon' but it must be a number of seconds");
    assertThatThrownBy(() -> new EchoBot(Map.of("delay", -1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.delay was '-1'");
    assertThatThrownBy(() -> new EchoBot(Map.of("delay", 1, "delay_min", 0, "delay_max", 2)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.delay cannot be combined");
    assertThatThrownBy(() -> new EchoBot(Map.of("delay_min", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.delay_min needs bot.delay_max");
    assertThatThrownBy(() -> new EchoBot(Map.of("delay_max", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.delay_max needs bot.delay_min");
    assertThatThrownBy(() -> new EchoBot(Map.of("delay_min", 3, "delay_max", 1)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bot.delay_min was '3' but it must not exceed bot.delay_max '1'");
  }

  @Test
  void anInterruptedDelayIsARetryableFailure() {
    EchoBot bot = new EchoBot(Map.of("delay", 5));
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> bot.handle(request("c1", "x")))
          .isInstanceOfSatisfying(io.ticketgate.gateway.BotException.class, e -> {
            assertThat(e.isRetryable()).isTrue();
            assertThat(e.reason()).isEqualTo("bot_interrupted");
          });
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }
}
