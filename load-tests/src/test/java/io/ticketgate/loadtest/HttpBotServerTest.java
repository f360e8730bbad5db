package io.ticketgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpBotServerTest {

  private final List<String> calls = Collections.synchronizedList(new ArrayList<>());
  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private HttpBotServer bot;

  @AfterEach
  void stop() {
    if (bot != null) {
      bot.close();
    }
    client.close();
  }

  private HttpBotServer start(long latencyMillis, boolean fencing, boolean requireTicket, int threads) {
    bot = HttpBotServer.start(latencyMillis, fencing, requireTicket, threads, 0,
        (conversation, seq, ticket, replica, start, end, accepted) -> {
          assertThat(end).isGreaterThanOrEqualTo(start);
          calls.add(conversation + "#" + seq + "@" + ticket + (accepted ? "" : " fenced"));
        });
    return bot;
  }

  private HttpResponse<String> post(String path, String body, String ticket) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(bot.url() + path))
        .header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(body));
    if (ticket != null) {
      b.header(HttpBotServer.TICKET_HEADER, ticket);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void answersRasasWebhookAndRecordsTheCall() throws Exception {
    start(0, false, true, 1);

    HttpResponse<String> r = post(HttpBotServer.PATH,
        "{\"sender\":\"conv-1\",\"message\":\"seq=3\",\"metadata\":{\"seq\":3}}", "7");

    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo("[{\"recipient_id\":\"conv-1\",\"text\":\"echo: seq=3\"}]");
    assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
    assertThat(calls).containsExactly("conv-1#3@7");
    assertThat(bot.answered()).isEqualTo(1);
  }

  @Test
  void theSeqMayComeFromTheMessageAndTheTicketFromTheMetadata() throws Exception {
    start(0, false, true, 1);

    assertThat(post(HttpBotServer.PATH,
        "{\"sender\":\"c\",\"message\":\"seq=5\",\"metadata\":{\"ticketgate\":{\"ticket\":2}}}", null).statusCode())
        .isEqualTo(200);
    assertThat(calls).containsExactly("c#5@2");
  }

  @Test
  void refusesWhatItCannotAnswerWithA400AndCountsIt() throws Exception {
    start(0, false, true, 1);

    assertThat(post(HttpBotServer.PATH, "not json", "1").statusCode()).isEqualTo(400);
    assertThat(post(HttpBotServer.PATH, "{\"message\":\"seq=1\"}", "1").statusCode()).as("no sender").isEqualTo(400);
    assertThat(post(HttpBotServer.PATH, "{\"sender\":\"c\",\"message\":\"hi\"}", "1").statusCode()).as("no seq")
        .isEqualTo(400);
    assertThat(post(HttpBotServer.PATH, "{\"sender\":\"c\",\"message\":\"seq=1\"}", null).statusCode())
        .as("no ticket").isEqualTo(400);
    HttpResponse<String> r = post(HttpBotServer.PATH, "{\"sender\":\"c\",\"message\":\"seq=1\"}", "x");
    assertThat(r.statusCode()).isEqualTo(400);
    assertThat(r.body()).contains("X-Ticketgate-Ticket 'x' is not a number");
    assertThat(bot.malformed()).isEqualTo(5);
    assertThat(calls).isEmpty();
  }

  @Test
  void withoutTicketsRequiredACallWithoutOneIsRecordedWithMinusOne() throws Exception {
    start(0, false, false, 1);

    assertThat(post(HttpBotServer.PATH, "{\"sender\":\"c\",\"message\":\"seq=1\"}", null).statusCode())
        .isEqualTo(200);
    assertThat(calls).containsExactly("c#1@-1");
  }

  @Test
  void otherPathsAndMethodsAreRefused() throws Exception {
    start(0, false, true, 1);

    assertThat(post("/other", "{}", "1").statusCode()).isEqualTo(404);
    HttpResponse<String> get = client.send(HttpRequest.newBuilder(URI.create(bot.url() + HttpBotServer.PATH)).GET()
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
  }

  @Test
  void fencingRefusesATicketLowerThanOneAlreadyAccepted() throws Exception {
    start(0, true, false, 1);

    assertThat(post(HttpBotServer.PATH, "{\"sender\":\"c\",\"message\":\"seq=1\"}", "5").statusCode()).isEqualTo(200);
    assertThat(post(HttpBotServer.PATH, "{\"sender\":\"c\",\"message\":\"seq=2\"}", "4").statusCode()).isEqualTo(409);
    assertThat(post(HttpBotServer.PATH, "{\"sender\":\"c\",\"message\":\"seq=2\"}", "5").statusCode()).isEqualTo(200);
    assertThat(post(HttpBotServer.PATH, "{\"sender\":\"d\",\"message\":\"seq=1\"}", "1").statusCode())
        .as("another conversation").isEqualTo(200);
    assertThat(calls).containsExactly("c#1@5", "c#2@4 fenced", "c#2@5", "d#1@1");
    assertThat(bot.fenced()).isEqualTo(1);
  }

  @Test
  void manyCallsWaitOutTheirLatencyAtOnceOnOneThread() throws Exception {
    // 400 calls of 300 ms on one event-loop thread: only possible without a thread per call.
    start(300, false, true, 1);
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      answers.add(client.sendAsync(HttpRequest.newBuilder(URI.create(bot.url() + HttpBotServer.PATH))
          .header(HttpBotServer.TICKET_HEADER, "1")
          .POST(HttpRequest.BodyPublishers.ofString("{\"sender\":\"c" + i + "\",\"message\":\"seq=1\"}")).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> a : answers) {
      assertThat(a.get().statusCode()).isEqualTo(200);
    }
    assertThat(bot.answered()).isEqualTo(400);
    assertThat(calls).hasSize(400);
  }

  @Test
  void withWorkersTheCallsBeyondThemWaitInLineAndTheReplicaIsRecorded() throws Exception {
    java.util.concurrent.atomic.AtomicInteger serving = new java.util.concurrent.atomic.AtomicInteger();
    java.util.concurrent.atomic.AtomicInteger most = new java.util.concurrent.atomic.AtomicInteger();
    List<String> replicas = Collections.synchronizedList(new ArrayList<>());
    // Each call notes itself as served while its latency runs: at most two at once with two workers.
    bot = HttpBotServer.start(() -> {
      most.accumulateAndGet(serving.incrementAndGet(), Math::max);
      return 200_000_000L;
    }, false, true, 2, 1, 0, (conversation, seq, ticket, replica, start, end, accepted) -> {
      serving.decrementAndGet();
      replicas.add(replica);
    });
    List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      answers.add(client.sendAsync(HttpRequest.newBuilder(URI.create(bot.url() + HttpBotServer.PATH))
          .header(HttpBotServer.TICKET_HEADER, "1").header(HttpBotServer.REPLICA_HEADER, "r" + (i % 2))
          .POST(HttpRequest.BodyPublishers.ofString("{\"sender\":\"c" + i + "\",\"message\":\"seq=1\"}")).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    for (CompletableFuture<HttpResponse<String>> a : answers) {
      assertThat(a.get().statusCode()).isEqualTo(200);
    }
    assertThat(most.get()).as("calls served at once").isEqualTo(2);
    assertThat(replicas).hasSize(12).containsOnly("r0", "r1");
  }

  @Test
  void startRefusesNonsense() {
    assertThatThrownBy(() -> HttpBotServer.start(-1, false, false, 1, 0, (c, s, t, r, a, b, ok) -> { }))
        .hasMessageContaining("latency was -1 ms");
    assertThatThrownBy(() -> HttpBotServer.start(0, false, false, 0, 0, (c, s, t, r, a, b, ok) -> { }))
        .hasMessageContaining("threads was 0");
  }


}
