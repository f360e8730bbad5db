package io.ticketgate.gateway;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * One reply of the bot, published as one record on the output topic. The payload is the record
 * value, normally a JSON object such as Rasa's {@code {"recipient_id": "c1", "text": "Hi!"}}.
 *
 * @param payload the record value; not copied, so do not change it afterwards
 */
public record BotReply(byte[] payload) {

  /** Validates the payload. */
  public BotReply {
    Objects.requireNonNull(payload, "payload");
  }

  /** A reply whose value is {@code json}, encoded as UTF-8. */
  public static BotReply json(String json) {
    return new BotReply(json.getBytes(StandardCharsets.UTF_8));
  }

  /** The payload decoded as UTF-8. */
  public String asString() {
    return new String(payload, StandardCharsets.UTF_8);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BotReply other && java.util.Arrays.equals(payload, other.payload);
  }

  @Override
  public int hashCode() {
    return java.util.Arrays.hashCode(payload);
  }

  @Override
  public String toString() {
    return "BotReply" + asString();
  }
}
