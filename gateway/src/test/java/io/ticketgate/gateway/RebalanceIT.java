package io.ticketgate.gateway;

import static io.ticketgate.gateway.PipelineScenarios.KAFKA;
import static io.ticketgate.gateway.PipelineScenarios.config;
import static io.ticketgate.gateway.PipelineScenarios.lockStore;
import static io.ticketgate.gateway.PipelineScenarios.produce;
import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.testing.StubBot;
import io.ticketgate.store.testing.RedisServer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two gateways in one consumer group while partitions move between them: a second replica joins
 * mid-run, then the first leaves. No conversation is ever dispatched twice at once, nothing is
 * lost, and nobody waits for a ticket to expire: the lifetime is far longer than the test may take.
 */
class RebalanceIT {

  private static final Duration LIFETIME = Duration.ofMinutes(5);

  private static RedisServer redis;

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.builder().start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"concurrent_redis", "redis"})
  void partitionsMoveWithoutOverlapLossOrExpiryWaits(String store) throws Exception {
    try (StubBot bot = StubBot.start(StubBot.Behaviour.echo().withRandomLatency(Duration.ofMillis(2), Duration.ofMillis(15)))
        .fencing(store.equals("concurrent_redis"))) {
      String in = KAFKA.newTopic("in", 6);
      Map<String, Object> section = new LinkedHashMap<>(lockStore(store, redis));
      section.put("lock_lifetime", LIFETIME.toSeconds());
      GatewayConfig base = config(in, KAFKA.newTopic("out", 2), KAFKA.newTopic("dlq", 1), bot, section);
      DispatchSettings d = base.dispatch();
      GatewayConfig config = base.withDispatch(new DispatchSettings(d.maxInFlight(), d.retries(), d.retryBackoff(),
          d.retryBackoffMax(), null, d.lockMaxWait(), d.shutdownTimeout(), d.revocationTimeout(), d.commitInterval()));
      int conversations = 30;
      int messages = 20;
      int total = produce(in, "rb", conversations, messages);

      Gateway first = Gateway.start(config);
      Gateway second = null;
      try {
        assertThat(bot.awaitDispatches(total / 4, Duration.ofSeconds(60))).isTrue();
        second = Gateway.start(config);
        awaitAssigned(second);
        assertThat(bot.awaitDispatches(total / 2, Duration.ofSeconds(60))).isTrue();
        first.stop();
        // Well under the ticket lifetime: had anyone waited for an expired ticket, this would time out.
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!allSeen(bot, conversations, messages) && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
      } finally {
        first.close();
        if (second != null) {
          second.close();
        }
      }

      assertThat(bot.overlaps()).as("overlapping dispatches of one conversation").isEmpty();
      // Both moves are graceful: nothing answered may be dispatched again.
      assertThat(GracefulMovesIT.duplicates(bot)).as("messages dispatched more than once").isEmpty();
      assertThat(bot.orderViolations()).as("dispatch order per conversation: %s", bot.textsByConversation()).isEmpty();
      assertThat(allSeen(bot, conversations, messages)).as("every message dispatched at least once: %s",
          bot.textsByConversation()).isTrue();
    }
  }

  private static boolean allSeen(StubBot bot, int conversations, int messages) {
    Map<String, List<String>> texts = bot.textsByConversation();
    for (int c = 0; c < conversations; c++) {
      String id = "rb-" + c;
      List<String> seen = texts.getOrDefault(id, List.of());
      TreeSet<String> expected = new TreeSet<>(IntStream.rangeClosed(1, messages).mapToObj(m -> id + " says " + m).toList());
      if (!seen.containsAll(expected)) {
        return false;
      }
    }
    return true;
  }

  private static void awaitAssigned(Gateway g) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (g.pipeline().assignment().isEmpty() && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(g.pipeline().assignment()).as("second replica got partitions").isNotEmpty();
  }
}
