package io.ticketgate.gateway.bot;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.TurnCheck;
import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Map;

/**
 * What the HTTP bots share: one message is one JSON POST, and the answer is JSON turned into
 * replies. Subclasses say what the request looks like and which answers they accept.
 */
abstract class JsonHttpBot implements BotHandler {

  final BotHttpClient http;

  JsonHttpBot(BotHttpClient http) {
    this.http = http;
  }

  /** Where messages are POSTed. */
  public URI url() {
    return http.url();
  }

  @Override
  public final List<BotReply> handle(BotRequest request) throws BotException {
    return handle(request, TurnCheck.HELD);
  }

  /** Checks {@code turn} on the connection's I/O thread, right before the request is written. */
  @Override
  public final List<BotReply> handle(BotRequest request, TurnCheck turn) throws BotException {
    byte[] body;
    try {
      body = BotJson.MAPPER.writeValueAsBytes(requestBody(request));
    } catch (JsonProcessingException e) {
      throw http.unencodable(request, e);
    }
    return replies(http.post(body, request, turn), request);
  }

  /** The JSON object POSTed for one message. */
  abstract Map<String, Object> requestBody(BotRequest request);

  /** The replies an answer carries. */
  abstract List<BotReply> replies(BotHttpClient.Answer answer, BotRequest request) throws BotException;

  /** The answer's body as JSON, or a permanent failure saying it is not what {@code expected} describes. */
  final JsonNode json(BotHttpClient.Answer answer, BotRequest request, String expected) throws BotException {
    JsonNode root;
    try {
      root = BotJson.MAPPER.readTree(answer.body());
    } catch (IOException e) {
      throw http.unparseable(answer, request, expected, e);
    }
    if (root == null) {
      throw http.unparseable(answer, request, expected, null);
    }
    return root;
  }

  /** Stops the HTTP client; see {@link BotHandlers} for how calls in progress end. */
  @Override
  public void close() {
    http.close();
  }

  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + http.url() + "]";
  }
}
