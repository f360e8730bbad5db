package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.config.KafkaSettings.ConversationIdSource;
import io.ticketgate.gateway.kafka.RecordDecoder.Message;
import io.ticketgate.gateway.kafka.RecordDecoder.Rejected;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.junit.jupiter.api.Test;

class RecordDecoderTest {

  private static RecordDecoder decoder(ConversationIdSource source, int maxBytes) {
    return new RecordDecoder(new KafkaSettings("b:9092", "g", List.of("in"), "out", "dlq", source, maxBytes,
        Map.of(), Map.of()));
  }

  private static final RecordDecoder BY_KEY = decoder(ConversationIdSource.key(), 1000);

  private static ConsumerRecord<byte[], byte[]> record(String key, byte[] value) {
    return new ConsumerRecord<>("in", 0, 7, key == null ? null : key.getBytes(StandardCharsets.UTF_8), value);
  }

  private static ConsumerRecord<byte[], byte[]> record(String key, String value) {
    return record(key, value.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void plainTextWithKey() {
    assertThat(BY_KEY.decode(record("c1", "hello there"))).isEqualTo(new Message("c1", "hello there", Map.of()));
  }

  @Test
  void rasaJsonWithMetadata() {
    var d = BY_KEY.decode(record("c1", "{\"sender\": \"ignored-when-key-set\", \"message\": \"hi\", \"metadata\": {\"a\": [1, 2]}}"));
    assertThat(d).isEqualTo(new Message("c1", "hi", Map.of("a", List.of(1, 2))));
  }

  @Test
  void senderStandsInForAMissingKey() {
    assertThat(BY_KEY.decode(record(null, "{\"sender\": \"s9\", \"message\": \"hi\"}"))).isEqualTo(new Message("s9", "hi", Map.of()));
  }

  @Test
  void everyRejectionHasItsReason() {
    assertThat(BY_KEY.decode(record("c1", (byte[]) null))).isInstanceOf(Rejected.class)
        .extracting("reason").isEqualTo("empty_value");
    assertThat(decoder(ConversationIdSource.key(), 4).decode(record("c1", "12345")))
        .extracting("reason").isEqualTo("too_large");
    assertThat(BY_KEY.decode(record("c1", new byte[] {'h', (byte) 0xC3, (byte) 0x28})))
        .extracting("reason").isEqualTo("invalid_utf8");
    assertThat(BY_KEY.decode(record("c1", "{\"message\": ")))
        .extracting("reason").isEqualTo("malformed_json");
    assertThat(BY_KEY.decode(record("c1", "{\"text\": \"no message field\"}")))
        .extracting("reason").isEqualTo("malformed_json");
    assertThat(BY_KEY.decode(record("c1", "{\"message\": \"x\", \"metadata\": 3}")))
        .extracting("reason").isEqualTo("malformed_json");
    assertThat(BY_KEY.decode(record(null, "plain text, no key")))
        .extracting("reason").isEqualTo("no_conversation_id");
  }

  @Test
  void zeroBytesAndWhiteSpaceAreEmptyValues() {
    assertThat(BY_KEY.decode(record("c1", new byte[0]))).isInstanceOf(Rejected.class)
        .extracting("reason").isEqualTo("empty_value");
    assertThat(BY_KEY.decode(record("c1", " \n\t "))).isInstanceOf(Rejected.class)
        .extracting("reason").isEqualTo("empty_value");
    assertThat(BY_KEY.decode(record("c1", " x "))).isEqualTo(new Message("c1", " x ", Map.of()));
  }

  @Test
  void conversationIdFromAJsonField() {
    RecordDecoder d = decoder(new ConversationIdSource(ConversationIdSource.Kind.JSON_FIELD, "user"), 1000);
    assertThat(d.decode(record("key", "{\"user\": 42, \"message\": \"hi\"}"))).isEqualTo(new Message("42", "hi", Map.of()));
    assertThat(d.decode(record("key", "plain"))).extracting("reason").isEqualTo("no_conversation_id");
  }

  @Test
  void conversationIdFromAHeader() {
    RecordDecoder d = decoder(new ConversationIdSource(ConversationIdSource.Kind.HEADER, "conv"), 1000);
    ConsumerRecord<byte[], byte[]> r = record("key", "hi");
    assertThat(d.decode(r)).extracting("reason").isEqualTo("no_conversation_id");
    r.headers().add(new RecordHeader("conv", "h1".getBytes(StandardCharsets.UTF_8)));
    assertThat(d.decode(r)).isEqualTo(new Message("h1", "hi", Map.of()));
  }
}
