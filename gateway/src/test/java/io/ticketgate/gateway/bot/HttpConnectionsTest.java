package io.ticketgate.gateway.bot;

import static io.ticketgate.gateway.TurnCheck.HELD;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.ticketgate.gateway.TurnCheck;
import java.io.FileInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
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
import javax.net.ssl.KeyManagerFactory;
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
  private HttpConnections client;

  @AfterEach
  void stop() {
    if (client != null) {
      client.close();
    }
    serverGroup.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    seen.forEach(FullHttpRequest::release);
  }

  /** What the test server does with one request: answer (possibly closing after) or not. */
  private record Behaviour(FullHttpResponse response, boolean closeAfter, boolean closeInstead) {
    static Behaviour answer(int status, String body) {
      FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
          Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
      r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, r.content().readableBytes());
      return new Behaviour(r, false, false);
    }
  }

  private int server(Function<FullHttpRequest, Behaviour> behaviour, SslContext ssl) {
    return server((request, onConnection) -> behaviour.apply(request), ssl);
  }

  /** As above, told how many requests came on the connection before this one. */
  private int server(java.util.function.BiFunction<FullHttpRequest, Integer, Behaviour> behaviour, SslContext ssl) {
    Channel server = new ServerBootstrap().group(serverGroup).channel(NioServerSocketChannel.class)
        .childHandler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            connections.incrementAndGet();
            if (ssl != null) {
              ch.pipeline().addLast(ssl.newHandler(ch.alloc()));
            }
            ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(1 << 20),
                new SimpleChannelInboundHandler<FullHttpRequest>() {
                  private int before;

                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
                    seen.add(request.retainedDuplicate());
                    Behaviour b = behaviour.apply(request, before++);
                    if (b == null) {
                      return; // no answer: the client's timeout is under test
                    }
                    if (b.closeInstead()) {
                      ctx.close();
                      return;
                    }
                    var written = ctx.writeAndFlush(b.response().retainedDuplicate());
                    if (b.closeAfter()) {
                      written.addListener(ChannelFutureListener.CLOSE);
                    }
                  }
                });
          }
        }).bind(new InetSocketAddress("127.0.0.1", 0)).syncUninterruptibly().channel();
    return ((InetSocketAddress) server.localAddress()).getPort();
  }

  private HttpConnections client(String url, Duration timeout, TrustManagerFactory trust) {
    client = new HttpConnections(URI.create(url), timeout, trust);
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
    HttpConnections c = new HttpConnections(URI.create("http://127.0.0.1:" + port + "/"), TIMEOUT, null);
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

  @Test
  void httpsChecksTheCertificateAndTheHostName() throws Exception {
    Path keystore = dir.resolve("bot.p12");
    Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
        "-genkeypair", "-alias", "bot", "-keyalg", "RSA", "-keysize", "2048", "-dname", "CN=localhost",
        "-ext", "SAN=dns:localhost", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", "secret123").redirectErrorStream(true).start();
    assertThat(keytool.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(keytool.exitValue()).as(new String(keytool.getInputStream().readAllBytes())).isZero();
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = new FileInputStream(keystore.toFile())) {
      ks.load(in, "secret123".toCharArray());
    }
    KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    keys.init(ks, "secret123".toCharArray());
    TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    trust.init(ks);
    int port = server(r -> Behaviour.answer(200, "secure"), SslContextBuilder.forServer(keys).build());

    HttpConnections right = client("https://localhost:" + port + "/", TIMEOUT, trust);
    assertThat(new String(right.post(new byte[0], Map.of(), Map.of(), HELD).body(), StandardCharsets.UTF_8))
        .isEqualTo("secure");
    right.close();

    HttpConnections wrongName = client("https://127.0.0.1:" + port + "/", TIMEOUT, trust);
    assertThatThrownBy(() -> wrongName.post(new byte[0], Map.of(), Map.of(), HELD)).isInstanceOf(IOException.class);
    wrongName.close();

    HttpConnections untrusted = client("https://localhost:" + port + "/", TIMEOUT, null);
    assertThatThrownBy(() -> untrusted.post(new byte[0], Map.of(), Map.of(), HELD)).isInstanceOf(IOException.class);
  }
}
