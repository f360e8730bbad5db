package io.ticketgate.gateway.bot;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
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
import io.netty.handler.ssl.SslContext;
import io.ticketgate.gateway.TurnCheck;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.TrustManagerFactory;

/**
 * What a bot call costs on each protocol the HTTP client speaks: plain HTTP/1.1, HTTP/1.1 over TLS,
 * and HTTP/2 over TLS, against a bot on loopback in the same JVM that answers at once with a Rasa
 * reply. Not a test: a main, run as {@code docs/benchmarks.md} says. Reports, per protocol, calls a
 * second, the CPU per call of the client (every thread but the bot's) and of the bot, and the
 * connections the bot accepted;
 * the protocols alternate, twice, so a drifting machine shows as a spread.
 *
 * <p>Arguments: calls per measurement (default 50,000), calls in flight (default 64).
 */
final class HttpProtocolsBenchmark {

  private static final byte[] REQUEST = ("{\"sender\":\"conv-123\",\"message\":\"hello there, seq=42\","
      + "\"metadata\":{\"ticketgate\":{\"ticket\":7,\"topic\":\"chat-in\",\"partition\":3,\"offset\":123456}}}")
      .getBytes(StandardCharsets.UTF_8);
  private static final byte[] ANSWER = "[{\"recipient_id\":\"conv-123\",\"text\":\"echo: hello there, seq=42\"}]"
      .getBytes(StandardCharsets.UTF_8);

  private enum Protocol { HTTP1, HTTP1_TLS, HTTP2_TLS }

  /** The name of the bot's event-loop threads, whose CPU is told apart from the client's. */
  private static final String BOT_THREADS = "bench-bot";

  private HttpProtocolsBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    int calls = args.length > 0 ? Integer.parseInt(args[0]) : 50_000;
    int inFlight = args.length > 1 ? Integer.parseInt(args[1]) : 64;
    Path dir = Files.createTempDirectory("ticketgate-http-bench");
    KeyStore keys = TlsBotServers.localhostKeys(dir);
    SslContext tls = TlsBotServers.serverTls(keys, true);
    TrustManagerFactory trust = TlsBotServers.trust(keys);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(2, new DefaultThreadFactory(BOT_THREADS, true),
        NioIoHandler.newFactory());
    System.out.printf("%d calls per measurement, %d in flight, %d cores, %s%n", calls, inFlight,
        Runtime.getRuntime().availableProcessors(), Runtime.version());
    System.out.println("| protocol | round | calls/s | client CPU µs/call | bot CPU µs/call | connections |");
    System.out.println("| --- | ---: | ---: | ---: | ---: | ---: |");
    try {
      Protocol[] order = Protocol.values();
      for (int round = 1; round <= 2; round++) {
        for (int i = 0; i < order.length; i++) {
          Protocol p = order[round == 1 ? i : order.length - 1 - i];
          measure(p, round, group, p == Protocol.HTTP1 ? null : tls, trust, calls, inFlight);
        }
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  private static void measure(Protocol protocol, int round, EventLoopGroup group, SslContext tls,
      TrustManagerFactory trust, int calls, int inFlight) throws Exception {
    AtomicInteger connections = new AtomicInteger();
    Channel server = TlsBotServers.start(group, tls, Answer::new, connections::incrementAndGet, () -> { });
    String url = (tls == null ? "http" : "https") + "://localhost:" + TlsBotServers.port(server)
        + "/webhooks/rest/webhook";
    try (HttpConnections client = new HttpConnections(URI.create(url), Duration.ofSeconds(10), trust,
        protocol == Protocol.HTTP2_TLS)) {
      run(client, calls / 2, inFlight); // warm-up: the JIT, the connections
      var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
      long cpu = os.getProcessCpuTime();
      long bot = botCpu();
      long start = System.nanoTime();
      run(client, calls, inFlight);
      long wall = System.nanoTime() - start;
      long botUsed = botCpu() - bot;
      long used = os.getProcessCpuTime() - cpu;
      System.out.printf("| %s | %d | %,.0f | %.1f | %.1f | %d |%n", protocol, round, calls / (wall / 1e9),
          (used - botUsed) / 1e3 / calls, botUsed / 1e3 / calls, connections.get());
    } finally {
      server.close().syncUninterruptibly();
    }
  }

  /** CPU time of the bot's threads so far; the rest of the JVM's is the client's (and the harness's, which is idle). */
  private static long botCpu() {
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long sum = 0;
    for (ThreadInfo t : threads.getThreadInfo(threads.getAllThreadIds())) {
      if (t != null && t.getThreadName().startsWith(BOT_THREADS)) {
        sum += Math.max(0, threads.getThreadCpuTime(t.getThreadId()));
      }
    }
    return sum;
  }

  /** {@code calls} calls from {@code inFlight} virtual threads, each waiting for its answer before the next. */
  private static void run(HttpConnections client, int calls, int inFlight) throws Exception {
    AtomicInteger left = new AtomicInteger(calls);
    List<Future<?>> workers = new ArrayList<>();
    try (ExecutorService threads = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int t = 0; t < inFlight; t++) {
        workers.add(threads.submit(() -> {
          while (left.getAndDecrement() > 0) {
            HttpConnections.Response r = client.post(REQUEST, Map.of("Content-Type", "application/json"),
                Map.of("X-Ticketgate-Ticket", "7"), TurnCheck.HELD);
            if (r.status() != 200 || r.body().length != ANSWER.length) {
              throw new IllegalStateException("unexpected answer " + r.status());
            }
          }
          return null;
        }));
      }
      for (Future<?> w : workers) {
        w.get();
      }
    }
  }

  /** Answers every request at once with a Rasa reply. */
  private static final class Answer extends SimpleChannelInboundHandler<FullHttpRequest> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
      FullHttpResponse response = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK,
          Unpooled.wrappedBuffer(ANSWER));
      response.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
      response.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, ANSWER.length);
      ctx.writeAndFlush(response);
    }
  }
}
