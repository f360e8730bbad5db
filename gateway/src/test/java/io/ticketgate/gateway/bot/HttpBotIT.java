package io.ticketgate.gateway.bot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.config.BotSettings;
import io.ticketgate.gateway.testing.StubBot;
import io.ticketgate.gateway.testing.StubBot.Behaviour;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@link HttpBot} against a real HTTP server. */
class HttpBotIT {

  private StubBot stub;
  private HttpBot bot;

  @AfterEach
  void tearDown() {
    if (bot != null) {
      bot.close();
    }
    if (stub != null) {
      stub.close();
    }
  }

  private HttpBot http(URI url, Duration timeout, Map<String, String> headers) {
    return new HttpBot(new BotSettings("http", url, timeout, headers, Map.of()));
  }

  private void start(Behaviour behaviour) throws IOException {
    stub = StubBot.start(behaviour);
    bot = http(stub.httpUrl(), Duration.ofSeconds(5), Map.of());
  }

  @Test
  void postsTheEnvelopeWithTheTicketHeaderAndExtraHeaders() throws Exception {
    stub = StubBot.start(Behaviour.empty());
    bot = http(stub.httpUrl(), Duration.ofSeconds(5), Map.of("X-Api-Key", "k1", "Accept", "application/x.bot+json"));

    bot.handle(RasaBotIT.request());

    StubBot.Dispatch d = stub.dispatches().get(0);
    assertThat(d.body()).isEqualTo("{\"conversation_id\":\"c1\",\"text\":\"hi \\\"there\\\"\","
        + "\"metadata\":{\"channel\":\"web\",\"nested\":{\"list\":[1,\"two\"]}},\"ticket\":7,"
        + "\"source\":{\"topic\":\"in\",\"partition\":2,\"offset\":42},\"attempt\":3}");
    assertThat(d.headers())
        .containsEntry("x-ticketgate-ticket", "7")
        .containsEntry("x-api-key", "k1")
        .containsEntry("accept", "application/x.bot+json")
        .containsEntry("content-type", "application/json");
    assertThat(d.ticket()).isEqualTo(7);
  }

  @Test
  void aTurnLostAsTheRequestIsAboutToBeWrittenSendsNothingAndSaysSo() throws Exception {
    start(Behaviour.empty());

    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(RasaBotIT.request(), () -> true));

    assertThat(e.isTurnLost()).isTrue();
    assertThat(e.isFenced()).as("handled as a fenced refusal: a new ticket, or the record dropped").isTrue();
    assertThat(e.indicatesOutage()).isFalse();
    assertThat(e.reason()).isEqualTo(BotException.TURN_LOST);
    assertThat(e.getMessage()).contains("ticket 7").contains("nothing was sent");
    bot.handle(RasaBotIT.request(), () -> false);
    assertThat(stub.dispatches()).as("only the call whose turn was held reached the bot").hasSize(1);
  }

  @Test
  void anArrayGivesOneReplyPerElement() throws Exception {
    start(Behaviour.fixed(200, "[{\"text\": \"a\"}, \"plain\", 3, [1, 2]]"));

    assertThat(bot.handle(RasaBotIT.request())).extracting(BotReply::asString)
        .containsExactly("{\"text\":\"a\"}", "\"plain\"", "3", "[1,2]");
  }

  @Test
  void anObjectGivesOneReply() throws Exception {
    start(Behaviour.fixed(200, " {\"text\": \"only\", \"n\": 1.50} "));

    assertThat(bot.handle(RasaBotIT.request())).extracting(BotReply::asString)
        .containsExactly("{\"text\":\"only\",\"n\":1.50}");
  }

  @Test
  void anEmptyArrayAnEmptyBodyAnd204GiveNoReplies() throws Exception {
    start(Behaviour.empty());
    assertThat(bot.handle(RasaBotIT.request())).isEmpty();
    stub.behaviour(Behaviour.fixed(200, ""));
    assertThat(bot.handle(RasaBotIT.request())).isEmpty();
    stub.behaviour(Behaviour.fixed(200, " \n"));
    assertThat(bot.handle(RasaBotIT.request())).isEmpty();
    stub.behaviour(Behaviour.status(204));
    assertThat(bot.handle(RasaBotIT.request())).isEmpty();
    assertThat(stub.dispatches()).hasSize(4);
  }

  @ParameterizedTest
  @ValueSource(strings = {"\"a string\"", "42", "true", "null", "not json", "{\"a\": 1} {\"b\": 2}", "[1,"})
  void anythingElseIsUnparseable(String body) throws Exception {
    start(Behaviour.fixed(200, body));

    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(RasaBotIT.request()));

    assertThat(e.reason()).isEqualTo("bot_unparseable_response");
    assertThat(e.isRetryable()).isFalse();
    assertThat(e.getMessage()).contains(stub.httpUrl().toString()).contains("HTTP 200")
        .contains("conversation 'c1'").contains("ticket 7").contains(body);
  }

  @ParameterizedTest(name = "HTTP {0} -> {1}, retryable={2}")
  @CsvSource({
      "500, bot_http_500, true",
      "502, bot_http_502, true",
      "503, bot_http_503, true",
      "429, bot_http_429, true",
      "404, bot_http_404, false",
      "400, bot_http_400, false",
      "422, bot_http_422, false",
  })
  void classifiesStatusesTheSameWayAsRasa(int status, String reason, boolean retryable) throws Exception {
    start(Behaviour.status(status));

    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(RasaBotIT.request()));

    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.isRetryable()).isEqualTo(retryable);
    assertThat(e.getMessage()).contains(stub.httpUrl().toString()).contains("HTTP " + status)
        .contains("conversation 'c1'").contains("ticket 7");
  }

  @Test
  void refusedAndTimedOutCallsAreRetryable() throws Exception {
    int port;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = closed.getLocalPort();
    }
    try (HttpBot refused = http(URI.create("http://127.0.0.1:" + port + "/bot"), Duration.ofSeconds(2), Map.of())) {
      BotException e = catchThrowableOfType(BotException.class, () -> refused.handle(RasaBotIT.request()));
      assertThat(e.reason()).isEqualTo("bot_unreachable");
      assertThat(e.isRetryable()).isTrue();
    }

    stub = StubBot.start(Behaviour.sleeping(Duration.ofSeconds(3)));
    bot = http(stub.httpUrl(), Duration.ofMillis(250), Map.of());
    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(RasaBotIT.request()));
    assertThat(e.reason()).isEqualTo("bot_timeout");
    assertThat(e.isRetryable()).isTrue();
  }
}
