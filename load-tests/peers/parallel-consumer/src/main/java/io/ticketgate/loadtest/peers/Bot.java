package io.ticketgate.loadtest.peers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/** The bot every compare arm calls: in-process (sleep, then one reply) or Rasa's REST webhook. */
interface Bot {

  /**
   * Hands one message to the bot and returns its replies' texts.
   *
   * @throws BotException when the bot did not answer with replies (the record is retried)
   */
  List<String> call(InputMessage message) throws InterruptedException;

  /** Sleeps, then answers "echo: " + the message, like the harness's recording bot. */
  static Bot inProcess(long latencyMillis) {
    return message -> {
      if (latencyMillis > 0) {
        Thread.sleep(latencyMillis);
      }
      return List.of("echo: " + message.text());
    };
  }

  /** POSTs Rasa's webhook JSON to {@code url} and reads the JSON array of replies it returns. */
  static Bot http(URI url) {
    return new HttpBot(url);
  }

  /** A bot call that failed; Parallel Consumer retries the record after its retry delay. */
  final class BotException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BotException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** Rasa's REST channel over java.net.http, one blocking call per record as a PC user would write it. */
  final class HttpBot implements Bot {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Duration TIMEOUT = Duration.ofSeconds(30);

    private final URI url;
    private final HttpClient client;

    HttpBot(URI url) {
      this.url = url;
      // HTTP/1.1: Rasa (and the harness's bot) speak nothing else, and an h2c upgrade attempt is waste.
      this.client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(10)).build();
    }

    @Override
    public List<String> call(InputMessage message) throws InterruptedException {
      ObjectNode body = JSON.createObjectNode();
      body.put("sender", message.conversation());
      body.put("message", message.text());
      body.set("metadata", message.metadata());
      HttpResponse<byte[]> response;
      try {
        HttpRequest request = HttpRequest.newBuilder(url).timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body))).build();
        response = client.send(request, HttpResponse.BodyHandlers.ofByteArray());
      } catch (IOException e) {
        throw new BotException("POST " + url + " for " + message.conversation() + " seq " + message.seq()
            + " failed: " + e, e);
      }
      String text = new String(response.body(), StandardCharsets.UTF_8);
      if (response.statusCode() / 100 != 2) {
        throw new BotException("POST " + url + " for " + message.conversation() + " seq " + message.seq()
            + " answered " + response.statusCode() + ": " + abbreviate(text), null);
      }
      try {
        JsonNode replies = JSON.readTree(text);
        if (!replies.isArray()) {
          throw new BotException("POST " + url + " answered " + abbreviate(text) + ", not a JSON array", null);
        }
        List<String> texts = new ArrayList<>(replies.size());
        for (JsonNode reply : replies) {
          // Rasa also sends images and buttons; they have no "text" and go out as their JSON.
          texts.add(reply.has("text") ? reply.path("text").asText() : reply.toString());
        }
        return texts;
      } catch (IOException e) {
        throw new BotException("POST " + url + " answered " + abbreviate(text) + ", not JSON: " + e.getMessage(), e);
      }
    }

    private static String abbreviate(String s) {
      return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }
  }
}
