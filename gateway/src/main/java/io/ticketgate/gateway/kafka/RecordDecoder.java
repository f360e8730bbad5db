package io.ticketgate.gateway.kafka;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ticketgate.gateway.DeadLetterReasons;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.config.KafkaSettings.ConversationIdSource;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.Header;

/**
 * Turns a consumed record into a message for the bot, or says exactly why it cannot.
 *
 * <p>A value is JSON when it starts with <code>{</code> (after white space): Rasa's shape
 * {@code {"sender": ..., "message": ..., "metadata": {...}}}. Anything else is plain UTF-8 text. The
 * conversation id comes from the configured source. Stateless and thread-safe.
 */
final class RecordDecoder {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final ConversationIdSource idSource;
  private final int maxMessageBytes;

  RecordDecoder(KafkaSettings kafka) {
    this.idSource = kafka.conversationId();
    this.maxMessageBytes = kafka.maxMessageBytes();
  }

  /** What a record decoded to. */
  sealed interface Decoded permits Message, Rejected {}

  /** A message the bot can handle. */
  record Message(String conversationId, String text, Map<String, Object> metadata) implements Decoded {}

  /**
   * A record that goes to the dead-letter topic.
   *
   * @param reason machine-readable, low cardinality
   * @param detail for people
   */
  record Rejected(String reason, String detail) implements Decoded {}

  Decoded decode(ConsumerRecord<byte[], byte[]> record) {
    byte[] value = record.value();
    if (value == null) {
      return new Rejected(DeadLetterReasons.EMPTY_VALUE, "the record has no value (a tombstone?)");
    }
    if (value.length == 0) {
      return new Rejected(DeadLetterReasons.EMPTY_VALUE, "the record's value has zero bytes");
    }
    if (value.length > maxMessageBytes) {
      return new Rejected(DeadLetterReasons.TOO_LARGE, "the value has " + value.length + " bytes; the limit (kafka.max_message_bytes) is "
          + maxMessageBytes);
    }
    String text;
    try {
      text = strictUtf8(value);
    } catch (CharacterCodingException e) {
      return new Rejected(DeadLetterReasons.INVALID_UTF8, "the value is not valid UTF-8: " + e.getMessage());
    }
    if (text.isBlank()) {
      // Nothing a bot could answer, and nothing a person typed: a client sending keep-alives or a bug.
      return new Rejected(DeadLetterReasons.EMPTY_VALUE, "the value is only white space (" + value.length + " bytes)");
    }
    String sender = null;
    Map<String, Object> metadata = Map.of();
    Map<String, Object> json = null;
    if (looksLikeJson(text)) {
      // Straight into maps, one pass: a tree first and a conversion after cost a third of decoding.
      Object parsed;
      try {
        parsed = JSON.readValue(text, Object.class);
      } catch (JsonProcessingException e) {
        return new Rejected(DeadLetterReasons.MALFORMED_JSON, "the value starts like JSON but does not parse: "
            + e.getOriginalMessage());
      }
      if (!(parsed instanceof Map)) {
        return new Rejected(DeadLetterReasons.MALFORMED_JSON, "the JSON value must be an object with a \"message\" field");
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> object = (Map<String, Object>) parsed;
      json = object;
      if (!(json.get("message") instanceof String message)) {
        return new Rejected(DeadLetterReasons.MALFORMED_JSON, "the JSON object has no string \"message\" field");
      }
      text = message;
      sender = scalar(json.get("sender"));
      Object meta = json.get("metadata");
      if (meta != null) {
        if (!(meta instanceof Map)) {
          return new Rejected(DeadLetterReasons.MALFORMED_JSON, "\"metadata\" must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) meta;
        metadata = m;
      }
    }
    String id = switch (idSource.kind()) {
      case KEY -> record.key() != null ? utf8OrNull(record.key()) : sender;
      case JSON_FIELD -> json == null ? null : scalar(json.get(idSource.name()));
      case HEADER -> {
        Header h = record.headers().lastHeader(idSource.name());
        yield h == null || h.value() == null ? null : utf8OrNull(h.value());
      }
    };
    if (id == null || id.isEmpty()) {
      return new Rejected(DeadLetterReasons.NO_CONVERSATION_ID, "no conversation id in " + switch (idSource.kind()) {
        case KEY -> "the record key (nor a JSON \"sender\")";
        case JSON_FIELD -> "the JSON field \"" + idSource.name() + "\"";
        case HEADER -> "the header '" + idSource.name() + "'";
      });
    }
    return new Message(id, text, metadata);
  }

  /** A JSON string, number or boolean as text, as a tree's {@code asText} gives it; null for anything else. */
  private static String scalar(Object value) {
    return value instanceof String || value instanceof Number || value instanceof Boolean ? value.toString() : null;
  }

  private static boolean looksLikeJson(String text) {
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (!Character.isWhitespace(c)) {
        return c == '{';
      }
    }
    return false;
  }

  private static String strictUtf8(byte[] bytes) throws CharacterCodingException {
    CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
        .onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    CharBuffer chars = decoder.decode(ByteBuffer.wrap(bytes));
    return chars.toString();
  }

  private static String utf8OrNull(byte[] bytes) {
    try {
      return strictUtf8(bytes);
    } catch (CharacterCodingException e) {
      return null; // reported as a missing conversation id, which is what it amounts to
    }
  }
}
