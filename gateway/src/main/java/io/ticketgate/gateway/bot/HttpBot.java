package io.ticketgate.gateway.bot;

import com.fasterxml.jackson.databind.JsonNode;
import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.config.BotSettings;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Any bot behind an HTTP endpoint ({@code bot.type: http}).
 *
 * <p>Each message is POSTed to {@code bot.url} as
 * <pre>{@code
 * {"conversation_id": "c1", "text": "hi", "metadata": {...}, "ticket": 7,
 *  "source": {"topic": "in", "partition": 0, "offset": 42}, "attempt": 1}
 * }</pre>
 * with the ticket also in the {@value BotHandlers#TICKET_HEADER} header. The answer to a 2xx may be
 * a JSON array (one reply per element, each as compact JSON), a JSON object (one reply), or an empty
 * body or 204 (no reply). Anything else is a permanent {@code bot_unparseable_response}. Failures
 * are classified as documented on {@link BotHandlers}.
 */
public final class HttpBot extends JsonHttpBot {

  /**
   * @param settings the {@code bot:} section; {@code url} is required
   * @throws IllegalArgumentException naming the setting when the URL is missing or unusable, or the
   *     timeout or a header is
   */
  public HttpBot(BotSettings settings) {
    super(new BotHttpClient("http", requireUrl(settings.url()), settings.timeout(), settings.headers(),
        settings.fencingStatus(), settings.http2()));
  }

  private static URI requireUrl(URI url) {
    if (url == null) {
      throw new IllegalArgumentException(
          "bot.url is required when bot.type is http: the full URL each message is POSTed to");
    }
    return url;
  }

  /** The envelope POSTed for one message. */
  @Override
  Map<String, Object> requestBody(BotRequest request) {
    Map<String, Object> source = new LinkedHashMap<>();
    source.put("topic", request.source().topic());
    source.put("partition", request.source().partition());
    source.put("offset", request.source().offset());
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("conversation_id", request.conversationId());
    body.put("text", request.text());
    body.put("metadata", request.metadata());
    body.put("ticket", request.ticket());
    body.put("source", source);
    body.put("attempt", request.attempt());
    return body;
  }

  @Override
  List<BotReply> replies(BotHttpClient.Answer answer, BotRequest request) throws BotException {
    if (answer.status() == 204 || !answer.hasContent()) {
      return List.of();
    }
    String expected = "a JSON array or object";
    JsonNode root = json(answer, request, expected);
    if (root.isObject()) {
      return List.of(BotJson.reply(root));
    }
    if (!root.isArray()) {
      throw http.unparseable(answer, request, expected, null);
    }
    List<BotReply> replies = new ArrayList<>(root.size());
    for (JsonNode element : root) {
      replies.add(BotJson.reply(element));
    }
    return replies;
  }
}
