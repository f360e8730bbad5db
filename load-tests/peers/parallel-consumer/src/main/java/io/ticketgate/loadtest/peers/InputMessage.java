package io.ticketgate.loadtest.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import java.io.IOException;

/**
 * One input record as the load test produces it: key = conversation, value = Rasa webhook JSON
 * {@code {"sender", "message": "seq=<n>", "metadata": {"seq": n, ...}}}.
 *
 * @param conversation the record key, or the JSON's sender when the key is missing
 * @param seq metadata.seq, else the n of a "seq=n" text, else -1
 * @param text the message text
 * @param metadata the metadata object, passed on to the bot unchanged
 */
record InputMessage(String conversation, long seq, String text, JsonNode metadata) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads a record; a value that is not such JSON is an error naming the record. */
  static InputMessage parse(String key, String value, String where) {
    JsonNode json;
    try {
      json = JSON.readTree(value == null ? "" : value);
    } catch (IOException e) {
      throw new IllegalArgumentException("record " + where + " is not JSON: " + e.getMessage(), e);
    }
    if (json == null || !json.isObject()) {
      throw new IllegalArgumentException("record " + where + " is not a JSON object: " + value);
    }
    String conversation = key != null ? key : json.path("sender").asText(null);
    if (conversation == null) {
      throw new IllegalArgumentException("record " + where + " has neither a key nor a sender");
    }
    String text = json.path("message").asText("");
    JsonNode metadata = json.has("metadata") ? json.get("metadata") : NullNode.getInstance();
    long seq = metadata.path("seq").asLong(seqOfText(text));
    return new InputMessage(conversation, seq, text, metadata);
  }

  private static long seqOfText(String text) {
    if (text.startsWith("seq=")) {
      try {
        return Long.parseLong(text.substring(4).trim());
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }
}
