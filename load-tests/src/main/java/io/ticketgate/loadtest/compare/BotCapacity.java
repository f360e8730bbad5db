package io.ticketgate.loadtest.compare;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.http.HttpObject;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseDecoder;
import io.netty.handler.codec.http.LastHttpContent;
import io.ticketgate.loadtest.HttpBotServer;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * How many calls a second the compare command's HTTP bot answers when a client much cheaper than
 * any arm keeps it busy: the check that an HTTP pass measures the arms and not the bot.
 *
 * <p>The probe starts a bot process of its own with the pass's latency ({@link HttpBotProcess}, the
 * same process and options as an arm's bot, dispatch log included), keeps a number of calls open at
 * once, one per keep-alive connection as the gateway's client does (a call, its answer, the next
 * call), lets the bot warm up, then counts the answers and reads the bot process's CPU time over a
 * window. Its client writes one request encoded once and reads answers with Netty's decoder, so on
 * cores shared with it the figure is a floor of what the bot sustains: a bot alone does more.
 *
 * <p>Used by one thread. The counters are written by the client's event loop and read by that
 * thread; the {@code stopping} flag goes the other way.
 */
final class BotCapacity {

  /**
   * More calls open at once than any arm keeps (Ticketgate's {@code max_in_flight} default is
   * 1,000, the Parallel Consumer's concurrency 100 by default) would measure a load no arm makes.
   */
  static final int MAX_CALLS_AT_ONCE = 1000;

