package io.ticketgate.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * One produce/consume round trip, written once and run against each kind of Kafka the project
 * tests with, so a scenario that passes on the embedded broker is known to pass on a real one.
 * Subclasses say where Kafka is.
 */
abstract class KafkaRoundTripScenario {

  private static final int CONVERSATIONS = 5;
  private static final int MESSAGES_PER_CONVERSATION = 8;
  private static final int TOTAL = CONVERSATIONS * MESSAGES_PER_CONVERSATION;
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  /** The cluster under test. */
  protected abstract KafkaFixture kafka();

  /**
   * Keys, values, headers and per-key order survive the trip, and a consumer group's commits are
   * visible to Admin: what the gateway relies on. Both group protocols: the classic one and
   * KIP-848's broker-driven one, which the broker must enable by default.
   */
  @ParameterizedTest(name = "group.protocol={0}")
  @ValueSource(strings = {"classic", "consumer"})
  void roundTripWithConsumerGroup(String groupProtocol) throws Exception {
    KafkaFixture kafka = kafka();
    String topic = kafka.newTopic("round-trip", 3);

    try (KafkaProducer<String, String> producer = kafka.producer()) {
      for (int m = 0; m < MESSAGES_PER_CONVERSATION; m++) {
        for (int c = 0; c < CONVERSATIONS; c++) {
          ProducerRecord<String, String> record =
              new ProducerRecord<>(topic, "conv-" + c, "message " + m);
          record.headers().add("trace-id", ("t-" + c + "-" + m).getBytes(StandardCharsets.UTF_8));
          producer.send(record);
        }
      }
      producer.flush();
    }

    List<ConsumerRecord<String, String>> all = kafka.consumeAll(topic, TOTAL, TIMEOUT);
    assertThat(all).hasSize(TOTAL);
    assertPerKeyOrder(all);
    ConsumerRecord<String, String> first = all.getFirst();
    Header trace = first.headers().lastHeader("trace-id");
    assertThat(trace).as("header on %s", first).isNotNull();
    assertThat(new String(trace.value(), StandardCharsets.UTF_8))
        .isEqualTo("t-" + first.key().substring("conv-".length()) + "-0");

    String group = "round-trip-" + UUID.randomUUID();
    Map<TopicPartition, Long> consumedUpTo = new LinkedHashMap<>();
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    config.put(ConsumerConfig.GROUP_ID_CONFIG, group);
    config.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, groupProtocol);
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      int received = 0;
      long deadline = System.nanoTime() + TIMEOUT.toNanos();
      while (received < TOTAL && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(200))) {
          received++;
          consumedUpTo.put(
              new TopicPartition(record.topic(), record.partition()), record.offset() + 1);
        }
      }
      assertThat(received).as("records the group consumed").isEqualTo(TOTAL);
      consumer.commitSync(TIMEOUT);
    }

    assertThat(kafka.committedOffsets(group, topic)).isEqualTo(consumedUpTo);
    assertThat(consumedUpTo.values().stream().mapToLong(Long::longValue).sum()).isEqualTo(TOTAL);
  }

  private static void assertPerKeyOrder(List<ConsumerRecord<String, String>> records) {
    Map<String, List<String>> byKey = new LinkedHashMap<>();
    records.forEach(r -> byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r.value()));
    assertThat(byKey).hasSize(CONVERSATIONS);
    List<String> expected = new ArrayList<>();
    for (int m = 0; m < MESSAGES_PER_CONVERSATION; m++) {
      expected.add("message " + m);
    }
    byKey.forEach((key, values) -> assertThat(values).as("order of %s", key).isEqualTo(expected));
  }
}
