package io.ticketgate.gateway.bot;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.TooLongFrameException;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http2.Http2FrameCodec;
import io.netty.handler.codec.http2.Http2FrameCodecBuilder;
import io.netty.handler.codec.http2.Http2MultiplexHandler;
import io.netty.handler.codec.http2.Http2SecurityUtil;
import io.netty.handler.codec.http2.Http2Settings;
import io.netty.handler.codec.http2.Http2StreamChannel;
import io.netty.handler.codec.http2.Http2StreamChannelBootstrap;
import io.netty.handler.codec.http2.Http2StreamFrameToHttpObjectCodec;
import io.netty.handler.ssl.ApplicationProtocolConfig;
import io.netty.handler.ssl.ApplicationProtocolNames;
import io.netty.handler.ssl.ApplicationProtocolNegotiationHandler;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.ssl.SupportedCipherSuiteFilter;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.ScheduledFuture;
import io.ticketgate.gateway.TurnCheck;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.TrustManagerFactory;

/**
 * Connections to one bot, on Netty. HTTP/1.1 keep-alive connections: a caller borrows an idle
 * connection (or opens one), sends one request on it, and gives it back when the answer allows
 * reuse. HTTP/2, when offered ({@code bot.http2}) and an https bot chooses it in the TLS handshake
 * (ALPN): callers share the connection, one stream per call, up to
 * {@link #MAX_STREAMS_PER_CONNECTION} (or the bot's own limit) before another is opened.
 *
 * <p>Why not the JDK's {@code HttpClient}: measured in the compare harness's HTTP pass, it cost the
 * gateway more CPU per message than everything else a message needs (each exchange hops between the
 * caller, the client's selector thread and its executor, through chains of futures). Here a call is
 * the caller's write and one completion from the connection's event loop.
 *
 * <p>Concurrency: the idle deque, the HTTP/2 sessions (each with its atomic stream count), the
 * connect others wait for ({@code opening}) and the in-flight count are the only shared state, all
 * concurrent. A connection is owned by one exchange at a time: it is in the deque only while idle.
 * Each connection's {@link Exchange} handler is touched by its event loop and, to start an
 * exchange, by the borrowing thread before the request is written (the write happens-before the
 * event loop reading the answer).
 */
final class HttpConnections implements AutoCloseable {

  /** What a new connection was set up as: its {@link Exchange} or its {@link H2Session}, once known. */
  private static final AttributeKey<CompletableFuture<Object>> NEGOTIATED = AttributeKey.valueOf("ticketgate-negotiated");

  /**
   * Streams one HTTP/2 connection carries at most, whatever the bot allows: beyond it another
   * connection is opened, so one slow connection does not hold every call.
   */
  static final int MAX_STREAMS_PER_CONNECTION = 100;

  /** Answers above this are refused as broken: a bot's replies are a few kilobytes. */
  static final int MAX_ANSWER_BYTES = 16 * 1024 * 1024;
  /**
   * A connection idle longer than this is closed rather than reused: bots' servers close idle
   * keep-alive connections after a few seconds to minutes, and a pool of dead ones helps nobody.
   */
  static final Duration MAX_IDLE = Duration.ofSeconds(30);

  private final URI url;
  private final String host;
  private final int port;
  private final String target;
  private final String hostHeader;
  private final Duration timeout;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  /** Idle connections, each by its exchange handler, so a call finds its handler without a pipeline lookup. */
  private final ConcurrentLinkedDeque<Exchange> idle = new ConcurrentLinkedDeque<>();
  private final boolean tls;
  /** Whether the bot chose HTTP/2 in its last TLS handshake; null before the first (false when not offered). */
  private volatile Boolean speaksHttp2;
  /** Completes when the connect in progress that others wait for ends; null when none is. */
  private final AtomicReference<CompletableFuture<Void>> opening = new AtomicReference<>();
  /** HTTP/2 connections, each shared by the calls it has room for; newest first. */
  private final ConcurrentLinkedDeque<H2Session> sessions = new ConcurrentLinkedDeque<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closed;

