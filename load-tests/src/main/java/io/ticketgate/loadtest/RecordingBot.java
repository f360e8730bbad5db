package io.ticketgate.loadtest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A stand-in Rasa bot on loopback that records every dispatch for the {@link Verifier}.
 *
 * <p>Speaks Rasa's REST webhook: {@code POST /webhooks/rest/webhook} with {@code {"sender",
 * "message", "metadata"}}, answering {@code [{"recipient_id": sender, "text": "echo: " + message}]}
 * after a delay drawn from a {@link LatencyModel}. The sequence number comes from
 * {@code metadata.seq} (or a message text {@code seq=<n>}), the ticket from the
 * {@code X-Ticketgate-Ticket} header (or {@code metadata.ticketgate.ticket}).
 *
 * <p>With fencing on, it refuses with 409 a ticket lower than the highest one it already accepted
 * for the conversation, as a bot protecting itself from a zombie replica would. Only
 * {@code concurrent_redis} tickets grow for ever, so fencing is meaningful only there.
 */
public final class RecordingBot implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RecordingBot.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  /** The header each replica's gateway.yml adds so a dispatch can be traced to its replica. */
  public static final String REPLICA_HEADER = "X-Loadtest-Replica";
  private static final String PATH = "/webhooks/rest/webhook";

  private final LatencyModel latency;
  private final boolean fencing;
  private final boolean requireTicket;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
  private final ConcurrentLinkedQueue<Dispatch> dispatches = new ConcurrentLinkedQueue<>();
  private final Map<String, Long> highestTicket = new ConcurrentHashMap<>();
  private final Set<String> delivered = ConcurrentHashMap.newKeySet();
  private final AtomicLong fenced = new AtomicLong();
  private final AtomicLong malformed = new AtomicLong();
  /** The bot's workers: a call is served once it holds one, in arrival order; null when unlimited. */
  private final java.util.concurrent.Semaphore workers;

  private RecordingBot(LatencyModel latency, boolean fencing, boolean requireTicket, int workers) throws IOException {
    this.latency = latency;
    this.workers = workers > 0 ? new java.util.concurrent.Semaphore(workers, true) : null;
    this.fencing = fencing;
    this.requireTicket = requireTicket || fencing;
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 512);
    server.setExecutor(executor);
    server.createContext(PATH, this::handle);
    server.start();
  }

  /**
   * Starts the bot on a free loopback port.
   *
   * @param fencing refuse tickets lower than the highest accepted for the conversation
   */
  public static RecordingBot start(LatencyModel latency, boolean fencing) {
    return start(latency, fencing, true);
  }

  /**
   * Starts the bot on a free loopback port.
   *
   * @param fencing refuse tickets lower than the highest accepted for the conversation
   * @param requireTicket answer 400 to a request without a ticket; off for callers that have no
   *     tickets (the compare command's peers), whose dispatches are recorded with ticket -1. Fencing
   *     needs tickets, so it implies this.
   */
  public static RecordingBot start(LatencyModel latency, boolean fencing, boolean requireTicket) {
    return start(latency, fencing, requireTicket, 0);
  }

  /**
   * Starts the bot on a free loopback port, serving at most {@code workers} calls at once: the
   * others wait in line, as at a server with that many workers, so its latency grows with the calls
   * in flight beyond them while its throughput does not.
   *
   * @param workers 0 for as many calls at once as come
   */
  public static RecordingBot start(LatencyModel latency, boolean fencing, boolean requireTicket, int workers) {
    try {
      return new RecordingBot(latency, fencing, requireTicket, workers);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException("cannot start the recording bot on loopback: " + e.getMessage(), e);
    }
  }

  /** The base URL for {@code bot.url} (without the webhook path, as Rasa's). */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** Every dispatch so far, accepted and fenced, in order of completion. */
  public List<Dispatch> dispatches() {
    return new ArrayList<>(dispatches);
  }

  /** How many distinct (conversation, seq) pairs were accepted at least once. */
  public int distinctDelivered() {
    return delivered.size();
  }

  /** How many dispatches were refused as fenced. */
  public long fencedCount() {
    return fenced.get();
  }

  /** Requests that could not be understood (answered 400; the gateway dead-letters them). */
  public long malformedCount() {
    return malformed.get();
  }

  private void handle(HttpExchange exchange) throws IOException {
    long start = System.nanoTime();
    try (exchange) {
      if (!"POST".equals(exchange.getRequestMethod())) {
        respond(exchange, 405, "{\"error\":\"only POST\"}");
        return;
      }
      JsonNode body;
      try (InputStream in = exchange.getRequestBody()) {
        body = JSON.readTree(in);
      }
      String sender = body.path("sender").asText(null);
      String message = body.path("message").asText("");
      JsonNode metadata = body.path("metadata");
      long seq = metadata.path("seq").asLong(parseSeq(message));
      long ticket = ticket(exchange, metadata);
      if (sender == null || seq < 0 || (ticket < 0 && requireTicket)) {
        malformed.incrementAndGet();
        log.warn("recording bot got a request without sender, seq or ticket: {}", body);
        respond(exchange, 400, "{\"error\":\"need sender, metadata.seq and X-Ticketgate-Ticket\"}");
        return;
      }
      String replica = exchange.getRequestHeaders().getFirst(REPLICA_HEADER);
      if (fencing && !admit(sender, ticket)) {
        fenced.incrementAndGet();
        dispatches.add(new Dispatch(sender, seq, ticket, replica == null ? "" : replica, start,
            System.nanoTime(), false));
        respond(exchange, 409, "{\"error\":\"ticket " + ticket + " is fenced for " + sender + "\"}");
        return;
      }
      if (workers != null) {
        workers.acquireUninterruptibly(); // the call's latency, as its caller sees it, includes the wait in line
        try {
          sleepNanos(latency.nextNanos());
        } finally {
          workers.release();
        }
      } else {
        sleepNanos(latency.nextNanos());
      }
      Map<String, Object> reply = Map.of("recipient_id", sender, "text", "echo: " + message);
      byte[] answer = JSON.writeValueAsBytes(List.of(reply));
      long end = System.nanoTime();
      // Recorded before the answer leaves: the gateway may release the ticket as soon as it reads
      // it, and the next dispatch of the conversation must not appear to start before this ends.
      dispatches.add(new Dispatch(sender, seq, ticket, replica == null ? "" : replica, start, end, true));
      delivered.add(sender + "#" + seq);
      respond(exchange, 200, answer);
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

  private static long ticket(HttpExchange exchange, JsonNode metadata) {
    String header = exchange.getRequestHeaders().getFirst("X-Ticketgate-Ticket");
    if (header != null) {
      try {
        return Long.parseLong(header.trim());
      } catch (NumberFormatException e) {
        log.warn("X-Ticketgate-Ticket '{}' is not a number; using metadata.ticketgate.ticket", header);
      }
    }
    return metadata.path("ticketgate").path("ticket").asLong(-1);
  }

  private static long parseSeq(String message) {
    if (message.startsWith("seq=")) {
      try {
        return Long.parseLong(message.substring(4).trim());
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }

  private static void sleepNanos(long nanos) {
    if (nanos <= 0) {
      return;
    }
    try {
      TimeUnit.NANOSECONDS.sleep(nanos);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void respond(HttpExchange exchange, int status, String body) throws IOException {
    respond(exchange, status, body.getBytes(StandardCharsets.UTF_8));
  }

  private static void respond(HttpExchange exchange, int status, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, body.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(body);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
