package io.ticketgate.gateway;

import java.util.Map;
import java.util.Objects;

/**
 * One user message, as handed to a {@link BotHandler}.
 *
 * @param conversationId the conversation (Rasa's {@code sender})
 * @param text the user's message
 * @param metadata the message's metadata as parsed JSON (maps, lists, strings, numbers, booleans,
 *     nulls); empty when there is none
 * @param ticket the conversation's ticket number for this message: a fencing token, so a bot can
 *     refuse work carrying a lower number than one it already accepted for the conversation
 * @param source where the message came from in Kafka
 * @param attempt 1 for the first delivery to the bot, higher for retries
 */
public record BotRequest(String conversationId, String text, Map<String, Object> metadata, int ticket,
    SourceRecord source, int attempt) {

  /** Validates and freezes the components. */
  public BotRequest {
    Objects.requireNonNull(conversationId, "conversationId");
    Objects.requireNonNull(text, "text");
    Objects.requireNonNull(source, "source");
    metadata = metadata == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(metadata));
  }

  /**
   * Coordinates of a consumed record.
   *
   * @param topic the input topic
   * @param partition its partition
   * @param offset the record's offset
   */
  public record SourceRecord(String topic, int partition, long offset) {
    /**
     * The record's idempotency key, {@code <topic>-<partition>-<offset>}: the same for every
     * delivery of the record, different for every other record. A bot that remembers the keys it
     * answered can refuse a second delivery (the gateway sends a record again only after a crash
     * between the bot's answer and the release of the record's turn).
     */
    public String idempotencyKey() {
      return topic + "-" + partition + "-" + offset;
    }

    @Override
    public String toString() {
      return topic + "-" + partition + "@" + offset;
    }
  }
}
