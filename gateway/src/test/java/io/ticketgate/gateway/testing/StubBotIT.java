package io.ticketgate.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ticketgate.gateway.testing.StubBot.Behaviour;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The fixture itself: it must really see overlaps, refuse lower tickets and keep order. */
class StubBotIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
  private StubBot stub;

  @AfterEach
  void tearDown() {
    if (stub != null) {
      stub.close();
    }
    client.close();
  }

  private HttpResponse<String> rasa(String conversation, String text, long ticket) throws Exception {
    Map<String, Object> ticketgate = new LinkedHashMap<>();
    ticketgate.put("ticket", ticket);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sender", conversation);
    body.put("message", text);
    body.put("metadata", Map.of("ticketgate", ticketgate));
    return post(stub.webhookUrl(), JSON.writeValueAsString(body), ticket);
  }

  private HttpResponse<String> post(URI url, String body, long ticket) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(url)
        .header("Content-Type", "application/json")
        .header(StubBot.TICKET_HEADER, Long.toString(ticket))
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void echoesAndRecordsACall() throws Exception {
    stub = StubBot.start();
    HttpResponse<String> response = rasa("c1", "hello 1", 3);

    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).isEqualTo("[{\"recipient_id\":\"c1\",\"text\":\"echo: hello 1\"}]");
    List<StubBot.Dispatch> dispatches = stub.dispatches();
    assertThat(dispatches).hasSize(1);
    StubBot.Dispatch d = dispatches.get(0);
    assertThat(d.conversation()).isEqualTo("c1");
    assertThat(d.text()).isEqualTo("hello 1");
    assertThat(d.ticket()).isEqualTo(3);
    assertThat(d.status()).isEqualTo(200);
    assertThat(d.fenced()).isFalse();
    assertThat(d.endNanos()).isGreaterThan(d.startNanos());
    assertThat(d.thread()).isNotBlank();
    assertThat(d.headers()).containsEntry("x-ticketgate-ticket", "3");
    assertThat(stub.overlaps()).isEmpty();
    assertThat(stub.textsByConversation()).containsExactly(Map.entry("c1", List.of("hello 1")));
  }

  @Test
  void detectsTwoConcurrentCallsForOneConversation() throws Exception {
    // The first call holds until the second has arrived, so they surely overlap.
    CountDownLatch secondArrived = new CountDownLatch(1);
    stub = StubBot.start(call -> {
      if (call.text().equals("first")) {
        if (!secondArrived.await(5, TimeUnit.SECONDS)) {
          return new StubBot.Response(500, "{\"error\":\"second call never came\"}");
        }
      } else {
        secondArrived.countDown();
      }
      return StubBot.Response.ok("[]");
    });
    CompletableFuture<HttpResponse<String>> first = CompletableFuture.supplyAsync(() -> call("c1", "first", 1));
    awaitInProgress(1);
    HttpResponse<String> second = rasa("c1", "second", 2);

    assertThat(second.statusCode()).isEqualTo(200);
    assertThat(first.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(stub.overlaps()).hasSize(1);
    StubBot.Overlap overlap = stub.overlaps().get(0);
    assertThat(overlap.conversation()).isEqualTo("c1");
    assertThat(overlap.runningText()).isEqualTo("first");
    assertThat(overlap.arrivingText()).isEqualTo("second");
    assertThat(overlap.runningTicket()).isEqualTo(1);
    assertThat(overlap.arrivingTicket()).isEqualTo(2);
  }

  @Test
  void concurrentCallsForDifferentConversationsAndSequentialCallsAreNotOverlaps() throws Exception {
    CountDownLatch bothArrived = new CountDownLatch(2);
    stub = StubBot.start(call -> {
      bothArrived.countDown();
      bothArrived.await(5, TimeUnit.SECONDS);
      return StubBot.Response.ok("[]");
    });
    CompletableFuture<HttpResponse<String>> a = CompletableFuture.supplyAsync(() -> call("a", "x 1", 1));
    CompletableFuture<HttpResponse<String>> b = CompletableFuture.supplyAsync(() -> call("b", "y 1", 1));
    assertThat(a.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    assertThat(b.get(5, TimeUnit.SECONDS).statusCode()).isEqualTo(200);

    stub.behaviour(Behaviour.empty());
    for (int i = 2; i <= 20; i++) {
      assertThat(rasa("a", "x " + i, i).statusCode()).isEqualTo(200);
    }
    assertThat(stub.overlaps()).isEmpty();
    assertThat(stub.dispatches()).hasSize(21);
    assertThat(stub.orderViolations()).isEmpty();
  }

  @Test
  void fencingRefusesALowerTicketButAcceptsARetryOfTheSameOne() throws Exception {
    stub = StubBot.start();
    assertThat(rasa("c1", "m 5", 5).statusCode()).isEqualTo(200);
    HttpResponse<String> stale = rasa("c1", "m 4", 4);
    assertThat(stale.statusCode()).isEqualTo(409);
    assertThat(stale.body()).contains("ticket 4");
    assertThat(rasa("c1", "m 5", 5).statusCode()).isEqualTo(200);
    assertThat(rasa("c2", "other 1", 1).statusCode()).isEqualTo(200);

    assertThat(stub.fencedRejections()).isEqualTo(1);
    assertThat(stub.fenced()).singleElement().satisfies(d -> {
      assertThat(d.ticket()).isEqualTo(4);
      assertThat(d.status()).isEqualTo(409);
      assertThat(d.fenced()).isTrue();
    });
    assertThat(stub.textsByConversation().get("c1")).containsExactly("m 5", "m 5");
    assertThat(stub.dispatches()).hasSize(4);
    assertThat(stub.inProgress()).isZero();
  }

  @Test
  void reportsSequenceNumbersThatGoBackwards() throws Exception {
    stub = StubBot.start(Behaviour.empty());
    rasa("c1", "msg 1", -1);
    rasa("c1", "msg 3", -1);
    rasa("c1", "msg 2", -1);
    rasa("c2", "no number", -1);

    assertThat(stub.orderViolations()).containsExactly("c1: 2 after 3");
    assertThat(StubBot.sequenceOf("m-12 of conversation 7")).hasValue(7);
    assertThat(StubBot.sequenceOf("none")).isEmpty();
  }

  @Test
  void failsTheFirstCallsOfEachConversationThenSucceeds() throws Exception {
    stub = StubBot.start(Behaviour.replies(2).failingFirst(2, 503));
    assertThat(rasa("c1", "hi", 1).statusCode()).isEqualTo(503);
    assertThat(rasa("c1", "hi", 1).statusCode()).isEqualTo(503);
    HttpResponse<String> third = rasa("c1", "hi", 1);
    assertThat(rasa("c2", "yo", 1).statusCode()).isEqualTo(503);

    assertThat(third.statusCode()).isEqualTo(200);
    assertThat(third.body()).isEqualTo(
        "[{\"recipient_id\":\"c1\",\"text\":\"hi #1\"},{\"recipient_id\":\"c1\",\"text\":\"hi #2\"}]");
    assertThat(stub.answeredTextsByConversation()).containsExactly(Map.entry("c1", List.of("hi")));
    assertThat(stub.textsByConversation().get("c1")).hasSize(3);

    stub.reset();
    assertThat(rasa("c1", "again", 1).statusCode()).isEqualTo(503);
    assertThat(stub.dispatches()).hasSize(1);
  }

  @Test
  void latencyGarbageAndStatusBehaviours() throws Exception {
    stub = StubBot.start(Behaviour.garbage().withLatency(Duration.ofMillis(150)));
    HttpResponse<String> garbage = rasa("c1", "x", 1);
    assertThat(garbage.statusCode()).isEqualTo(200);
    assertThat(garbage.body()).startsWith("<html>");
    assertThat(stub.dispatches().get(0).duration()).isGreaterThanOrEqualTo(Duration.ofMillis(150));

    stub.behaviour(Behaviour.status(204));
    HttpResponse<String> none = rasa("c1", "x", 2);
    assertThat(none.statusCode()).isEqualTo(204);
    assertThat(none.body()).isEmpty();

    stub.behaviour(Behaviour.echo().withRandomLatency(Duration.ofMillis(10), Duration.ofMillis(30)));
    assertThat(rasa("c1", "x", 3).statusCode()).isEqualTo(200);
    assertThat(stub.dispatches().get(2).duration()).isGreaterThanOrEqualTo(Duration.ofMillis(10));
  }

  @Test
  void acceptsHttpBotEnvelopes() throws Exception {
    stub = StubBot.start();
    String envelope = "{\"conversation_id\":\"c9\",\"text\":\"hey\",\"metadata\":{},\"ticket\":11,"
        + "\"source\":{\"topic\":\"in\",\"partition\":0,\"offset\":5},\"attempt\":1}";
    HttpResponse<String> response = post(stub.httpUrl(), envelope, 99);

    assertThat(response.statusCode()).isEqualTo(200);
    StubBot.Dispatch d = stub.dispatches().get(0);
    assertThat(d.path()).isEqualTo(StubBot.HTTP_PATH);
    assertThat(d.conversation()).isEqualTo("c9");
    // The body's ticket wins over the header's.
    assertThat(d.ticket()).isEqualTo(11);
  }

  @Test
  void refusesRequestsThatAreNotCalls() throws Exception {
    stub = StubBot.start();
    assertThat(post(stub.webhookUrl(), "not json", 1).statusCode()).isEqualTo(400);
    assertThat(post(stub.webhookUrl(), "{\"message\":\"no sender\"}", 1).statusCode()).isEqualTo(400);
    assertThat(post(URI.create(stub.url() + "/elsewhere"), "{}", 1).statusCode()).isEqualTo(404);
    HttpResponse<String> get = client.send(HttpRequest.newBuilder(stub.webhookUrl()).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);

    assertThat(stub.malformedRequests()).hasSize(4);
    assertThat(stub.dispatches()).isEmpty();
  }

  @Test
  void aCallTheClientGaveUpOnStaysInProgressUntilItsBehaviourReturns() throws Exception {
    stub = StubBot.start(Behaviour.sleeping(Duration.ofMillis(600)));
    HttpRequest request = HttpRequest.newBuilder(stub.webhookUrl())
        .timeout(Duration.ofMillis(100))
        .POST(HttpRequest.BodyPublishers.ofString("{\"sender\":\"c1\",\"message\":\"slow\"}"))
        .build();
    assertThatThrownBy(() -> client.send(request, HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.net.http.HttpTimeoutException.class);
    assertThat(stub.inProgress()).isEqualTo(1);
    assertThat(stub.awaitDispatches(1, Duration.ofSeconds(5))).isTrue();
    assertThat(stub.inProgress()).isZero();
  }

  private HttpResponse<String> call(String conversation, String text, long ticket) {
    try {
      return rasa(conversation, text, ticket);
    } catch (Exception e) {
      throw new IllegalStateException("call for " + conversation + " failed", e);
    }
  }

  private void awaitInProgress(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (stub.inProgress() < n) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("expected " + n + " calls in progress, have " + stub.inProgress());
      }
      Thread.sleep(5);
    }
  }
}
