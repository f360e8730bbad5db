package io.ticketgate.loadtest;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.ByteBufOutputStream;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
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
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The harness's bot: Rasa's REST webhook ({@code POST /webhooks/rest/webhook}, answer
 * {@code [{"recipient_id": sender, "text": "echo: " + message}]}) after a latency drawn for each
 * call, recording every call through a {@link Recorder}. The {@link RecordingBot} of the scenarios
 * and the compare command's HTTP bot process ({@code compare.HttpBotMain}) both run on it.
 *
 * <p>Built so that a load test measures the caller, not the bot: Netty's HTTP/1.1 codec with
 * keep-alive, no thread per call (a call with latency is answered by a task scheduled on its
 * connection's event loop, so thousands of calls can wait at once on two threads), and the request
 * read in one pass.
 *
 * <p>With a number of workers, at most that many calls are served at once and the others wait in
 * line, in arrival order, as at a server with that many workers: its latency grows with the calls in
 * flight beyond them while its throughput does not. The wait is part of the call's latency.
 *
 * <p>Like the load test's recording bot, it reads the sequence number from {@code metadata.seq}
 * (or a message text {@code seq=<n>}) and the ticket from the {@code X-Ticketgate-Ticket} header
 * (or {@code metadata.ticketgate.ticket}); with fencing on it refuses with 409 a ticket lower than
 * the highest one it accepted for the conversation.
 *
 * <p>Thread-safe: the fencing map is concurrent; the recorder must be.
 */
public final class HttpBotServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(HttpBotServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Where Rasa's REST channel listens; any other path is a 404. */
  public static final String PATH = "/webhooks/rest/webhook";
  static final String TICKET_HEADER = "X-Ticketgate-Ticket";
  /** The header each replica's gateway.yml adds so a call can be traced to its replica. */
  public static final String REPLICA_HEADER = "X-Loadtest-Replica";
  /** Request bodies above this are refused (413): compare messages are a few hundred bytes. */
  private static final int MAX_BODY = 1 << 20;

  /**
   * Where the calls go, as they are answered. Called on event-loop threads, concurrently.
   */
  @FunctionalInterface
  public interface Recorder {
    /**
     * One call: {@code ticket} -1 without one; {@code replica} the {@value #REPLICA_HEADER} header or
     * ""; times are {@link System#nanoTime()}; {@code accepted} false when it was refused as fenced.
     */
    void call(String conversation, long seq, long ticket, String replica, long startNanos, long endNanos,
        boolean accepted);
  }

  private final LongSupplier latencyNanos;
  private final boolean fencing;
  private final boolean requireTicket;
  private final Recorder recorder;
  private final EventLoopGroup group;
  private final Channel server;
  private final Map<String, Long> highestTicket = new ConcurrentHashMap<>();
  private final LongAdder answered = new LongAdder();
  private final LongAdder fenced = new LongAdder();
  private final LongAdder malformed = new LongAdder();
  /** At most this many calls served at once; 0 for no limit. */
  private final int workers;
  private final ArrayDeque<Runnable> line = new ArrayDeque<>(); // guarded by line
  private int busy; // guarded by line

  private HttpBotServer(LongSupplier latencyNanos, boolean fencing, boolean requireTicket, int workers, int threads,
      int port, Recorder recorder) {
    this.latencyNanos = latencyNanos;
    this.workers = workers;
    this.fencing = fencing;
    this.requireTicket = requireTicket || fencing;
    this.recorder = recorder;
    this.group = new MultiThreadIoEventLoopGroup(threads, NioIoHandler.newFactory());
    Handler handler = new Handler();
    try {
      this.server = new ServerBootstrap()
          .group(group)
          .channel(NioServerSocketChannel.class)
          .option(ChannelOption.SO_BACKLOG, 4096)
          .childOption(ChannelOption.TCP_NODELAY, true)
          .childHandler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpServerCodec(), new HttpObjectAggregator(MAX_BODY), handler);
            }
          })
          .bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port))
          .syncUninterruptibly()
          .channel();
    } catch (RuntimeException e) {
      group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      throw new IllegalStateException("cannot start the HTTP bot on loopback port " + port + ": " + e, e);
    }
  }

  /**
   * Starts a bot with a fixed latency and no limit on calls at once.
   *
   * @param latencyMillis how long each call takes before its answer, at least 0
   * @param fencing refuse tickets lower than the highest accepted for the conversation
   * @param requireTicket answer 400 to a call without a ticket (fencing implies it)
   * @param threads event-loop threads, at least 1
   * @param port the port, 0 for a free one
   * @param recorder told of every answered call
   */
  public static HttpBotServer start(long latencyMillis, boolean fencing, boolean requireTicket, int threads, int port,
      Recorder recorder) {
    if (latencyMillis < 0) {
      throw new IllegalArgumentException("latency was " + latencyMillis + " ms but must be at least 0");
    }
    long nanos = TimeUnit.MILLISECONDS.toNanos(latencyMillis);
    return start(() -> nanos, fencing, requireTicket, 0, threads, port, recorder);
  }

  /**
   * Starts a bot on loopback.
   *
   * @param latencyNanos each call's latency once it has a worker, drawn when it gets one
   * @param fencing refuse tickets lower than the highest accepted for the conversation
   * @param requireTicket answer 400 to a call without a ticket (fencing implies it)
   * @param workers at most this many calls served at once, the rest waiting in line; 0 for no limit
   * @param threads event-loop threads, at least 1
   * @param port the port, 0 for a free one
   * @param recorder told of every answered call
   */
  public static HttpBotServer start(LongSupplier latencyNanos, boolean fencing, boolean requireTicket, int workers,
      int threads, int port, Recorder recorder) {
    if (threads < 1) {
      throw new IllegalArgumentException("threads was " + threads + " but must be at least 1");
    }
    if (workers < 0) {
      throw new IllegalArgumentException("workers was " + workers + " but must be 0 (no limit) or more");
    }
    return new HttpBotServer(latencyNanos, fencing, requireTicket, workers, threads, port, recorder);
  }

  /** The base URL for {@code bot.url} (without the webhook path, as Rasa's). */
  public URI url() {
    return URI.create("http://127.0.0.1:" + ((InetSocketAddress) server.localAddress()).getPort());
  }

  /** Calls answered 200. */
  public long answered() {
    return answered.sum();
  }

  /** Calls refused as fenced (409). */
  public long fenced() {
    return fenced.sum();
  }

  /** Calls that could not be understood (400). */
  public long malformed() {
    return malformed.sum();
  }

  /** Stops listening and waits for the event loops to end; calls still waiting get no answer. */
  @Override
  public void close() {
    server.close().syncUninterruptibly();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  /** What a request asks, or why it cannot be answered. */
  private record Call(String sender, String message, long seq, long ticket, String replica, String problem) {
    static Call bad(String problem) {
      return new Call(null, null, -1, -1, "", problem);
    }
  }

  private Call read(FullHttpRequest request) {
    JsonNode body;
    try (ByteBufInputStream in = new ByteBufInputStream(request.content())) {
      body = JSON.readTree((java.io.InputStream) in);
    } catch (IOException e) {
      return Call.bad("the body is not JSON: " + e.getMessage());
    }
    if (body == null || !body.isObject()) {
      return Call.bad("the body is not a JSON object");
    }
    String sender = body.path("sender").asText(null);
    String message = body.path("message").asText("");
    JsonNode metadata = body.path("metadata");
    long seq = metadata.path("seq").asLong(seqOf(message));
    long ticket = metadata.path("ticketgate").path("ticket").asLong(-1);
    String header = request.headers().get(TICKET_HEADER);
    if (header != null) {
      try {
        ticket = Long.parseLong(header.trim());
      } catch (NumberFormatException e) {
        return Call.bad(TICKET_HEADER + " '" + header + "' is not a number");
      }
    }
    if (sender == null || seq < 0 || (ticket < 0 && requireTicket)) {
      return Call.bad("need sender, metadata.seq" + (requireTicket ? " and " + TICKET_HEADER : ""));
    }
    String replica = request.headers().get(REPLICA_HEADER);
    return new Call(sender, message, seq, ticket, replica == null ? "" : replica, null);
  }

  /** The n of a message text {@code seq=<n>}, or -1. */
  static long seqOf(String message) {
    if (message == null || !message.startsWith("seq=")) {
      return -1;
    }
    try {
      return Long.parseLong(message.substring(4).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Accepts the ticket if it is not lower than the highest accepted one, atomically. */
  private boolean admit(String conversation, long ticket) {
    boolean[] ok = new boolean[1];
    highestTicket.compute(conversation, (k, highest) -> {
      ok[0] = highest == null || ticket >= highest;
      return ok[0] ? Long.valueOf(ticket) : highest;
    });
    return ok[0];
  }

  @ChannelHandler.Sharable
  private final class Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      long start = System.nanoTime();
      boolean keepAlive = HttpUtil.isKeepAlive(request);
      if (!request.decoderResult().isSuccess()) {
        malformed.increment();
        respond(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, error("the request could not be decoded"));
        return;
      }
      String path = request.uri();
      int query = path.indexOf('?');
      if (!(query < 0 ? path : path.substring(0, query)).equals(PATH)) {
        respond(ctx, keepAlive, HttpResponseStatus.NOT_FOUND, error("only " + PATH));
        return;
      }
      if (!HttpMethod.POST.equals(request.method())) {
        respond(ctx, keepAlive, HttpResponseStatus.METHOD_NOT_ALLOWED, error("only POST"));
        return;
      }
      Call call = read(request);
      if (call.problem() != null) {
        malformed.increment();
        log.warn("HTTP bot got a request it cannot answer: {}", call.problem());
        respond(ctx, keepAlive, HttpResponseStatus.BAD_REQUEST, error(call.problem()));
        return;
      }
      if (fencing && !admit(call.sender(), call.ticket())) {
        fenced.increment();
        recorder.call(call.sender(), call.seq(), call.ticket(), call.replica(), start, System.nanoTime(), false);
        respond(ctx, keepAlive, HttpResponseStatus.CONFLICT,
            error("ticket " + call.ticket() + " is fenced for " + call.sender()));
        return;
      }
      Runnable serve = () -> serve(ctx, keepAlive, call, start);
      if (workers == 0) {
        serve.run();
        return;
      }
      synchronized (line) {
        if (busy == workers) {
          line.add(serve);
          return;
        }
        busy++;
      }
      serve.run();
    }

    /** Answers after the call's latency, on the connection's own event loop. */
    private void serve(ChannelHandlerContext ctx, boolean keepAlive, Call call, long start) {
      long nanos = latencyNanos.getAsLong();
      if (nanos <= 0 && ctx.executor().inEventLoop()) {
        answer(ctx, keepAlive, call, start);
      } else {
        // The connection's own loop: the answer cannot overtake an earlier one on it.
        ctx.executor().schedule(() -> answer(ctx, keepAlive, call, start), Math.max(0, nanos), TimeUnit.NANOSECONDS);
      }
    }

    /** A worker is free again: the next call in line gets it. */
    private void freeWorker() {
      Runnable next;
      synchronized (line) {
        next = line.poll();
        if (next == null) {
          busy--;
          return;
        }
      }
      next.run();
    }

    private void answer(ChannelHandlerContext ctx, boolean keepAlive, Call call, long start) {
      ByteBuf body = ctx.alloc().buffer(64 + call.sender().length() + call.message().length());
      try (ByteBufOutputStream out = new ByteBufOutputStream(body);
          JsonGenerator json = JSON.getFactory().createGenerator((java.io.OutputStream) out, JsonEncoding.UTF8)) {
        json.writeStartArray();
        json.writeStartObject();
        json.writeStringField("recipient_id", call.sender());
        json.writeStringField("text", "echo: " + call.message());
        json.writeEndObject();
        json.writeEndArray();
      } catch (IOException e) {
        body.release();
        throw new UncheckedIOException("cannot write the answer for " + call.sender(), e);
      }
      // Recorded before the answer leaves: the caller may release the ticket as soon as it reads it,
      // and the conversation's next call must not appear to start before this one ends.
      recorder.call(call.sender(), call.seq(), call.ticket(), call.replica(), start, System.nanoTime(), true);
      answered.increment();
      respond(ctx, keepAlive, HttpResponseStatus.OK, body);
      if (workers > 0) {
        freeWorker();
      }
    }

    private ByteBuf error(String message) {
      try {
        return Unpooled.wrappedBuffer(JSON.writeValueAsBytes(Map.of("error", message)));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot encode the error " + message, e);
      }
    }

    private void respond(ChannelHandlerContext ctx, boolean keepAlive, HttpResponseStatus status, ByteBuf body) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status, body);
      response.headers()
          .set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON)
          .setInt(HttpHeaderNames.CONTENT_LENGTH, body.readableBytes());
      if (keepAlive) {
        response.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.KEEP_ALIVE);
        ctx.writeAndFlush(response, ctx.voidPromise());
      } else {
        ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      log.warn("HTTP bot closes a connection after an error: {}", cause.toString());
      ctx.close();
    }
  }
}
