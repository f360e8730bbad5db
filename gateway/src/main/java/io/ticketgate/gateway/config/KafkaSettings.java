package io.ticketgate.gateway.config;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code kafka:} section.
 *
 * @param bootstrapServers where the cluster is; default {@value #DEFAULT_BOOTSTRAP_SERVERS}
 * @param groupId the consumer group every replica joins; default {@value #DEFAULT_GROUP_ID}
 * @param inputTopics where user messages arrive; default {@value #DEFAULT_INPUT_TOPIC}
 * @param outputTopic where replies go; default {@value #DEFAULT_OUTPUT_TOPIC}
 * @param deadLetterTopic where messages that cannot be handled go, with the reason in headers;
 *     default {@value #DEFAULT_DEAD_LETTER_TOPIC}
 * @param conversationId where each record's conversation id is read from
 * @param maxMessageBytes records with a larger value are dead-lettered; default 1 MiB
 * @param consumer extra consumer properties (SASL, SSL, tuning), passed through unchanged
 * @param producer extra producer properties, passed through unchanged
 */
public record KafkaSettings(String bootstrapServers, String groupId, List<String> inputTopics, String outputTopic,
    String deadLetterTopic, ConversationIdSource conversationId, int maxMessageBytes,
    Map<String, String> consumer, Map<String, String> producer) {

  /** Default {@link #bootstrapServers()}. */
  public static final String DEFAULT_BOOTSTRAP_SERVERS = "localhost:9092";
  /** Default {@link #groupId()}. */
  public static final String DEFAULT_GROUP_ID = "ticketgate";
  /** Default input topic. */
  public static final String DEFAULT_INPUT_TOPIC = "user-messages";
  /** Default {@link #outputTopic()}. */
  public static final String DEFAULT_OUTPUT_TOPIC = "bot-replies";
  /** Default {@link #deadLetterTopic()}. */
  public static final String DEFAULT_DEAD_LETTER_TOPIC = "ticketgate-dead-letters";
  /** Default {@link #maxMessageBytes()}. */
  public static final int DEFAULT_MAX_MESSAGE_BYTES = 1 << 20;

  /** Validates and freezes the components. */
  public KafkaSettings {
    Objects.requireNonNull(bootstrapServers, "bootstrapServers");
    Objects.requireNonNull(groupId, "groupId");
    inputTopics = List.copyOf(inputTopics);
    Objects.requireNonNull(outputTopic, "outputTopic");
    Objects.requireNonNull(deadLetterTopic, "deadLetterTopic");
    Objects.requireNonNull(conversationId, "conversationId");
    consumer = Map.copyOf(consumer);
    producer = Map.copyOf(producer);
  }

  /**
   * Where a record's conversation id comes from.
   *
   * @param kind the record key, a field of the JSON value, or a header
   * @param name the JSON field or header name; unused for the key
   */
  public record ConversationIdSource(Kind kind, String name) {
    /** The places a conversation id can be read from. */
    public enum Kind {
      /** The record key (UTF-8); a JSON value's {@code sender} when the key is null. */
      KEY,
      /** A top-level field of the JSON value. */
      JSON_FIELD,
      /** A record header (UTF-8). */
      HEADER
    }

    /** The default: the record key. */
    public static ConversationIdSource key() {
      return new ConversationIdSource(Kind.KEY, null);
    }
  }
}
