package io.ticketgate.gateway.bot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.config.BotSettings;
import io.ticketgate.gateway.testing.StubBot;
import io.ticketgate.gateway.testing.StubBot.Behaviour;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** {@link RasaBot} against a real HTTP server speaking Rasa's REST channel. */
class RasaBotIT {

  private StubBot stub;
  private RasaBot bot;

  @AfterEach
  void tearDown() {
    if (bot != null) {
      bot.close();
    }
    if (stub != null) {
      stub.close();
    }
  }

  static BotRequest request() {
    Map<String, Object> metadata = new LinkedHashMap<>();
    metadata.put("channel", "web");
    metadata.put("nested", Map.of("list", List.of(1, "two")));
    return new BotRequest("c1", "hi \"there\"", metadata, 7, new BotRequest.SourceRecord("in", 2, 42L), 3);
  }

  private RasaBot rasa(URI url, Duration timeout, Map<String, String> headers) {
    return new RasaBot(new BotSettings("rasa", url, timeout, headers, Map.of()));
  }

  private void start(Behaviour behaviour) throws IOException {
    stub = StubBot.start(behaviour);
    bot = rasa(stub.url(), Duration.ofSeconds(5), Map.of());
  }

  @Test
  void postsRasasRestBodyWithTheTicketInMetadataAndHeader() throws Exception {
    stub = StubBot.start(Behaviour.empty());
    bot = rasa(URI.create(stub.url() + "/"), Duration.ofSeconds(5), Map.of("Authorization", "Bearer s3cret"));

    assertThat(bot.handle(request())).isEmpty();

    StubBot.Dispatch d = stub.dispatches().get(0);
    assertThat(d.path()).isEqualTo("/webhooks/rest/webhook");
    assertThat(stub.dispatches()).hasSize(1);
    assertThat(bodyOf(0)).isEqualTo("{\"sender\":\"c1\",\"message\":\"hi \\\"there\\\"\",\"metadata\":"
        + "{\"channel\":\"web\",\"nested\":{\"list\":[1,\"two\"]},"
        + "\"ticketgate\":{\"ticket\":7,\"topic\":\"in\",\"partition\":2,\"offset\":42,"
        + "\"idempotency_key\":\"in-2-42\",\"attempt\":3}}}");
    assertThat(d.headers())
        .containsEntry("x-ticketgate-ticket", "7")
        .containsEntry("idempotency-key", "in-2-42")
        .containsEntry("authorization", "Bearer s3cret")
        .containsEntry("content-type", "application/json");
    assertThat(d.ticket()).isEqualTo(7);
  }

  @Test
  void theGatewaysTicketgateMetadataReplacesOneTheMessageBrought() throws Exception {
    start(Behaviour.empty());
    BotRequest forged = new BotRequest("c1", "x", Map.of("ticketgate", Map.of("ticket", 999)), 4,
        new BotRequest.SourceRecord("in", 0, 1L), 1);

    bot.handle(forged);

    assertThat(bodyOf(0)).contains("\"ticketgate\":{\"ticket\":4,").doesNotContain("999");
  }

  @Test
  void eachAnsweredObjectBecomesOneReplyWithAllItsFields() throws Exception {
    String answer = "[{\"recipient_id\": \"c1\", \"text\": \"Hi!\", \"buttons\": [{\"title\": \"Yes\","
        + " \"payload\": \"/affirm\"}]},\n {\"recipient_id\":\"c1\",\"custom\":{\"price\":1.10,"
        + "\"big\":123456789012345678901234567890,\"none\":null}}]";
    start(Behaviour.fixed(200, answer));

    List<BotReply> replies = bot.handle(request());

    assertThat(replies).extracting(BotReply::asString).containsExactly(
        "{\"recipient_id\":\"c1\",\"text\":\"Hi!\",\"buttons\":[{\"title\":\"Yes\",\"payload\":\"/affirm\"}]}",
        "{\"recipient_id\":\"c1\",\"custom\":{\"price\":1.10,\"big\":123456789012345678901234567890,"
            + "\"none\":null}}");
  }

