package io.ticketgate.gateway;

import static io.ticketgate.gateway.PipelineScenarios.KAFKA;
import static io.ticketgate.gateway.PipelineScenarios.config;
import static io.ticketgate.gateway.PipelineScenarios.lockStore;
import static io.ticketgate.gateway.PipelineScenarios.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.testing.PrometheusText;
import io.ticketgate.gateway.testing.StubBot;
import io.ticketgate.store.testing.RedisServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A bot's fencing refusal (HTTP 409: "I already accepted a higher ticket of this conversation") means
 * this replica lost the turn, not that the message is bad: the gateway takes a new ticket and
 * dispatches again, keeping the conversation's order, and dead-letters nothing.
 */
class FencingIT {

  private static RedisServer redis;
  private StubBot bot;

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.builder().start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @AfterEach
  void closeBot() {
    if (bot != null) {
      bot.close();
    }
  }

  @Test
  void aFencedDispatchIsRetriedWithANewTicketInOrderAndNeverDeadLettered() throws Exception {
    // The first call of each conversation is refused as fenced; the records behind it are already
    // queued with tickets of their own, and must neither overtake it nor wait for it for ever.
    bot = StubBot.start(StubBot.Behaviour.echo().withRandomLatency(Duration.ZERO, Duration.ofMillis(5))
        .failingFirst(1, 409));
    String in = KAFKA.newTopic("in", 2);
    String out = KAFKA.newTopic("out", 1);
    GatewayConfig config = config(in, out, KAFKA.newTopic("dlq", 1), bot, lockStore("concurrent_redis", redis));
    int conversations = 6;
    int messages = 5;
    int total = produce(in, "fenced", conversations, messages);

    try (Gateway gateway = Gateway.start(config)) {
      List<ConsumerRecord<String, String>> replies = KAFKA.consumeAll(out, total, Duration.ofSeconds(90));

      Map<String, List<String>> replied = new LinkedHashMap<>();
      replies.forEach(r -> replied.computeIfAbsent(r.key(), k -> new java.util.ArrayList<>()).add(r.value()));
      assertThat(replied).hasSize(conversations).allSatisfy((c, values) -> assertThat(values)
          .as("replies of %s in order, each once", c)
          .hasSize(messages)
          .satisfies(v -> IntStream.range(0, messages).forEach(i ->
              assertThat(v.get(i)).contains("echo: " + c + " says " + (i + 1)))));
      assertThat(bot.textsByConversation()).allSatisfy((c, texts) -> {
        List<String> expected = new java.util.ArrayList<>();
        expected.add(c + " says 1"); // refused
        IntStream.rangeClosed(1, messages).forEach(m -> expected.add(c + " says " + m));
        assertThat(texts).containsExactlyElementsOf(expected);
      });
      assertThat(bot.overlaps()).isEmpty();
      // The retry carried a new, higher ticket than the refused call.
      bot.dispatches().stream().filter(d -> d.text().endsWith(" says 1")).collect(
          java.util.stream.Collectors.groupingBy(StubBot.Dispatch::conversation)).forEach((c, calls) -> {
            assertThat(calls).hasSize(2);
            assertThat(calls.get(1).ticket()).as("ticket of the retry of %s", c).isGreaterThan(calls.get(0).ticket());
          });
      PrometheusText metrics = PrometheusText.parse(gateway.metrics().scrape());
      assertThat(metrics.value("ticketgate_messages_total", Map.of("outcome", "fenced"))).isEqualTo(conversations);
      assertThat(metrics.value("ticketgate_bot_dispatch_seconds_count", Map.of("outcome", "fenced")))
          .isEqualTo(conversations);
      assertThat(metrics.value("ticketgate_messages_total", Map.of("outcome", "dead_lettered"))).isZero();
      assertThat(metrics.value("ticketgate_messages_total", Map.of("outcome", "replied"))).isEqualTo(total);
    }
  }

  @Test
  void aBotThatFencesEveryTicketEndsInTheDeadLetterTopicAfterTheRetries() throws Exception {
    bot = StubBot.start(StubBot.Behaviour.status(409));
    String in = KAFKA.newTopic("in", 1);
    String dlq = KAFKA.newTopic("dlq", 1);
    GatewayConfig config = config(in, KAFKA.newTopic("out", 1), dlq, bot, lockStore("concurrent_redis", redis));
    produce(in, "always", 1, 2);

    try (Gateway gateway = Gateway.start(config)) {
      List<ConsumerRecord<String, byte[]>> dead = KAFKA.consumeAllBytes(dlq, 2, Duration.ofSeconds(90));
      assertThat(dead).allSatisfy(r -> assertThat(new String(
          r.headers().lastHeader(Headers.DEAD_LETTER_REASON).value(), StandardCharsets.UTF_8)).isEqualTo("bot_fenced"));
      int attempts = config.dispatch().retries() + 1;
      assertThat(bot.textsByConversation().get("always-0")).containsExactlyElementsOf(IntStream.range(0, 2 * attempts)
          .mapToObj(i -> "always-0 says " + (i / attempts + 1)).toList());
    }
  }
}