  /**
   * What one probe measured.
   *
   * @param latencyMillis the bot's latency
   * @param callsAtOnce calls kept open at once
   * @param callsPerSecond calls answered 200 per second over the window
   * @param botCpuMicrosPerCall the bot process's CPU time per answered call; -1 where unknown
   * @param clientCpuMicrosPerCall this JVM's CPU time per answered call (the probe's client, and the
   *     harness idling beside it); -1 where unknown
   * @param failures answers other than 200 and connections lost, over the window
   */
  record Result(int latencyMillis, int callsAtOnce, double callsPerSecond, double botCpuMicrosPerCall,
      double clientCpuMicrosPerCall, long failures) {

    /** For compare.json. */
    Map<String, Object> toMap() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("latency_ms", latencyMillis);
      m.put("calls_at_once", callsAtOnce);
      m.put("calls_per_s", callsPerSecond);
      m.put("bot_cpu_us_per_call", botCpuMicrosPerCall < 0 ? null : botCpuMicrosPerCall);
      m.put("client_cpu_us_per_call", clientCpuMicrosPerCall < 0 ? null : clientCpuMicrosPerCall);
      m.put("failures", failures);
      return m;
    }
  }

  private final LongAdder answered = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private volatile boolean stopping;

  private BotCapacity() {}

  /**
   * Runs one probe: starts the bot, calls it for {@code warmUp + window}, stops it.
   *
   * @param latencyMillis the bot's latency
   * @param callsAtOnce calls kept open at once, 1 to {@value #MAX_CALLS_AT_ONCE}
   * @param warmUp how long the bot is called before counting starts (its JIT compiles meanwhile)
   * @param window how long calls are counted
   * @param logs where the bot's dispatch log and output go
   * @throws IllegalStateException when the bot does not start or not one connection could be made
   */
  static Result measure(int latencyMillis, int callsAtOnce, Duration warmUp, Duration window, Path logs)
      throws IOException, InterruptedException {
    if (callsAtOnce < 1 || callsAtOnce > MAX_CALLS_AT_ONCE) {
      throw new IllegalArgumentException("callsAtOnce was " + callsAtOnce + " but must be at least 1 and at most "
          + MAX_CALLS_AT_ONCE);
    }
    String id = "bot-capacity-" + latencyMillis + "ms";
    Path dispatchLog = logs.resolve(id + ".dispatches.tsv");
    try (HttpBotProcess bot = HttpBotProcess.start(latencyMillis, false, false, dispatchLog,
        logs.resolve(id + ".log"))) {
      return new BotCapacity().run(bot, latencyMillis, callsAtOnce, warmUp, window);
    } finally {
      // Hundreds of thousands of lines nobody verifies: the probe's calls are counted here.
      Files.deleteIfExists(dispatchLog);
    }
  }

  private Result run(HttpBotProcess bot, int latencyMillis, int callsAtOnce, Duration warmUp, Duration window)
      throws InterruptedException {
    URI url = bot.url();
    // One event loop: the client should take as little of the shared cores as it can.
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());
    List<Channel> channels = new ArrayList<>(callsAtOnce);
    try {
      Bootstrap bootstrap = new Bootstrap()
          .group(group)
          .channel(NioSocketChannel.class)
          .option(ChannelOption.TCP_NODELAY, true)
          .handler(new ChannelInitializer<SocketChannel>() {
            @Override
            protected void initChannel(SocketChannel ch) {
              ch.pipeline().addLast(new HttpResponseDecoder(), new Caller(request(url, ch.hashCode())));
            }
          });
      List<ChannelFuture> connecting = new ArrayList<>(callsAtOnce);
      for (int i = 0; i < callsAtOnce; i++) {
        connecting.add(bootstrap.connect(url.getHost(), url.getPort()));
      }
      for (ChannelFuture f : connecting) {
        if (f.await(10, TimeUnit.SECONDS) && f.isSuccess()) {
          channels.add(f.channel());
        }
      }
      if (channels.isEmpty()) {
        throw new IllegalStateException("the bot capacity probe could not connect to " + url);
      }
      Thread.sleep(warmUp.toMillis());
      long answeredBefore = answered.sum();
      long failedBefore = failures.sum();
      long botBefore = CpuUse.processMicros(bot.pid());
      long selfBefore = CpuUse.selfNanos();
      long start = System.nanoTime();
      Thread.sleep(window.toMillis());
      long calls = answered.sum() - answeredBefore;
      long elapsed = System.nanoTime() - start;
      long botAfter = CpuUse.processMicros(bot.pid());
      long selfAfter = CpuUse.selfNanos();
      long failed = failures.sum() - failedBefore;
      return new Result(latencyMillis, channels.size(), calls * 1e9 / elapsed,
          perCall(botBefore, botAfter, calls), perCall(selfBefore / 1000, selfAfter / 1000, calls), failed);
    } finally {
      stopping = true;
      for (Channel c : channels) {
        c.close();
      }
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  private static double perCall(long before, long after, long calls) {
    return before < 0 || after < 0 || calls <= 0 ? -1 : (double) (after - before) / calls;
  }

  /**
   * One connection's request, whole: a conversation of its own, so the bot's bookkeeping per
   * conversation is as in a pass.
   */
  private static byte[] request(URI url, int conversation) {
    byte[] body = ("{\"sender\":\"capacity-probe-" + conversation + "\",\"message\":\"seq=1\",\"metadata\":{\"seq\":1}}")
        .getBytes(StandardCharsets.UTF_8);
    byte[] head = ("POST " + HttpBotServer.PATH + " HTTP/1.1\r\nhost: " + url.getHost() + ":" + url.getPort()
        + "\r\ncontent-type: application/json\r\ncontent-length: " + body.length + "\r\n\r\n")
        .getBytes(StandardCharsets.US_ASCII);
    byte[] whole = new byte[head.length + body.length];
    System.arraycopy(head, 0, whole, 0, head.length);
    System.arraycopy(body, 0, whole, head.length, body.length);
    return whole;
  }

  /** Keeps one call open on its connection: each answer's end sends the next call. */
  private final class Caller extends SimpleChannelInboundHandler<HttpObject> {

    private final byte[] request;
    private boolean ok; // event loop only

    Caller(byte[] request) {
      this.request = request;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
      send(ctx);
      super.channelActive(ctx);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, HttpObject msg) {
      if (msg instanceof HttpResponse response) {
        ok = response.status().code() == 200;
      }
      if (msg instanceof LastHttpContent) {
        (ok ? answered : failures).increment();
        ok = false;
        if (!stopping) {
          send(ctx);
        }
      }
    }

    private void send(ChannelHandlerContext ctx) {
      ctx.writeAndFlush(Unpooled.wrappedBuffer(request), ctx.voidPromise());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      if (!stopping) {
        failures.increment(); // the bot closed a connection in the middle of the run
      }
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      failures.increment();
      ctx.close();
    }
  }

  /** The report's section on the probes, or "" without any. */
  static String section(List<Result> results, Map<Integer, Double> fastestHttpArm) {
    if (results.isEmpty()) {
      return "";
    }
    StringBuilder md = new StringBuilder("## HTTP bot capacity\n\n");
    md.append("""
        Before each latency's http pass, a bot process of its own (the arms' bot, same options) was called
        by a client much cheaper than any arm, that many calls open at once, one per keep-alive connection,
        and counted after a warm-up: what it sustains beside that client on the shared cores, a floor of
        what it does alone. An http pass measures the arms only while this stays well above their rate.

        | latency | calls at once | bot calls/s | x fastest http arm | bot CPU µs/call | probe client CPU µs/call | failures |
        | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
        """);
    for (Result r : results) {
      Double fastest = fastestHttpArm.get(r.latencyMillis());
      md.append(String.format(Locale.ROOT, "| %d ms | %d | %,.0f | %s | %s | %s | %d |%n", r.latencyMillis(),
          r.callsAtOnce(), r.callsPerSecond(),
          CompareReport.times(fastest == null || fastest <= 0 ? null : r.callsPerSecond() / fastest),
          micros(r.botCpuMicrosPerCall()), micros(r.clientCpuMicrosPerCall()), r.failures()));
    }
    return md.append('\n').toString();
  }

  private static String micros(double v) {
    return v < 0 ? "-" : String.format(Locale.ROOT, "%.0f", v);
  }
}