  /** Replies are copied from the answer as it streams past; they read as the parsed tree wrote them. */
  @Test
  void eachReplyIsTheCompactFormOfItsObject() throws Exception {
    List<String> objects = List.of(
        "{\"text\": \"caf\u00e9 \\ud83d\\udcac \\\"quoted\\\"\", \"n\": [1e5, -0.0, 2E-3, 0.10, -12]}",
        "{ \"image\" : \"https://example.com/a.png\" , \"nested\" : { \"deep\" : [ [ ], { } ] , \"t\" : true } }",
        "{}");
    start(Behaviour.fixed(200, "[" + String.join(",\n", objects) + "]"));

    List<BotReply> replies = bot.handle(request());

    List<String> asTrees = new java.util.ArrayList<>();
    for (String o : objects) {
      asTrees.add(new String(BotJson.MAPPER.writeValueAsBytes(BotJson.MAPPER.readTree(o)), StandardCharsets.UTF_8));
    }
    assertThat(replies).extracting(BotReply::asString).containsExactlyElementsOf(asTrees);
  }

  @Test
  void anEmptyArrayMeansNoReplies() throws Exception {
    start(Behaviour.empty());
    assertThat(bot.handle(request())).isEmpty();
  }

  @ParameterizedTest(name = "HTTP {0} -> {1}, retryable={2}")
  @CsvSource({
      "500, bot_http_500, true",
      "503, bot_http_503, true",
      "429, bot_http_429, true",
      "408, bot_http_408, true",
      "404, bot_http_404, false",
      "400, bot_http_400, false",
      "401, bot_http_401, false",
      "302, bot_http_302, false",
  })
  void classifiesStatuses(int status, String reason, boolean retryable) throws Exception {
    start(Behaviour.status(status));

    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(request()));

    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.isRetryable()).isEqualTo(retryable);
    assertThat(e.getMessage())
        .contains(stub.webhookUrl().toString())
        .contains("HTTP " + status)
        .contains("conversation 'c1'")
        .contains("ticket 7")
        .contains("stub answers " + status);
  }

  @Test
  void theFencingStatusIsAFencedRefusalNotAFailure() throws Exception {
    start(Behaviour.status(409));

    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(request()));

    assertThat(e.isFenced()).isTrue();
    assertThat(e.isRetryable()).isFalse();
    assertThat(e.reason()).isEqualTo("bot_fenced");
    assertThat(e.getMessage()).contains("HTTP 409").contains("conversation 'c1'").contains("ticket 7")
        .contains("fenced");
  }

  @Test
  void aConfiguredFencingStatusReplaces409AndNoneTurnsFencingOff() throws Exception {
    stub = StubBot.start(Behaviour.status(423));
    bot = new RasaBot(new BotSettings("rasa", stub.url(), Duration.ofSeconds(5), Map.of(), Map.of(), 423));
    assertThat(catchThrowableOfType(BotException.class, () -> bot.handle(request())).isFenced()).isTrue();
    bot.close();

    stub.behaviour(Behaviour.status(409));
    bot = new RasaBot(new BotSettings("rasa", stub.url(), Duration.ofSeconds(5), Map.of(), Map.of(), 423));
    BotException other = catchThrowableOfType(BotException.class, () -> bot.handle(request()));
    assertThat(other.isFenced()).isFalse();
    assertThat(other.reason()).isEqualTo("bot_http_409");
    bot.close();

    bot = new RasaBot(new BotSettings("rasa", stub.url(), Duration.ofSeconds(5), Map.of(), Map.of(), null));
    assertThat(catchThrowableOfType(BotException.class, () -> bot.handle(request())).isFenced()).isFalse();
  }

  @Test
  void garbageIn200IsPermanentlyUnparseableAndQuotesTheBody() throws Exception {
    start(Behaviour.garbage());

    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(request()));

    assertThat(e.reason()).isEqualTo("bot_unparseable_response");
    assertThat(e.isRetryable()).isFalse();
    assertThat(e.getMessage()).contains("<html><body>502 Bad Gateway").contains("conversation 'c1'")
        .contains("ticket 7").contains(stub.webhookUrl().toString());
  }

  @Test
  void onlyTheFirst200CharactersOfALongBodyAreQuoted() throws Exception {
    String body = "x".repeat(199) + "END" + "y".repeat(5000);
    start(Behaviour.fixed(200, body));

    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(request()));

    assertThat(e.getMessage()).contains("x".repeat(199) + "E").doesNotContain("EN").doesNotContain("yyy");
  }

  @Test
  void answersRasaNeverGivesAreUnparseable() throws Exception {
    for (String body : List.of("{\"text\":\"an object\"}", "[\"a string\"]", "[{}] trailing", "", "null",
        "[{\"text\":\"cut\"}", "[{\"text\":\"ok\"}, 3]", "[{\"text\": }]", "[{}][]")) {
      try (StubBot s = StubBot.start(Behaviour.fixed(200, body));
          RasaBot b = rasa(s.url(), Duration.ofSeconds(5), Map.of())) {
        assertThatThrownBy(() -> b.handle(request()))
            .as("body '%s'", body)
            .isInstanceOfSatisfying(BotException.class, e -> {
              assertThat(e.reason()).isEqualTo("bot_unparseable_response");
              assertThat(e.isRetryable()).isFalse();
            });
      }
    }
    try (StubBot s = StubBot.start(Behaviour.status(204)); RasaBot b = rasa(s.url(), Duration.ofSeconds(5), Map.of())) {
      assertThatThrownBy(() -> b.handle(request()))
          .isInstanceOfSatisfying(BotException.class,
              e -> assertThat(e.reason()).isEqualTo("bot_unparseable_response"));
    }
  }

  @Test
  void aRefusedConnectionIsRetryableUnreachable() throws Exception {
    int port;
    try (ServerSocket closed = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = closed.getLocalPort();
    }
    bot = rasa(URI.create("http://127.0.0.1:" + port), Duration.ofSeconds(2), Map.of());

    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(request()));

    assertThat(e.reason()).isEqualTo("bot_unreachable");
    assertThat(e.isRetryable()).isTrue();
    assertThat(e.getMessage()).contains("Could not connect").contains("127.0.0.1:" + port)
        .contains("conversation 'c1'").contains("ticket 7");
  }

  @Test
  void aResetConnectionIsRetryableUnreachable() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread resetter = Thread.ofVirtual().start(() -> {
        try (Socket socket = server.accept()) {
          InputStream in = socket.getInputStream();
          in.read(new byte[1024]);
          // Linger 0 makes close() send a TCP reset instead of an orderly end.
          socket.setSoLinger(true, 0);
        } catch (IOException e) {
          throw new IllegalStateException("the resetting server failed", e);
        }
      });
      bot = rasa(URI.create("http://127.0.0.1:" + server.getLocalPort()), Duration.ofSeconds(5), Map.of());

      BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(request()));

      resetter.join(5000);
      assertThat(e.reason()).isEqualTo("bot_unreachable");
      assertThat(e.isRetryable()).isTrue();
      assertThat(e.getMessage()).contains("Lost the connection").contains("ticket 7");
    }
  }

  @Test
  void aBotSleepingPastTheTimeoutIsARetryableTimeout() throws Exception {
    stub = StubBot.start(Behaviour.sleeping(Duration.ofSeconds(3)));
    bot = rasa(stub.url(), Duration.ofMillis(300), Map.of());

    long start = System.nanoTime();
    BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(request()));
    Duration took = Duration.ofNanos(System.nanoTime() - start);

    assertThat(e.reason()).isEqualTo("bot_timeout");
    assertThat(e.isRetryable()).isTrue();
    assertThat(e.getMessage()).contains("did not answer within 0.3 s").contains("conversation 'c1'");
    assertThat(took).isLessThan(Duration.ofSeconds(2));
  }

  @Test
  void oneClientServesManyCalls() throws Exception {
    start(Behaviour.echo());
    for (int i = 0; i < 20; i++) {
      BotRequest r = new BotRequest("c" + (i % 3), "m " + i, Map.of(), i, new BotRequest.SourceRecord("in", 0, i), 1);
      assertThat(bot.handle(r)).extracting(BotReply::asString)
          .containsExactly("{\"recipient_id\":\"c" + (i % 3) + "\",\"text\":\"echo: m " + i + "\"}");
    }
    assertThat(stub.dispatches()).hasSize(20);

    // Idle, the client has nothing to wait for: close() must not sit out its grace period.
    long start = System.nanoTime();
    bot.close();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));
    BotException afterClose = catchThrowableOfType(BotException.class, () -> bot.handle(request()));
    assertThat(afterClose.isRetryable()).isTrue();
  }

  @Test
  void anInterruptedCallIsRetryableAndKeepsTheFlag() throws Exception {
    start(Behaviour.sleeping(Duration.ofSeconds(3)));
    Thread.currentThread().interrupt();
    try {
      BotException e = catchThrowableOfType(BotException.class, () -> bot.handle(request()));
      assertThat(e.reason()).isEqualTo("bot_interrupted");
      assertThat(e.isRetryable()).isTrue();
      assertThat(Thread.currentThread().isInterrupted()).isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  private String bodyOf(int dispatch) {
    return stub.dispatches().get(dispatch).body();
  }
}
