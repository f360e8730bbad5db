package io.ticketgate.gateway;

import io.ticketgate.gateway.config.BotSettings;
import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.GatewayConfigs;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.config.MetricsSettings;
import io.ticketgate.gateway.testing.KafkaFixture;
import io.ticketgate.gateway.testing.StubBot;
import io.ticketgate.store.testing.RedisServer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

/** Building blocks for gateway integration tests: configurations, stores, and message scripts. */
final class PipelineScenarios {

  private PipelineScenarios() {}

  static final KafkaFixture KAFKA = KafkaFixture.shared();

  /** A configuration for one test: its own topics and group, the stub bot, metrics on a free port. */
  static GatewayConfig config(String input, String output, String dlq, StubBot bot, Map<String, Object> lockStore) {
    GatewayConfig d = GatewayConfigs.defaults();
    KafkaSettings k = d.kafka();
    return d.withKafka(new KafkaSettings(KAFKA.bootstrapServers(), "it-" + UUID.randomUUID(), List.of(input), output, dlq,
            k.conversationId(), k.maxMessageBytes(), Map.of(), Map.of()))
        .withLockStore(lockStore)
        .withBot(new BotSettings("rasa", bot.url(), Duration.ofSeconds(5), Map.of(), Map.of()))
        .withDispatch(fastRetries(d.dispatch()))
        .withMetrics(new MetricsSettings(true, "127.0.0.1", 0));
  }

  static DispatchSettings fastRetries(DispatchSettings d) {
    return new DispatchSettings(d.maxInFlight(), 3, Duration.ofMillis(20), Duration.ofMillis(100), d.lockLifetime(),
        d.lockMaxWait(), Duration.ofSeconds(20), Duration.ofSeconds(10), Duration.ofMillis(200));
  }

  static Map<String, Object> lockStore(String type, RedisServer redis) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", type);
    if (!type.equals("in_memory")) {
      s.put("host", redis.host());
      s.put("port", redis.port());
    }
    return s;
  }

  /** Produces {@code messages} numbered messages for each of {@code conversations}, interleaved. */
  static int produce(String topic, String prefix, int conversations, int messages) {
    try (KafkaProducer<String, String> producer = KAFKA.producer()) {
      for (int m = 1; m <= messages; m++) {
        for (int c = 0; c < conversations; c++) {
          String id = prefix + "-" + c;
          producer.send(new ProducerRecord<>(topic, id, "{\"message\": \"" + id + " says " + m + "\"}"));
        }
      }
      producer.flush();
    }
    return conversations * messages;
  }
}
