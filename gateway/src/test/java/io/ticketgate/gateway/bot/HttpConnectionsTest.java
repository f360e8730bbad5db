package io.ticketgate.gateway.bot;

import static io.ticketgate.gateway.TurnCheck.HELD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.ssl.SslContext;
import io.ticketgate.gateway.TurnCheck;
import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The bot's connection pool against a real HTTP server on loopback. */
class HttpConnectionsTest {

  private static final Duration TIMEOUT = Duration.ofSeconds(5);

  @TempDir Path dir;

  private final EventLoopGroup serverGroup = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
  private final AtomicInteger connections = new AtomicInteger();
  private final List<FullHttpRequest> seen = new CopyOnWriteArrayList<>();
  /** HTTP/2 streams the server was asked to open: one per request that reached it over HTTP/2. */
  private final AtomicInteger http2Streams = new AtomicInteger();
  /** Answers held back until the test sends them, each to be run on its connection's event loop. */
  private final List<Runnable> held = new CopyOnWriteArrayList<>();
  private HttpConnections client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    seen.forEach(FullHttpRequest::release);
  }

  /**
   * What the test server does with one request: answer (possibly closing after), close, not answer
   * (null), or answer once the test lets {@link #held} answers go.
   */
  private record Behaviour(FullHttpResponse response, boolean closeAfter, boolean closeInstead, boolean held) {
    Behaviour(FullHttpResponse response, boolean closeAfter, boolean closeInstead) {
      this(response, closeAfter, closeInstead, false);
    }

    static Behaviour answer(int status, String body) {
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
          Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
      return new Behaviour(r, false, false);
    }

    Behaviour heldBack() {
      return new Behaviour(response, false, false, true);
    }
  }

  private int server(Function<FullHttpRequest, Behaviour> behaviour, SslContext ssl) {
    return server((request, onConnection) -> behaviour.apply(request), ssl);
  }

  /** As above, told how many requests came on the connection before this one. */
  private int server(java.util.function.BiFunction<FullHttpRequest, Integer, Behaviour> behaviour, SslContext ssl) {
    return TlsBotServers.port(TlsBotServers.start(serverGroup, ssl, () -> answering(behaviour),
        connections::incrementAndGet, http2Streams::incrementAndGet));
  }

  /** Answers each request on a connection (HTTP/1.1) or a stream (HTTP/2) as {@code behaviour} says. */
  private SimpleChannelInboundHandler<FullHttpRequest> answering(
      java.util.function.BiFunction<FullHttpRequest, Integer, Behaviour> behaviour) {
    return new SimpleChannelInboundHandler<>() {
      private int before;

      @Override
      protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        seen.add(request.retainedDuplicate());
        Behaviour b = behaviour.apply(request, before++);
        if (b == null) {
          return; // no answer: the client's timeout is under test
        }
        if (b.closeInstead()) {
          // The whole connection, also when the request came on one of its HTTP/2 streams.
          (ctx.channel() instanceof Http2StreamChannel stream ? stream.parent() : ctx.channel()).close();
          return;
        }
        if (b.held()) {
          held.add(() -> ctx.writeAndFlush(b.response().retainedDuplicate()));
          return;
        }
        var written = ctx.writeAndFlush(b.response().retainedDuplicate());
        if (b.closeAfter()) {
          written.addListener(ChannelFutureListener.CLOSE);
        }
      }
    };
  }

  private HttpConnections client(String url, Duration timeout, TrustManagerFactory trust) {
    return client(url, timeout, trust, true);
  }

  private HttpConnections client(String url, Duration timeout, TrustManagerFactory trust, boolean http2) {
    client = new HttpConnections(URI.create(url), timeout, trust, http2);
    return client;
  }

  @Test
  void sendsThePostWithItsHeadersAndKeepsTheConnectionForTheNextCall() throws Exception {
    int port = server(r -> Behaviour.answer(200, "[{\"text\":\"hi\"}]"), null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/webhooks/rest/webhook?x=1", TIMEOUT, null);

    for (int i = 0; i < 3; i++) {
      HttpConnections.Response r = c.post("{\"m\":1}".getBytes(StandardCharsets.UTF_8),
          Map.of("Content-Type", "application/json"), Map.of("X-Ticketgate-Ticket", Integer.toString(i)), HELD);
      assertThat(r.status()).isEqualTo(200);
      assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("[{\"text\":\"hi\"}]");
    }

    assertThat(connections.get()).as("connections opened for three calls in a row").isEqualTo(1);
    assertThat(c.idleConnections()).isEqualTo(1);
    FullHttpRequest first = seen.get(0);
    assertThat(first.method().name()).isEqualTo("POST");
    assertThat(first.uri()).isEqualTo("/webhooks/rest/webhook?x=1");
    assertThat(first.headers().get("Host")).isEqualTo("127.0.0.1:" + port);
    assertThat(first.headers().get("Content-Type")).isEqualTo("application/json");
    assertThat(first.headers().get("X-Ticketgate-Ticket")).isEqualTo("0");
    assertThat(first.content().toString(StandardCharsets.UTF_8)).isEqualTo("{\"m\":1}");
    assertThat(seen.get(2).headers().get("X-Ticketgate-Ticket")).isEqualTo("2");
  }

  @Test
  void aTurnLostAsTheRequestIsAboutToBeWrittenSendsNothingAndKeepsTheConnection() throws Exception {
    int port = server(r -> Behaviour.answer(200, "[]"), null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/", TIMEOUT, null);
    List<String> checkedOn = new CopyOnWriteArrayList<>();
    TurnCheck lost = () -> {
      checkedOn.add(Thread.currentThread().getName());
      return true;
    };

    // On a new connection, then on a kept one.
    assertThatThrownBy(() -> c.post(new byte[0], Map.of(), Map.of(), lost)).isInstanceOf(HttpConnections.TurnLost.class);
    assertThat(c.post(new byte[0], Map.of(), Map.of(), HELD).status()).isEqualTo(200);
    assertThatThrownBy(() -> c.post(new byte[0], Map.of(), Map.of(), lost)).isInstanceOf(HttpConnections.TurnLost.class);
    assertThat(c.post(new byte[0], Map.of(), Map.of(), HELD).status()).isEqualTo(200);

    assertThat(checkedOn).as("checked once a call, by the thread that writes the request").hasSize(2)
        .allSatisfy(thread -> assertThat(thread).startsWith("ticketgate-bot-http"));
    assertThat(seen).as("requests that reached the bot").hasSize(2);
    assertThat(connections.get()).as("connections opened: nothing was written on it, so it was kept").isEqualTo(1);
    assertThat(c.idleConnections()).isEqualTo(1);
  }

  @Test
  void aCheckOfTheTurnThatThrowsFailsTheCallWithoutSendingIt() {
    int port = server(r -> Behaviour.answer(200, "[]"), null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/", TIMEOUT, null);

    assertThatThrownBy(() -> c.post(new byte[0], Map.of(), Map.of(), () -> {
      throw new IllegalStateException("broken check");
    })).isInstanceOf(IOException.class).hasMessageContaining("checking the turn").hasMessageContaining("broken check");
    assertThat(seen).isEmpty();
  }

  @Test
  void anAnswerThatClosesTheConnectionIsNotReused() throws Exception {
    int port = server(r -> {
      Behaviour b = Behaviour.answer(200, "[]");
      b.response().headers().set(HttpHeaderNames.CONNECTION, "close");
      return new Behaviour(b.response(), true, false);
    }, null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/", TIMEOUT, null);

    assertThat(c.post(new byte[0], Map.of(), Map.of(), HELD).status()).isEqualTo(200);
    assertThat(c.post(new byte[0], Map.of(), Map.of(), HELD).status()).isEqualTo(200);

    assertThat(connections.get()).isEqualTo(2);
    assertThat(c.idleConnections()).isZero();
  }

  @Test
  void theStatusBodyAndRetryAfterOfAFailureComeBackAsTheyAre() throws Exception {
    int port = server(r -> {
      Behaviour b = Behaviour.answer(503, "down");
      b.response().headers().set(HttpHeaderNames.RETRY_AFTER, "7");
      return b;
    }, null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/", TIMEOUT, null);

    HttpConnections.Response r = c.post(new byte[0], Map.of(), Map.of(), HELD);

    assertThat(r.status()).isEqualTo(503);
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).isEqualTo("down");
    assertThat(r.retryAfter()).isEqualTo("7");
  }

  @Test
  void aKeptConnectionTheBotDropsWithoutAnAnswerIsReplacedWithoutFailingTheCall() throws Exception {
    AtomicInteger answered = new AtomicInteger();
    // The second request on a connection finds it closed, without a byte of an answer: what a call
    // meets when the bot's server dropped the connection as idle just as it was reused.
    int port = server((request, before) -> before == 0 ? Behaviour.answer(200, "ok" + answered.incrementAndGet())
        : new Behaviour(null, false, true), null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/", TIMEOUT, null);
    assertThat(c.post(new byte[0], Map.of(), Map.of(), HELD).status()).isEqualTo(200);

    HttpConnections.Response second = c.post(new byte[0], Map.of(), Map.of(), HELD);

    assertThat(new String(second.body(), StandardCharsets.UTF_8)).isEqualTo("ok2");
    assertThat(connections.get()).isEqualTo(2);
    assertThat(seen).as("requests that reached the bot, the dropped one included").hasSize(3);
  }

  @Test
  void aNewConnectionClosedBeforeAnAnswerIsAFailure() {
    int port = server(r -> new Behaviour(null, false, true), null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/", TIMEOUT, null);

    assertThatThrownBy(() -> c.post(new byte[0], Map.of(), Map.of(), HELD)).isInstanceOf(IOException.class)
        .hasMessageContaining("closed the connection before answering");
    assertThat(seen).as("sent once: a fresh connection is not retried").hasSize(1);
  }

  @Test
  void noAnswerWithinTheTimeoutIsAnHttpTimeoutAndTheConnectionIsDropped() {
    int port = server(r -> null, null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/", Duration.ofMillis(300), null);

    assertThatThrownBy(() -> c.post(new byte[0], Map.of(), Map.of(), HELD)).isInstanceOf(HttpTimeoutException.class)
        .hasMessageContaining("did not answer within");
    assertThat(c.idleConnections()).isZero();
  }

  @Test
  void aCallStillOpenWhenTheClientClosesFailsAsAConnectionFailure() throws Exception {
    // The first call answered, the second (on the kept connection) never: the close breaks it with
    // nothing of an answer, which on a kept connection would otherwise mean "try a new one".
    int port = server((request, before) -> before == 0 ? Behaviour.answer(200, "[]") : null, null);
    HttpConnections c = new HttpConnections(URI.create("http://127.0.0.1:" + port + "/"), TIMEOUT, null, true);
    assertThat(c.post(new byte[0], Map.of(), Map.of(), HELD).status()).isEqualTo(200);
    java.util.concurrent.CompletableFuture<Throwable> failure = new java.util.concurrent.CompletableFuture<>();
    Thread caller = Thread.ofVirtual().start(() -> {
      try {
        c.post(new byte[0], Map.of(), Map.of(), HELD);
        failure.complete(null);
      } catch (Throwable t) {
        failure.complete(t);
      }
    });
    while (seen.size() < 2) {
      Thread.sleep(5); // until the second request reached the server
    }

    c.close(Duration.ofMillis(50));

    assertThat(failure.get(10, TimeUnit.SECONDS)).isInstanceOf(IOException.class)
        .hasMessageContaining("closed during the call");
    caller.join();
  }

  @Test
  void aRefusedConnectionIsAConnectException() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    HttpConnections c = client("http://127.0.0.1:" + port + "/", TIMEOUT, null);

    assertThatThrownBy(() -> c.post(new byte[0], Map.of(), Map.of(), HELD)).isInstanceOf(ConnectException.class);
  }

  @Test
  void anAnswerAboveTheLimitIsRefused() {
    String big = "x".repeat(HttpConnections.MAX_ANSWER_BYTES + 1);
    int port = server(r -> Behaviour.answer(200, big), null);
    HttpConnections c = client("http://127.0.0.1:" + port + "/", TIMEOUT, null);

    assertThatThrownBy(() -> c.post(new byte[0], Map.of(), Map.of(), HELD)).isInstanceOf(IOException.class)
        .hasMessageContaining("exceeds");
  }

  /** An https bot on loopback that offers HTTP/2 and HTTP/1.1 (ALPN), and a client that trusts it. */
  private HttpConnections http2Bot(java.util.function.BiFunction<FullHttpRequest, Integer, Behaviour> behaviour,
      Duration timeout) throws Exception {
    return http2Bot(behaviour, timeout, true);
  }

  /** As above, the client offering HTTP/2 only with {@code offer}. */
  private HttpConnections http2Bot(java.util.function.BiFunction<FullHttpRequest, Integer, Behaviour> behaviour,
      Duration timeout, boolean offer) throws Exception {
    KeyStore ks = TlsBotServers.localhostKeys(dir);
    SslContext ssl = TlsBotServers.serverTls(ks, true);
    TrustManagerFactory trust = TlsBotServers.trust(ks);
    int port = server(behaviour, ssl);
    return client("https://localhost:" + port + "/webhooks/rest/webhook", timeout, trust, offer);
  }

  @Test
  void withHttp2TurnedOffAnHttpsBotThatOffersItGetsHttp1() throws Exception {
    HttpConnections c = http2Bot((r, before) -> Behaviour.answer(200, "ok " + before), TIMEOUT, false);
    assertThat(body(c.post(new byte[0], Map.of(), Map.of(), HELD))).isEqualTo("ok 0");
    assertThat(body(c.post(new byte[0], Map.of(), Map.of(), HELD))).as("the second call on the kept connection")
        .isEqualTo("ok 1");
    assertThat(http2Streams.get()).isZero();
    assertThat(c.http2Connections()).isZero();
    assertThat(c.idleConnections()).isEqualTo(1);
    assertThat(connections.get()).isEqualTo(1);
  }

  private static String body(HttpConnections.Response r) {
    return new String(r.body(), StandardCharsets.UTF_8);
  }

  @Test
  void anHttpsBotThatOffersHttp2GetsEveryCallOnOneConnectionAtOnce() throws Exception {
    int calls = 20;
    HttpConnections c = http2Bot((r, before) -> {
      String text = r.content().toString(StandardCharsets.UTF_8);
      Behaviour answer = Behaviour.answer(200, "echo " + text + " ticket " + r.headers().get("X-Ticketgate-Ticket"));
      return text.startsWith("together") ? answer.heldBack() : answer;
    }, TIMEOUT);
    // A cold client, every call at once, and each waits for its answer until all of them reached the
    // bot: they can only all be in flight together as streams of one connection.
    List<java.util.concurrent.Future<HttpConnections.Response>> answers = new java.util.ArrayList<>();
    try (var threads = java.util.concurrent.Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < calls; i++) {
        String text = "together " + i;
        String ticket = Integer.toString(i);
        answers.add(threads.submit(() -> c.post(text.getBytes(StandardCharsets.UTF_8),
            Map.of("Content-Type", "application/json"), Map.of("X-Ticketgate-Ticket", ticket), HELD)));
      }
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
      while (held.size() < calls) {
        assertThat(System.nanoTime()).as("%d of %d calls reached the bot", held.size(), calls).isLessThan(deadline);
        Thread.sleep(5);
      }
      held.forEach(Runnable::run);
      for (int i = 0; i < calls; i++) {
        assertThat(body(answers.get(i).get(10, TimeUnit.SECONDS))).isEqualTo("echo together " + i + " ticket " + i);
      }
    }
    assertThat(body(c.post("after".getBytes(StandardCharsets.UTF_8), Map.of(), Map.of("X-Ticketgate-Ticket", "x"),
        HELD))).isEqualTo("echo after ticket x");
    assertThat(connections.get()).as("connections the bot accepted").isEqualTo(1);
    assertThat(http2Streams.get()).as("HTTP/2 streams, one per call").isEqualTo(calls + 1);
    FullHttpRequest first = seen.get(0);
    assertThat(first.method().name()).isEqualTo("POST");
    assertThat(first.uri()).isEqualTo("/webhooks/rest/webhook");
    assertThat(first.headers().get("Content-Type")).isEqualTo("application/json");
    assertThat(c.http2Connections()).isEqualTo(1);
    assertThat(c.idleConnections()).as("HTTP/1.1 connections kept").isZero();
  }

  @Test
  void onHttp2ALostTurnSendsNothingAndAnAnswerThatNeverComesCostsOnlyItsStream() throws Exception {
    HttpConnections c = http2Bot((r, before) -> r.content().toString(StandardCharsets.UTF_8).equals("silent") ? null
        : Behaviour.answer(200, "ok"), Duration.ofMillis(500));
    assertThat(body(c.post(new byte[0], Map.of(), Map.of(), HELD))).isEqualTo("ok");
    List<String> checkedOn = new CopyOnWriteArrayList<>();
    TurnCheck lost = () -> {
      checkedOn.add(Thread.currentThread().getName());
      return true;
    };
    assertThatThrownBy(() -> c.post("lost".getBytes(StandardCharsets.UTF_8), Map.of(), Map.of(), lost))
        .isInstanceOf(HttpConnections.TurnLost.class);
    assertThat(checkedOn).singleElement().asString().startsWith("ticketgate-bot-http");
    assertThatThrownBy(() -> c.post("silent".getBytes(StandardCharsets.UTF_8), Map.of(), Map.of(), HELD))
        .isInstanceOf(HttpTimeoutException.class);
    assertThat(body(c.post(new byte[0], Map.of(), Map.of(), HELD))).isEqualTo("ok");

    assertThat(seen).extracting(r -> r.content().toString(StandardCharsets.UTF_8))
        .as("what reached the bot").containsExactly("", "silent", "");
    assertThat(connections.get()).as("the timed-out stream was reset, its connection kept").isEqualTo(1);
  }

  @Test
  void anHttp2ConnectionTheBotClosesIsReplacedForTheNextCall() throws Exception {
    HttpConnections c = http2Bot((r, before) -> r.content().toString(StandardCharsets.UTF_8).equals("close")
        ? new Behaviour(null, false, true) : Behaviour.answer(200, "ok"), TIMEOUT);
    assertThat(body(c.post(new byte[0], Map.of(), Map.of(), HELD))).isEqualTo("ok");
    assertThatThrownBy(() -> c.post("close".getBytes(StandardCharsets.UTF_8), Map.of(), Map.of(), HELD))
        .isInstanceOf(IOException.class);
    assertThat(body(c.post(new byte[0], Map.of(), Map.of(), HELD))).isEqualTo("ok");
    assertThat(http2Streams.get()).isEqualTo(3);
    assertThat(connections.get()).isEqualTo(2);
    assertThat(c.http2Connections()).as("the closed connection is forgotten").isEqualTo(1);
  }

  @Test
  void httpsChecksTheCertificateAndTheHostName() throws Exception {
    KeyStore ks = TlsBotServers.localhostKeys(dir);
    TrustManagerFactory trust = TlsBotServers.trust(ks);
    int port = server(r -> Behaviour.answer(200, "secure"), TlsBotServers.serverTls(ks, false));

    HttpConnections right = client("https://localhost:" + port + "/", TIMEOUT, trust);
    assertThat(new String(right.post(new byte[0], Map.of(), Map.of(), HELD).body(), StandardCharsets.UTF_8))
        .isEqualTo("secure");
    assertThat(right.http2Connections()).as("a bot that negotiates no protocol speaks HTTP/1.1").isZero();
    assertThat(right.idleConnections()).isEqualTo(1);
    right.close();

    HttpConnections wrongName = client("https://127.0.0.1:" + port + "/", TIMEOUT, trust);
    assertThatThrownBy(() -> wrongName.post(new byte[0], Map.of(), Map.of(), HELD)).isInstanceOf(IOException.class);
    wrongName.close();

    HttpConnections untrusted = client("https://localhost:" + port + "/", TIMEOUT, null);
    assertThatThrownBy(() -> untrusted.post(new byte[0], Map.of(), Map.of(), HELD)).isInstanceOf(IOException.class);
  }
}
