package io.ticketgate.gateway.bot;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.config.BotSettings;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Rasa server reached through its REST channel ({@code bot.type: rasa}).
 *
 * <p>Each message is POSTed to {@code <url>/webhooks/rest/webhook} as
 * {@code {"sender": <conversation>, "message": <text>, "metadata": {...}}}. The metadata is the
 * message's own, plus a {@code ticketgate} object with {@code ticket}, {@code topic},
 * {@code partition}, {@code offset} and {@code attempt} (it replaces any {@code ticketgate} key the
 * message brought, so the fencing token a custom action reads is always the gateway's). The ticket
 * also travels in the {@value BotHandlers#TICKET_HEADER} header.
 *
 * <p>Rasa answers a JSON array of objects such as {@code {"recipient_id": "c1", "text": "Hi!"}};
 * each becomes one reply whose payload is that object as compact JSON, all fields kept. Any other
 * answer to a 2xx (an empty body, an object, invalid JSON) is a permanent
 * {@code bot_unparseable_response}: Rasa never sends one, so something else answered. Failures are
 * classified as documented on {@link BotHandlers}.
 */
public final class RasaBot extends JsonHttpBot {

  /** The REST channel's path under the server's base URL. */
  public static final String WEBHOOK_PATH = "/webhooks/rest/webhook";

  /**
   * @param settings the {@code bot:} section; {@code url} is the server's base URL, and a null one
   *     means {@value BotSettings#DEFAULT_RASA_URL}
   * @throws IllegalArgumentException naming the setting when the URL, timeout or a header is unusable
   */
  public RasaBot(BotSettings settings) {
    super(new BotHttpClient("rasa",
        webhookUrl(settings.url() == null ? URI.create(BotSettings.DEFAULT_RASA_URL) : settings.url()),
        settings.timeout(), settings.headers(), settings.fencingStatus(), settings.http2()));
  }

  /**
   * The webhook URL for a server's base URL: trailing slashes are dropped, the path prefix and query
   * are kept, and a URL that already ends in {@value #WEBHOOK_PATH} is used as it is.
   */
  public static URI webhookUrl(URI base) {
    String path = base.getRawPath() == null ? "" : base.getRawPath();
    while (path.endsWith("/")) {
      path = path.substring(0, path.length() - 1);
    }
    if (!path.endsWith(WEBHOOK_PATH)) {
      path = path + WEBHOOK_PATH;
    }
    String authority = base.getRawAuthority() == null ? "" : base.getRawAuthority();
    String query = base.getRawQuery() == null ? "" : "?" + base.getRawQuery();
    return URI.create(base.getScheme() + "://" + authority + path + query);
  }

  /** The JSON object Rasa's REST channel reads. */
  @Override
  Map<String, Object> requestBody(BotRequest request) {
    Map<String, Object> ticketgate = new LinkedHashMap<>();
    ticketgate.put("ticket", request.ticket());
    ticketgate.put("topic", request.source().topic());
    ticketgate.put("partition", request.source().partition());
    ticketgate.put("offset", request.source().offset());
    ticketgate.put("idempotency_key", request.source().idempotencyKey());
    ticketgate.put("attempt", request.attempt());
    Map<String, Object> metadata = new LinkedHashMap<>(request.metadata());
    metadata.put("ticketgate", ticketgate);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sender", request.conversationId());
    body.put("message", request.text());
    body.put("metadata", metadata);
    return body;
  }

  /**
   * Reads the answer as a stream, copying each object into its reply as it passes: no tree of the
   * answer is built only to be written out again.
   */
  @Override
  List<BotReply> replies(BotHttpClient.Answer answer, BotRequest request) throws BotException {
    String expected = "a JSON array of objects, as Rasa's REST channel sends";
    byte[] body = answer.body();
    if (body == null) {
      throw http.unparseable(answer, request, expected, null);
    }
    try (JsonParser parser = BotJson.MAPPER.createParser(body)) {
      if (parser.nextToken() != JsonToken.START_ARRAY) {
        throw http.unparseable(answer, request, expected, null);
      }
      List<BotReply> replies = new ArrayList<>();
      JsonToken token;
      while ((token = parser.nextToken()) == JsonToken.START_OBJECT) {
        replies.add(BotJson.reply(parser));
      }
      // An element that is not an object, a cut answer, or anything after the array.
      if (token != JsonToken.END_ARRAY || parser.nextToken() != null) {
        throw http.unparseable(answer, request, expected, null);
      }
      return replies;
    } catch (IOException e) {
      throw http.unparseable(answer, request, expected, e);
    }
  }
}
