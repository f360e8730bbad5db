package io.ticketgate.gateway;

import static io.ticketgate.gateway.PipelineScenarios.KAFKA;
import static io.ticketgate.gateway.PipelineScenarios.config;
import static io.ticketgate.gateway.PipelineScenarios.lockStore;
import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.testing.StubBot;
import io.ticketgate.store.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Replicas join, leave and stop over many rounds while work is in flight, with either group
 * protocol. Every move is graceful, so the bot must see every message exactly once: no record
 * answered by one replica is dispatched again by the next owner of its partition, no conversation
 * overlaps, nothing is lost, and each conversation is dispatched in order.
 */
class GracefulMovesIT {

  private static final int CONVERSATIONS = 30;
  private static final int FIRST_BATCH = 20;
  /** Messages per conversation produced before each move, so every move has work in flight. */
  private static final int BATCH = 15;
  private static final int PARTITIONS = 6;
  private static final int ROUNDS = 6;
  /** Small, so a leaving replica's drain stays short; records beyond it wait in Kafka. */
  private static final int MAX_IN_FLIGHT = 120;

  private static RedisServer redis;

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.builder().start();
  }

  @AfterAll
  static void stopRedis() {
    redis.close();
  }

  @ParameterizedTest(name = "group.protocol={0}")
  @ValueSource(strings = {"classic", "consumer"})
  void joinsLeavesAndStopsNeverRedispatchAnAnsweredRecord(String groupProtocol) throws Exception {
    try (StubBot bot = StubBot.start(StubBot.Behaviour.echo().withRandomLatency(Duration.ofMillis(50), Duration.ofMillis(150)))) {
      String in = KAFKA.newTopic("in", PARTITIONS);
      Map<String, Object> section = new LinkedHashMap<>(lockStore("concurrent_redis", redis));
      // Far longer than the test: a turn served only because a ticket expired would show as a timeout.
      section.put("lock_lifetime", Duration.ofMinutes(5).toSeconds());
      GatewayConfig base = config(in, KAFKA.newTopic("out", 2), KAFKA.newTopic("dlq", 1), bot, section);
      KafkaSettings k = base.kafka();
      DispatchSettings d = base.dispatch();
      GatewayConfig config = base.withDispatch(new DispatchSettings(MAX_IN_FLIGHT, d.retries(), d.retryBackoff(),
          d.retryBackoffMax(), null, d.lockMaxWait(), d.shutdownTimeout(), d.revocationTimeout(), d.commitInterval()))
          .withKafka(new KafkaSettings(k.bootstrapServers(), k.groupId(), k.inputTopics(),
          k.outputTopic(), k.deadLetterTopic(), k.conversationId(), k.maxMessageBytes(),
          Map.of("group.protocol", groupProtocol), k.producer()));
      int produced = produce(in, 1, FIRST_BATCH);

      Deque<Gateway> replicas = new ArrayDeque<>();
      try {
        replicas.add(Gateway.start(config));
        for (int round = 1; round <= ROUNDS; round++) {
          // Each move starts from a settled group (every replica owns partitions) with a fresh batch
          // queued, of which only a little has been dispatched: there is always work in flight.
          awaitSettled(replicas);
          produced += produce(in, FIRST_BATCH + (round - 1) * BATCH + 1, BATCH);
          assertThat(bot.awaitDispatches(dispatched(bot) + CONVERSATIONS, Duration.ofSeconds(60)))
              .as("round %d: %d dispatched", round, dispatched(bot)).isTrue();
          if (round % 3 == 0 && replicas.size() > 1) {
            replicas.removeFirst().stop(); // the oldest leaves (SIGTERM's path)
          } else if (replicas.size() < 3) {
            replicas.add(Gateway.start(config)); // a replica joins
          } else {
            replicas.removeLast().stop(); // scale down
          }
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (dispatched(bot) < produced && System.nanoTime() < deadline) {
          Thread.sleep(20);
        }
      } finally {
        for (Gateway g : replicas) {
          g.close();
        }
      }

      assertThat(bot.overlaps()).as("overlapping dispatches of one conversation").isEmpty();
      assertThat(duplicates(bot)).as("messages dispatched more than once").isEmpty();
      assertThat(bot.orderViolations()).as("dispatch order per conversation").isEmpty();
      assertThat(dispatched(bot)).as("messages dispatched: %s", bot.textsByConversation()).isEqualTo(produced);
      // The count alone could hide a lost message behind a retried one: every message must be there.
      int perConversation = produced / CONVERSATIONS;
      for (int c = 0; c < CONVERSATIONS; c++) {
        String id = "gm-" + c;
        Set<String> expected = new HashSet<>();
        for (int m = 1; m <= perConversation; m++) {
          expected.add(id + " says " + m);
        }
        assertThat(new HashSet<>(bot.textsByConversation().getOrDefault(id, List.of())))
            .as("messages of %s the bot received", id).isEqualTo(expected);
      }
    }
  }

  /** Produces messages {@code from} to {@code from + count - 1} of every conversation, interleaved. */
  private static int produce(String topic, int from, int count) {
    try (KafkaProducer<String, String> producer = KAFKA.producer()) {
      for (int m = from; m < from + count; m++) {
        for (int c = 0; c < CONVERSATIONS; c++) {
          String id = "gm-" + c;
          producer.send(new ProducerRecord<>(topic, id, "{\"message\": \"" + id + " says " + m + "\"}"));
        }
      }
      producer.flush();
    }
    return CONVERSATIONS * count;
  }

  /** Waits until the replicas own every partition between them, each at least one. */
  private static void awaitSettled(Deque<Gateway> replicas) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < deadline) {
      int owned = 0;
      boolean eachOwns = true;
      for (Gateway g : replicas) {
        owned += g.pipeline().assignment().size();
        eachOwns &= !g.pipeline().assignment().isEmpty();
      }
      if (eachOwns && owned == PARTITIONS) {
        return;
      }
      Thread.sleep(20);
    }
    throw new AssertionError("the group did not settle within 60 s");
  }

  private static int dispatched(StubBot bot) {
    return bot.textsByConversation().values().stream().mapToInt(List::size).sum();
  }

  /**
   * Messages the bot accepted more than once as a first attempt: each is a redelivery. A retry of a
   * call that timed out carries the same ticket and a higher attempt number (the gateway's documented
   * at-least-once towards the bot), and a call the bot refused as fenced was not accepted; neither
   * counts.
   */
  static List<String> duplicates(StubBot bot) {
    Map<String, Long> firstAttempts = bot.dispatches().stream()
        .filter(d -> !d.fenced() && attempt(d) == 1)
        .collect(Collectors.groupingBy(d -> d.conversation() + ": " + d.text(), Collectors.counting()));
    return firstAttempts.entrySet().stream().filter(e -> e.getValue() > 1).map(Map.Entry::getKey).sorted().toList();
  }

  /** The attempt number Rasa's metadata carries ({@code metadata.ticketgate.attempt}). */
  private static int attempt(StubBot.Dispatch d) {
    if (d.metadata().get("ticketgate") instanceof Map<?, ?> tg && tg.get("attempt") instanceof Number n) {
      return n.intValue();
    }
    throw new AssertionError("a call without metadata.ticketgate.attempt: " + d.body());
  }
}