  /**
   * @param url where every request goes (http or https)
   * @param timeout how long connecting may take, and then how long the answer may take
   * @param trust the trust for https, or null for the JVM's default trust store
   * @param http2 whether to offer HTTP/2 in the TLS handshake of an https bot
   */
  HttpConnections(URI url, Duration timeout, TrustManagerFactory trust, boolean http2) {
    this.url = url;
    this.timeout = timeout;
    this.tls = url.getScheme().equalsIgnoreCase("https");
    this.speaksHttp2 = http2 ? null : Boolean.FALSE; // not offered: connect at once, as on http://
    this.host = url.getHost();
    this.port = url.getPort() > 0 ? url.getPort() : tls ? 443 : 80;
    String path = url.getRawPath() == null || url.getRawPath().isEmpty() ? "/" : url.getRawPath();
    this.target = url.getRawQuery() == null ? path : path + "?" + url.getRawQuery();
    String hostName = host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host;
    this.hostHeader = url.getPort() > 0 ? hostName + ":" + url.getPort() : hostName;
    SslContext ssl = tls ? sslContext(trust, http2) : null;
    // Two loops: enough for tens of thousands of calls a second, few enough to leave the cores to
    // the rest of the gateway. Daemon threads: an embedding application's exit is not held up.
    this.group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory("ticketgate-bot-http", true),
        NioIoHandler.newFactory());
    this.bootstrap = new Bootstrap()
        .group(group)
        .channel(NioSocketChannel.class)
        .option(ChannelOption.TCP_NODELAY, true)
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, timeout.toMillis()))
        .handler(new ChannelInitializer<SocketChannel>() {
          @Override
          protected void initChannel(SocketChannel ch) {
            CompletableFuture<Object> negotiated = new CompletableFuture<>();
            ch.attr(NEGOTIATED).set(negotiated);
            if (ssl == null) {
              negotiated.complete(addHttp1(ch.pipeline()));
              return;
            }
            SslHandler handler = ssl.newHandler(ch.alloc(), host, port);
            SSLParameters parameters = handler.engine().getSSLParameters();
            // Netty leaves host name checking to the caller; without it any trusted certificate
            // would do for any bot.
            parameters.setEndpointIdentificationAlgorithm("HTTPS");
            handler.engine().setSSLParameters(parameters);
            ch.pipeline().addLast(handler, new Negotiation(negotiated));
          }
        });
  }

  /** HTTP/1.1 on a new connection's pipeline; the exchange handler that serves it. */
  private static Exchange addHttp1(ChannelPipeline pipeline) {
    Exchange exchange = new Exchange();
    pipeline.addLast(exchange.bytesSeen(), new HttpClientCodec(), new HttpObjectAggregator(MAX_ANSWER_BYTES), exchange);
    return exchange;
  }

  /**
   * Sets up a TLS connection for the protocol the bot chose in the handshake (ALPN): HTTP/2 when it
   * offers it, else HTTP/1.1 (also when it does not negotiate at all). Completes {@code negotiated}
   * with the connection's {@link Exchange} (HTTP/1.1) or {@link H2Session} (HTTP/2).
   */
  private final class Negotiation extends ApplicationProtocolNegotiationHandler {
    private final CompletableFuture<Object> negotiated;

    Negotiation(CompletableFuture<Object> negotiated) {
      super(ApplicationProtocolNames.HTTP_1_1);
      this.negotiated = negotiated;
    }

    @Override
    protected void configurePipeline(ChannelHandlerContext ctx, String protocol) {
      if (ApplicationProtocolNames.HTTP_2.equals(protocol)) {
        Http2FrameCodec codec = Http2FrameCodecBuilder.forClient()
            .initialSettings(Http2Settings.defaultSettings().pushEnabled(false)).build();
        // The bot cannot open streams towards a client (push is off): any it tries is closed.
        ctx.pipeline().addLast(codec, new Http2MultiplexHandler(new ChannelInboundHandlerAdapter() {
          @Override
          public void channelActive(ChannelHandlerContext stream) {
            stream.close();
          }
        }));
        negotiated.complete(new H2Session(ctx.channel(), codec));
      } else {
        negotiated.complete(addHttp1(ctx.pipeline()));
      }
    }

    @Override
    protected void handshakeFailure(ChannelHandlerContext ctx, Throwable cause) {
      negotiated.completeExceptionally(cause instanceof IOException ? cause
          : new IOException("TLS with the bot at " + host + ":" + port + " failed: " + cause, cause));
      ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      negotiated.completeExceptionally(new IOException("the bot at " + host + ":" + port
          + " closed the connection during the TLS handshake"));
      super.channelInactive(ctx);
    }
  }

  /**
   * The TLS side of offering HTTP/2: the ciphers HTTP/2 allows, and HTTP/2 first, then HTTP/1.1, in
   * the handshake. A peer that picks neither (or does not negotiate) gets HTTP/1.1.
   */
  static SslContextBuilder offerHttp2(SslContextBuilder builder) {
    return builder.ciphers(Http2SecurityUtil.CIPHERS, SupportedCipherSuiteFilter.INSTANCE)
        .applicationProtocolConfig(new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT,
            ApplicationProtocolNames.HTTP_2, ApplicationProtocolNames.HTTP_1_1));
  }

  private static SslContext sslContext(TrustManagerFactory trust, boolean http2) {
    try {
      SslContextBuilder builder = SslContextBuilder.forClient().trustManager(trust);
      return (http2 ? offerHttp2(builder) : builder).build();
    } catch (SSLException e) {
      throw new IllegalStateException("cannot set up TLS for the bot: " + e.getMessage(), e);
    }
  }

  /**
   * A completed exchange: the status, the body, and the headers of the answer.
   *
   * @param status the HTTP status
   * @param body the body, empty when there was none
   * @param retryAfter the {@code Retry-After} header, or null
   */
  record Response(int status, byte[] body, String retryAfter) {}

  /**
   * POSTs {@code body} with {@code headers}, then {@code callHeaders} (plus Host and
   * Content-Length), and waits for the answer. {@code turn} is checked on the connection's event
   * loop in the task that writes the request; when it is lost nothing is written.
   *
   * @throws TurnLost when {@code turn} was lost as the request was about to be written
   * @throws HttpConnectTimeoutException when no connection could be made within the timeout
   * @throws HttpTimeoutException when the answer did not come within the timeout
   * @throws IOException when the connection failed or broke (a refusal is a {@link java.net.ConnectException})
   * @throws InterruptedException when the caller was interrupted; the exchange is abandoned
   */
  Response post(byte[] body, Map<String, String> headers, Map<String, String> callHeaders, TurnCheck turn)
      throws IOException, InterruptedException {
    if (closed) {
      throw new IOException("the bot's HTTP client is closed");
    }
    inFlight.incrementAndGet();
    try {
      H2Session session = sessionWithRoom();
      if (session != null) {
        try {
          return session.exchange(request(body, headers, callHeaders), turn);
        } catch (StaleConnection e) {
          // The connection ended before the request went out on it: nothing was sent. Once more on
          // a new connection.
        }
      }
      Exchange reused = borrowIdle();
      if (reused != null) {
        try {
          return exchange(reused, body, headers, callHeaders, turn);
        } catch (StaleConnection e) {
          // The bot closed this kept-alive connection while it was idle, and not a byte of an
          // answer came: the request was not taken. Once more on a new connection, so an idle
          // period does not turn into a burst of failures that opens the breaker.
        }
      }
      if (closed) {
        throw new IOException("the bot's HTTP client was closed during the call");
      }
      try {
        Object fresh = open();
        if (fresh instanceof H2Session s) {
          return s.exchange(request(body, headers, callHeaders), turn);
        }
        return exchange((Exchange) fresh, body, headers, callHeaders, turn);
      } catch (StaleConnection e) {
        throw (IOException) e.getCause();
      }
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /** The request a call sends, on either protocol; the caller writes or releases it. */
  private FullHttpRequest request(byte[] body, Map<String, String> headers, Map<String, String> callHeaders) {
    FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, target,
        Unpooled.wrappedBuffer(body));
    HttpHeaders h = request.headers();
    // On HTTP/2 the codec turns Host into :authority.
    h.set(HttpHeaderNames.HOST, hostHeader);
    for (Map.Entry<String, String> e : headers.entrySet()) {
      h.set(e.getKey(), e.getValue());
    }
    for (Map.Entry<String, String> e : callHeaders.entrySet()) {
      h.set(e.getKey(), e.getValue());
    }
    h.setInt(HttpHeaderNames.CONTENT_LENGTH, body.length);
    return request;
  }

  /**
   * An HTTP/2 connection with room for one more stream, reserved for the caller; null when there is
   * none. A connection the bot is closing (GOAWAY) takes no new streams.
   */
  private H2Session sessionWithRoom() {
    for (H2Session s : sessions) {
      if (s.tryReserve()) {
        return s;
      }
    }
    return null;
  }

  /** One request on {@code exchange}'s connection, which then goes back to the pool or is closed. */
  private Response exchange(Exchange exchange, byte[] body, Map<String, String> headers,
      Map<String, String> callHeaders, TurnCheck turn) throws IOException, InterruptedException {
    Channel channel = exchange.channel();
    boolean keep = false;
    try {
      FullHttpRequest request = request(body, headers, callHeaders);
      CompletableFuture<Response> answer = exchange.start(timeout);
      try {
        // The last check of the turn, in the same event-loop task that writes the request: a process
        // stopped after the caller's check (a GC pause, SIGSTOP) would otherwise send on resume with a
        // ticket that may be another holder's by now, possibly before that holder's first call.
        channel.eventLoop().execute(() -> writeUnlessLost(exchange, request, turn, answer, false));
      } catch (RejectedExecutionException e) {
        request.release();
        throw new IOException("the bot's HTTP client was closed during the call", e);
      }
      try {
        Response response = await(answer);
        keep = exchange.reusable();
        return response;
      } catch (TurnLost e) {
        keep = true; // nothing was written: the connection is as idle as it was
        throw e;
      } catch (IOException e) {
        if (!(e instanceof HttpTimeoutException) && !exchange.sawBytes()) {
          throw new StaleConnection(e);
        }
        throw e;
      }
    } finally {
      if (keep && !closed) {
        exchange.idleSince = System.nanoTime();
        idle.addFirst(exchange); // most recently used first: the likeliest to be still open
        if (closed && idle.remove(exchange)) {
          channel.close();
        }
      } else {
        channel.close(); // broken, timed out, abandoned or not to be reused: its state is unknown
      }
    }
  }

  /**
   * On the event loop: writes {@code request} unless {@code turn} is lost. With
   * {@code failedWriteIsStale}, a write that fails (the connection ended first) fails the call as
   * stale: nothing went out, so it may go again on a new connection.
   */
  private static void writeUnlessLost(Exchange exchange, FullHttpRequest request, TurnCheck turn,
      CompletableFuture<Response> answer, boolean failedWriteIsStale) {
    boolean lost;
    try {
      lost = turn.isLost();
    } catch (RuntimeException e) {
      request.release();
      exchange.fail(new IOException("checking the turn before writing the request failed: " + e, e));
      return;
    }
    if (lost) {
      request.release();
      exchange.fail(new TurnLost());
      return;
    }
    exchange.channel().writeAndFlush(request).addListener(f -> {
      if (!f.isSuccess()) {
        Throwable cause = f.cause();
        answer.completeExceptionally(failedWriteIsStale
            ? new StaleConnection(cause instanceof IOException io ? io : new IOException(cause.toString(), cause))
            : cause);
      }
    });
  }

  /** Nothing was written: the caller's turn was lost as its request was about to be. */
  static final class TurnLost extends IOException {
    TurnLost() {
      super("the turn was lost before the request was written");
    }
  }

  /** An exchange that failed before a byte of the answer arrived. */
  private static final class StaleConnection extends IOException {
    StaleConnection(IOException cause) {
      super(cause.getMessage(), cause);
    }
  }

  /** An idle connection that is still open and was not idle too long, or null. */
  private Exchange borrowIdle() {
    long now = System.nanoTime();
    for (Exchange e = idle.pollFirst(); e != null; e = idle.pollFirst()) {
      if (e.channel().isActive() && now - e.idleSince < MAX_IDLE.toNanos()) {
        return e;
      }
      e.channel().close();
    }
    return null;
  }

  /**
   * A connection for one call: a new HTTP/1.1 connection's {@link Exchange}, or an HTTP/2
   * connection with a stream reserved for the call. Where HTTP/2 may be spoken (https, and the bot
   * has not chosen HTTP/1.1 before), one caller at a time connects and the others wait for it: a
   * burst of calls on a cold client then shares one new HTTP/2 connection instead of opening one
   * each.
   */
  private Object open() throws IOException, InterruptedException {
    if (!tls || Boolean.FALSE.equals(speaksHttp2)) {
      return connect();
    }
    CompletableFuture<Void> mine = new CompletableFuture<>();
    CompletableFuture<Void> other = opening.compareAndExchange(null, mine);
    if (other == null) {
      try {
        // Another caller's connect may have ended just before this one began.
        H2Session made = sessionWithRoom();
        if (made != null) {
          return made;
        }
        Object fresh = connect();
        speaksHttp2 = fresh instanceof H2Session;
        if (fresh instanceof H2Session s) {
          s.reserve();
          sessions.addFirst(s);
          s.channel.closeFuture().addListener(f -> sessions.remove(s));
        }
        return fresh;
      } finally {
        opening.set(null);
        mine.complete(null);
      }
    }
    try {
      other.get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | TimeoutException e) {
      // Its failure is its caller's to report; this call tries for itself.
    }
    H2Session shared = sessionWithRoom();
    return shared != null ? shared : connect();
  }

  /**
   * A new connection, set up for its protocol: its {@link Exchange} (HTTP/1.1) or its
   * {@link H2Session} (HTTP/2, chosen by the bot during the TLS handshake).
   */
  private Object connect() throws IOException, InterruptedException {
    long start = System.nanoTime();
    Channel channel = connectChannel();
    CompletableFuture<Object> negotiated = channel.attr(NEGOTIATED).get();
    long left = timeout.toNanos() + TimeUnit.SECONDS.toNanos(1) - (System.nanoTime() - start);
    try {
      return negotiated.get(Math.max(1, left), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      channel.close();
      throw new HttpConnectTimeoutException("no TLS session with " + host + ":" + port + " within " + timeout);
    } catch (ExecutionException e) {
      channel.close();
      Throwable cause = e.getCause();
      throw cause instanceof IOException io ? io : new IOException("cannot connect to " + host + ":" + port, cause);
    } catch (InterruptedException e) {
      channel.close();
      throw e;
    }
  }

  /** A new TCP connection, its pipeline being set up. */
  private Channel connectChannel() throws IOException, InterruptedException {
    ChannelFuture connect;
    try {
      connect = bootstrap.connect(host, port);
    } catch (RuntimeException e) {
      // The event loops refuse new channels once close() shut them down.
      throw new IOException("cannot connect to " + host + ":" + port + ": " + e, e);
    }
    try {
      if (!connect.await(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
        connect.channel().close();
        throw new HttpConnectTimeoutException("no connection to " + host + ":" + port + " within " + timeout);
      }
    } catch (InterruptedException e) {
      connect.channel().close();
      throw e;
    }
    if (!connect.isSuccess()) {
      Throwable cause = connect.cause();
      if (cause instanceof io.netty.channel.ConnectTimeoutException) {
        HttpConnectTimeoutException t = new HttpConnectTimeoutException("no connection to " + host + ":" + port
            + " within " + timeout);
        t.initCause(cause);
        throw t;
      }
      throw cause instanceof IOException io ? io : new IOException("cannot connect to " + host + ":" + port, cause);
    }
    return connect.channel();
  }

  private static Response await(CompletableFuture<Response> answer) throws IOException, InterruptedException {
    try {
      return answer.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      throw new IOException("the exchange with the bot failed: " + cause, cause);
    } catch (CancellationException e) {
      throw new IOException("the exchange with the bot was cancelled", e);
    }
  }

  /** Calls in progress. */
  int inFlight() {
    return inFlight.get();
  }

  /** Idle connections kept for reuse. */
  int idleConnections() {
    return idle.size();
  }

  /** HTTP/2 connections open. */
  int http2Connections() {
    return sessions.size();
  }

  /**
   * Lets calls in progress finish for up to {@code grace}, then closes every connection; calls still
   * open fail with an {@link IOException}.
   */
  void close(Duration grace) {
    closed = true;
    long deadline = System.nanoTime() + grace.toNanos();
    try {
      while (inFlight.get() > 0 && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Exchange e = idle.pollFirst(); e != null; e = idle.pollFirst()) {
      e.channel().close();
    }
    for (H2Session s : sessions) {
      s.channel.close();
    }
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
  }

  @Override
  public void close() {
    close(Duration.ZERO);
  }

  @Override
  public String toString() {
    return "HttpConnections[" + url + "]";
  }

  /**
   * One HTTP/2 connection and the streams it carries, one per call. The stream count is the only
   * state shared between callers; the connection's own state is its event loop's.
   */
  private final class H2Session {
    final Channel channel;
    private final Http2FrameCodec codec;
    /** Streams reserved or open on this connection. */
    private final AtomicInteger streams = new AtomicInteger();

    H2Session(Channel channel, Http2FrameCodec codec) {
      this.channel = channel;
      this.codec = codec;
    }

    /** Reserves a stream when the connection is open, not closing, and has room; read off the event loop, a hint. */
    boolean tryReserve() {
      if (!channel.isActive() || codec.connection().goAwayReceived()) {
        return false;
      }
      int max = Math.min(MAX_STREAMS_PER_CONNECTION, codec.connection().local().maxActiveStreams());
      for (int n = streams.get(); n < max; n = streams.get()) {
        if (streams.compareAndSet(n, n + 1)) {
          return true;
        }
      }
      return false;
    }

    /** Reserves the first stream of a new connection. */
    void reserve() {
      streams.incrementAndGet();
    }

    /**
     * Sends {@code request} on a new stream of this connection (reserved by the caller) and waits for
     * the answer. The stream is opened, armed and written in one event-loop task, so the caller
     * waits once, for the answer.
     */
    Response exchange(FullHttpRequest request, TurnCheck turn) throws IOException, InterruptedException {
      Exchange exchange = new Exchange();
      CompletableFuture<Response> answer = new CompletableFuture<>();
      AtomicReference<Channel> opened = new AtomicReference<>();
      Http2StreamChannelBootstrap bootstrap = new Http2StreamChannelBootstrap(channel)
          .handler(new ChannelInitializer<Http2StreamChannel>() {
            @Override
            protected void initChannel(Http2StreamChannel ch) {
              // No bytesSeen(): on HTTP/2 a call is sent again only when its write failed, not by
              // whether an answer began.
              ch.pipeline().addLast(new Http2StreamFrameToHttpObjectCodec(false),
                  new HttpObjectAggregator(MAX_ANSWER_BYTES), exchange);
            }
          });
      try {
        try {
          channel.eventLoop().execute(() -> bootstrap.open().addListener(f -> {
            if (!f.isSuccess()) {
              request.release();
              answer.completeExceptionally(new StaleConnection(new IOException("cannot open a stream to the bot at "
                  + host + ":" + port + ": " + f.cause(), f.cause())));
              return;
            }
            Channel stream = (Channel) f.getNow();
            opened.set(stream);
            exchange.start(answer, timeout);
            // As on HTTP/1.1: the turn's last check is in the task that writes the request.
            writeUnlessLost(exchange, request, turn, answer, true);
          }));
        } catch (RejectedExecutionException e) {
          request.release();
          throw new IOException("the bot's HTTP client was closed during the call", e);
        }
        return await(answer);
      } finally {
        Channel stream = opened.get();
        if (stream != null) {
          stream.close(); // after a complete answer a no-op; else the stream is reset, the connection kept
        }
        if (streams.decrementAndGet() == 0 && codec.connection().goAwayReceived()) {
          channel.close(); // the bot asked for no more streams here, and the last one is done
        }
      }
    }
  }

  /**
   * The one exchange in progress on a connection: completes its future from the event loop with the
   * answer, a timeout or the connection's end.
   */
  private static final class Exchange extends SimpleChannelInboundHandler<FullHttpResponse> {

    private volatile CompletableFuture<Response> answer;
    private volatile ScheduledFuture<?> deadline;
    private volatile boolean reusable;
    private volatile boolean sawBytes;
    private volatile ChannelHandlerContext ctx;
    /** When the connection went back to the pool; written by the borrowing thread before it does. */
    volatile long idleSince;

    /** A handler for the head of the pipeline that notes that the answer has begun to arrive. */
    ChannelInboundHandlerAdapter bytesSeen() {
      return new ChannelInboundHandlerAdapter() {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
          sawBytes = true;
          ctx.fireChannelRead(msg);
        }
      };
    }

    /** Whether any of the answer to the current exchange arrived. */
    boolean sawBytes() {
      return sawBytes;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
      this.ctx = ctx;
    }

    /** The connection this handler serves; known once the handler is in its pipeline. */
    Channel channel() {
      return ctx.channel();
    }

    /** Arms the exchange before its request is written. */
    CompletableFuture<Response> start(Duration timeout) {
      return start(new CompletableFuture<>(), timeout);
    }

    /** Arms the exchange to complete {@code a}. */
    CompletableFuture<Response> start(CompletableFuture<Response> a, Duration timeout) {
      reusable = false;
      sawBytes = false;
      answer = a;
      deadline = ctx.executor().schedule(() -> {
        if (a.completeExceptionally(new HttpTimeoutException("the bot did not answer within " + timeout))) {
          ctx.close();
        }
      }, timeout.toNanos(), TimeUnit.NANOSECONDS);
      return a;
    }

    boolean reusable() {
      return reusable;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse response) {
      CompletableFuture<Response> a = answer;
      if (a == null || a.isDone()) {
        ctx.close(); // an answer nobody asked for: the connection is out of step
        return;
      }
      cancelDeadline();
      reusable = HttpUtil.isKeepAlive(response) && response.decoderResult().isSuccess();
      if (!response.decoderResult().isSuccess()) {
        a.completeExceptionally(new IOException("unreadable answer from the bot: " + response.decoderResult().cause(),
            response.decoderResult().cause()));
        return;
      }
      a.complete(new Response(response.status().code(), ByteBufUtil.getBytes(response.content()),
          response.headers().get(HttpHeaderNames.RETRY_AFTER)));
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      fail(new IOException("the bot closed the connection before answering"));
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof TooLongFrameException) {
        fail(new IOException("the bot's answer exceeds " + MAX_ANSWER_BYTES + " bytes", cause));
      } else {
        fail(cause instanceof IOException ? cause : new IOException(cause.toString(), cause));
      }
      ctx.close();
    }

    private void fail(Throwable cause) {
      cancelDeadline();
      CompletableFuture<Response> a = answer;
      if (a != null) {
        a.completeExceptionally(cause);
      }
    }

    private void cancelDeadline() {
      ScheduledFuture<?> d = deadline;
      if (d != null) {
        d.cancel(false);
      }
    }
  }
}
