package io.ticketgate.loadtest.compare;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The plain arm's client of Rasa's REST webhook: POST {@code {"sender","message","metadata"}},
 * read the JSON array of replies. What a team without a gateway would write with the JDK's client;
 * no ticket, since a plain consumer has none.
 */
final class RasaClient {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(10)).build();
  private final URI webhook;

  RasaClient(URI base) {
    String b = base.toString();
    this.webhook = URI.create((b.endsWith("/") ? b.substring(0, b.length() - 1) : b) + "/webhooks/rest/webhook");
  }

  /**
   * Sends one message and returns the texts of the replies.
   *
   * @throws IOException when the bot cannot be reached or answers anything but 200 with an array
   */
  List<String> send(String sender, String message, long seq)
      throws IOException, InterruptedException {
    byte[] body = JSON.writeValueAsBytes(Map.of("sender", sender, "message", message,
        "metadata", Map.of("seq", seq)));
    HttpRequest request = HttpRequest.newBuilder(webhook).timeout(Duration.ofSeconds(30))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
    HttpResponse<byte[]> response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
    if (response.statusCode() != 200) {
      throw new IOException(webhook + " answered " + response.statusCode() + " for " + sender + " seq " + seq);
    }
    JsonNode root = JSON.readTree(response.body());
    if (!root.isArray()) {
      throw new IOException(webhook + " answered something other than a JSON array for " + sender + " seq " + seq);
    }
    List<String> texts = new ArrayList<>();
    root.forEach(r -> texts.add(r.path("text").asText("")));
    return texts;
  }
}
