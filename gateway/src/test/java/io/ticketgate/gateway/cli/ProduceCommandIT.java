package io.ticketgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ticketgate.gateway.testing.KafkaFixture;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

/**
 * {@code ticketgate produce}, the compose stack's traffic generator, against the shared embedded
 * broker: Rasa-shaped messages keyed by conversation, in order within each conversation.
 */
class ProduceCommandIT {

  @Test
  void producesRasaShapedMessagesKeyedByConversationInOrder() throws Exception {
    KafkaFixture kafka = KafkaFixture.shared();
    String topic = kafka.newTopic("produce-cli", 3);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = Main.run(new String[] {"produce", "--bootstrap", kafka.bootstrapServers(), "--topic", topic,
          "--conversations", "3", "--messages", "4"}, o, e);
    }
    assertThat(exit).as("stderr: %s", err.toString(StandardCharsets.UTF_8)).isZero();
    assertThat(out.toString(StandardCharsets.UTF_8)).contains("produced 12 message(s) for 3 conversation(s)");

    List<ConsumerRecord<String, String>> records = kafka.consumeAll(topic, 12, Duration.ofSeconds(20));
    ObjectMapper json = new ObjectMapper();
    Map<String, List<String>> byConversation = new LinkedHashMap<>();
    for (ConsumerRecord<String, String> r : records) {
      JsonNode message = json.readTree(r.value());
      assertThat(message.path("sender").asText()).as("sender of %s", r.value()).isEqualTo(r.key());
      assertThat(message.path("metadata").isObject()).as("metadata of %s", r.value()).isTrue();
      byConversation.computeIfAbsent(r.key(), k -> new java.util.ArrayList<>()).add(message.path("message").asText());
    }
    assertThat(byConversation).hasSize(3);
    byConversation.values().forEach(texts -> assertThat(texts)
        .containsExactly("message 1 of 4", "message 2 of 4", "message 3 of 4", "message 4 of 4"));
  }
}
