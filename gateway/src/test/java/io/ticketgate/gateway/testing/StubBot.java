package io.ticketgate.gateway.testing;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
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
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A bot for tests: a real HTTP server on a free loopback port that speaks Rasa's REST webhook
 * contract ({@code POST /webhooks/rest/webhook}, body {@code {"sender", "message", "metadata"}},
 * answer a JSON array of messages) and records every call, so a test can check what the gateway
 * promises: one call at a time per conversation, in order, with fencing tokens that never go back.
 *
 * <p>It also accepts {@code HttpBot}'s envelope on {@code POST /http}
 * ({@code {"conversation_id", "text", "metadata", "ticket", "source", "attempt"}}), answering the
 * same way, so {@code bot.type: http} can be tested against it too.
 *
 * <p>Per call it records the conversation, text, ticket (from {@code metadata.ticketgate.ticket} or
 * the envelope's {@code ticket}, else the {@code X-Ticketgate-Ticket} header, else -1), the start and
 * end ({@link System#nanoTime()}), and the server thread. Per conversation it detects:
 * <ul>
 *   <li><b>overlaps</b>: a call arriving while another for the same conversation is in progress;
 *   <li><b>order</b>: {@link #textsByConversation()} lists texts in the order calls arrived, and
 *       {@link #orderViolations()} reports sequence numbers (the last number in a text) that went
 *       backwards;
 *   <li><b>fencing</b>: a call whose ticket is lower than the highest ticket already accepted for
 *       its conversation is refused with HTTP 409 and counted in {@link #fencedRejections()}; an
 *       equal ticket (a retry) is accepted.
 * </ul>
 * What it answers is up to a {@link Behaviour}, swappable at any time.
 *
 * <p>A call is over, for overlap detection, when the behaviour has returned, just before the
 * answer is written: the client may send the next call as soon as it reads the answer. A call the
 * client gave up on (a timeout) stays in progress until its behaviour returns, exactly as a real
 * bot would still be working on it, so a retry during that time is reported as an overlap.
 */
public final class StubBot implements AutoCloseable {

  /** Rasa's REST channel path. */
  public static final String WEBHOOK_PATH = "/webhooks/rest/webhook";
  /** The path taking {@code HttpBot}'s envelope. */
  public static final String HTTP_PATH = "/http";
  /** The fencing header the gateway sends. */
  public static final String TICKET_HEADER = "X-Ticketgate-Ticket";

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern LAST_NUMBER = Pattern.compile("(\\d+)(?!.*\\d)");

  private final HttpServer server;
  private final ExecutorService executor;
  private final Object lock = new Object();
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile Behaviour behaviour;
  /** Off for stores whose ticket numbers restart (in-memory, Rasa's redis layout): they are no fencing token. */
  private volatile boolean fencing = true;

  // Everything below is guarded by lock.
  private final List<Entry> entries = new ArrayList<>();
  private final Map<String, List<Entry>> active = new HashMap<>();
  private final List<Overlap> overlaps = new ArrayList<>();
  private final Map<String, List<String>> texts = new LinkedHashMap<>();
  private final Map<String, Long> highestTicket = new HashMap<>();
  private final Map<String, Integer> callsPerConversation = new HashMap<>();
  private final List<Dispatch> fenced = new ArrayList<>();
  private final List<String> malformed = new ArrayList<>();
  private int unsentAnswers;
  private long nextIndex;

  private StubBot(Behaviour behaviour) throws IOException {
    this.behaviour = Objects.requireNonNull(behaviour, "behaviour");
    this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 128);
    this.executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  /** Starts a stub that echoes: one reply {@code {"recipient_id": c, "text": "echo: <text>"}}. */
  public static StubBot start() throws IOException {
    return new StubBot(Behaviour.echo());
  }

  /** Starts a stub that answers as {@code behaviour} says. */
  public static StubBot start(Behaviour behaviour) throws IOException {
    return new StubBot(behaviour);
  }

  /** The base URL, for {@code bot.url} with {@code type: rasa}. */
  public URI url() {
    return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
  }

  /** The full Rasa webhook URL. */
  public URI webhookUrl() {
    return URI.create(url() + WEBHOOK_PATH);
  }

  /** The URL taking {@code HttpBot}'s envelope, for {@code bot.url} with {@code type: http}. */
  public URI httpUrl() {
    return URI.create(url() + HTTP_PATH);
  }

  /**
   * Turns fencing on (the default) or off. Only the concurrent Redis store's numbers never repeat;
   * the in-memory store and Rasa's {@code redis} layout start again at 0 once a conversation's queue
   * empties, so a lower number there is no sign of a stale holder.
   *
   * @return this stub
   */
  public StubBot fencing(boolean on) {
    this.fencing = on;
    return this;
  }

  /** Answers later calls as {@code next} says. */
  public void behaviour(Behaviour next) {
    this.behaviour = Objects.requireNonNull(next, "behaviour");
  }

  /** Finished calls, fenced ones included, in the order they arrived. */
  public List<Dispatch> dispatches() {
    synchronized (lock) {
      List<Dispatch> out = new ArrayList<>();
      for (Entry e : entries) {
        if (e.endNanos != 0) {
          out.add(e.snapshot());
        }
      }
      return out;
    }
  }

  /** Calls whose behaviour has not returned yet. */
  public int inProgress() {
    synchronized (lock) {
      int n = 0;
      for (List<Entry> list : active.values()) {
        n += list.size();
      }
      return n;
    }
  }

  /** Every time a call arrived while another for its conversation was in progress. */
  public List<Overlap> overlaps() {
    synchronized (lock) {
      return List.copyOf(overlaps);
    }
  }

  /** Per conversation, the texts of accepted (not fenced) calls in arrival order, retries included. */
  public Map<String, List<String>> textsByConversation() {
    synchronized (lock) {
      Map<String, List<String>> out = new LinkedHashMap<>();
      texts.forEach((k, v) -> out.put(k, List.copyOf(v)));
      return Collections.unmodifiableMap(out);
    }
  }

  /** Per conversation, the texts of finished calls answered with a 2xx, in arrival order. */
  public Map<String, List<String>> answeredTextsByConversation() {
    synchronized (lock) {
      Map<String, List<String>> out = new LinkedHashMap<>();
      for (Entry e : entries) {
        if (e.endNanos != 0 && e.status >= 200 && e.status < 300) {
          out.computeIfAbsent(e.call.conversation(), k -> new ArrayList<>()).add(e.call.text());
        }
      }
      out.replaceAll((k, v) -> List.copyOf(v));
      return Collections.unmodifiableMap(out);
    }
  }

  /**
   * Conversations whose sequence numbers (see {@link #sequenceOf}) went backwards in
   * {@link #textsByConversation()}, as {@code "c1: 4 after 5"}; a repeat (a retry) is fine.
   */
  public List<String> orderViolations() {
    List<String> out = new ArrayList<>();
    textsByConversation().forEach((conversation, list) -> {
      long last = Long.MIN_VALUE;
      for (String text : list) {
        OptionalLong seq = sequenceOf(text);
        if (seq.isEmpty()) {
          continue;
        }
        if (seq.getAsLong() < last) {
          out.add(conversation + ": " + seq.getAsLong() + " after " + last);
        }
        last = Math.max(last, seq.getAsLong());
      }
    });
    return out;
  }

  /** The last run of digits in {@code text}, the convention for sequence numbers in test messages. */
  public static OptionalLong sequenceOf(String text) {
    Matcher m = LAST_NUMBER.matcher(text);
    if (!m.find()) {
      return OptionalLong.empty();
    }
    try {
      return OptionalLong.of(Long.parseLong(m.group(1)));
    } catch (NumberFormatException e) {
      // Too many digits for a long: not a sequence number this stub can compare.
      return OptionalLong.empty();
    }
  }

  /** How many calls were refused with 409 for carrying a ticket below one already accepted. */
  public int fencedRejections() {
    synchronized (lock) {
      return fenced.size();
    }
  }

  /** The calls refused with 409. */
  public List<Dispatch> fenced() {
    synchronized (lock) {
      return List.copyOf(fenced);
    }
  }

  /** Requests that were not valid calls (wrong path, method or body), as descriptions; answered 4xx. */
  public List<String> malformedRequests() {
    synchronized (lock) {
      return List.copyOf(malformed);
    }
  }

  /** Answers that could not be written, usually because the client had timed out. */
  public int unsentAnswers() {
    synchronized (lock) {
      return unsentAnswers;
    }
  }

  /**
   * Waits until at least {@code count} calls have finished.
   *
   * @return whether they did within {@code timeout}
   */
  public boolean awaitDispatches(int count, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (finishedCount() < count) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        lock.wait(Math.max(1, left / 1_000_000));
      }
      return true;
    }
  }

  private int finishedCount() {
    int n = 0;
    for (Entry e : entries) {
      if (e.endNanos != 0) {
        n++;
      }
    }
    return n;
  }

  /**
   * Forgets everything recorded: calls, overlaps, texts, fencing state and per-conversation call
   * counts. Calls in progress still finish normally.
   */
  public void reset() {
    synchronized (lock) {
      entries.clear();
      overlaps.clear();
      texts.clear();
      highestTicket.clear();
      callsPerConversation.clear();
      fenced.clear();
      malformed.clear();
      unsentAnswers = 0;
    }
  }

  /** Stops the server and interrupts behaviours still sleeping. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.stop(0);
      executor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "StubBot[" + url() + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Serving

  private void handle(HttpExchange exchange) {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      boolean rasa = path.equals(WEBHOOK_PATH);
      if (!rasa && !path.equals(HTTP_PATH)) {
        refuse(exchange, 404, "no such path " + path + " (use " + WEBHOOK_PATH + " or " + HTTP_PATH + ")");
        return;
      }
      if (!exchange.getRequestMethod().equals("POST")) {
        refuse(exchange, 405, exchange.getRequestMethod() + " " + path + " (only POST)");
        return;
      }
      Call call;
      try {
        call = parse(rasa, path, body, exchange);
      } catch (IllegalArgumentException e) {
        refuse(exchange, 400, e.getMessage());
        return;
      }
      serve(exchange, call);
    } catch (IOException e) {
      synchronized (lock) {
        malformed.add("I/O error reading or answering a request: " + e);
      }
    }
  }

  private void refuse(HttpExchange exchange, int status, String why) throws IOException {
    synchronized (lock) {
      malformed.add(status + ": " + why);
    }
    write(exchange, new Response(status, "{\"error\":" + JSON.writeValueAsString(why) + "}"));
  }

  private Call parse(boolean rasa, String path, byte[] body, HttpExchange exchange) {
    Map<String, Object> json;
    try {
      json = JSON.readValue(body, new TypeReference<Map<String, Object>>() {});
    } catch (IOException e) {
      throw new IllegalArgumentException("body is not a JSON object: " + e.getMessage(), e);
    }
    if (json == null) {
      throw new IllegalArgumentException("body is JSON null, not an object");
    }
    String conversation = string(json, rasa ? "sender" : "conversation_id");
    String text = string(json, rasa ? "message" : "text");
    Map<String, Object> metadata = map(json.get("metadata"));
    Map<String, String> headers = new LinkedHashMap<>();
    exchange.getRequestHeaders().forEach((k, v) -> headers.put(k.toLowerCase(Locale.ROOT), String.join(",", v)));
    Long ticket = null;
    Object fromBody = rasa ? map(metadata.get("ticketgate")).get("ticket") : json.get("ticket");
    if (fromBody instanceof Number n) {
      ticket = n.longValue();
    }
    String header = headers.get(TICKET_HEADER.toLowerCase(Locale.ROOT));
    if (ticket == null && header != null) {
      try {
        ticket = Long.parseLong(header.trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(TICKET_HEADER + " was '" + header + "', not a number", e);
      }
    }
    return new Call(path, conversation, text, ticket == null ? -1 : ticket, metadata, headers, body, 0, 0);
  }

  private static String string(Map<String, Object> json, String key) {
    Object v = json.get(key);
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException("body field '" + key + "' was " + v + ", not a string");
    }
    return s;
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object value) {
    return value instanceof Map<?, ?> m ? (Map<String, Object>) m : Map.of();
  }

  private void serve(HttpExchange exchange, Call parsed) throws IOException {
    Entry entry;
    boolean refused;
    synchronized (lock) {
      String conversation = parsed.conversation();
      List<Entry> running = active.computeIfAbsent(conversation, k -> new ArrayList<>());
      long index = nextIndex++;
      if (!running.isEmpty()) {
        Entry other = running.get(0);
        overlaps.add(new Overlap(conversation, other.call.ticket(), other.call.text(), parsed.ticket(),
            parsed.text(), System.nanoTime()));
      }
      Long highest = highestTicket.get(conversation);
      refused = fencing && parsed.ticket() >= 0 && highest != null && parsed.ticket() < highest;
      int callNumber = refused ? callsPerConversation.getOrDefault(conversation, 0)
          : callsPerConversation.merge(conversation, 1, Integer::sum);
      Call call = new Call(parsed.path(), conversation, parsed.text(), parsed.ticket(), parsed.metadata(),
          parsed.headers(), parsed.body(), callNumber, index);
      entry = new Entry(call, System.nanoTime(), Thread.currentThread().toString());
      entries.add(entry);
      if (refused) {
        entry.finish(409, true);
        fenced.add(entry.snapshot());
        if (running.isEmpty()) {
          active.remove(conversation);
        }
        lock.notifyAll();
      } else {
        running.add(entry);
        texts.computeIfAbsent(conversation, k -> new ArrayList<>()).add(parsed.text());
        if (parsed.ticket() >= 0) {
          highestTicket.merge(conversation, parsed.ticket(), Math::max);
        }
      }
    }
    if (refused) {
      write(exchange, new Response(409, "{\"error\":\"ticket " + parsed.ticket() + " is below "
          + "the highest ticket already accepted for this conversation\"}"));
      return;
    }
    Response response;
    try {
      response = behaviour.respond(entry.call);
      if (response == null) {
        response = new Response(500, "{\"error\":\"the stub's behaviour returned no response\"}");
      }
    } catch (InterruptedException e) {
      // The stub is closing: end the call so nothing stays in progress. The flag stays cleared so
      // the answer can still be attempted; the thread ends right after.
      response = new Response(503, "{\"error\":\"stub bot closing\"}");
    } catch (RuntimeException e) {
      response = new Response(500, "{\"error\":" + JSON.writeValueAsString("behaviour failed: " + e) + "}");
    }
    synchronized (lock) {
      entry.finish(response.status(), false);
      List<Entry> running = active.get(entry.call.conversation());
      if (running != null) {
        running.remove(entry);
        if (running.isEmpty()) {
          active.remove(entry.call.conversation());
        }
      }
      lock.notifyAll();
    }
    try {
      write(exchange, response);
    } catch (IOException e) {
      synchronized (lock) {
        unsentAnswers++;
      }
    }
  }

  private static void write(HttpExchange exchange, Response response) throws IOException {
    byte[] bytes = response.body() == null ? new byte[0] : response.body().getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    // -1 tells the JDK server there is no body, which 204 requires.
    exchange.sendResponseHeaders(response.status(), bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = exchange.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** A call being recorded; mutable until finished. Guarded by the stub's lock. */
  private static final class Entry {
    final Call call;
    final long startNanos;
    final String thread;
    long endNanos;
    int status;
    boolean fenced;

    Entry(Call call, long startNanos, String thread) {
      this.call = call;
      this.startNanos = startNanos;
      this.thread = thread;
    }

    void finish(int status, boolean fenced) {
      this.endNanos = Math.max(System.nanoTime(), startNanos + 1);
      this.status = status;
      this.fenced = fenced;
    }

    Dispatch snapshot() {
      return new Dispatch(call.index(), call.path(), call.conversation(), call.text(), call.ticket(),
          call.metadata(), call.headers(), call.bodyText(), startNanos, endNanos, thread, status, fenced,
          call.callOfConversation());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Types

  /**
   * One finished call.
   *
   * @param index the call's number across the stub's life, from 0, in arrival order
   * @param path {@link #WEBHOOK_PATH} or {@link #HTTP_PATH}
   * @param conversation Rasa's {@code sender} or the envelope's {@code conversation_id}
   * @param text the message text
   * @param ticket the fencing token, -1 when the call carried none
   * @param metadata the request's {@code metadata}
   * @param headers the request headers, names in lower case
   * @param body the raw request body
   * @param startNanos {@link System#nanoTime()} when the call was accepted
   * @param endNanos {@link System#nanoTime()} when its behaviour returned
   * @param thread the server thread that handled it
   * @param status the HTTP status answered
   * @param fenced whether it was refused for a lower ticket
   * @param callOfConversation how many accepted calls its conversation had, this one included
   */
  public record Dispatch(long index, String path, String conversation, String text, long ticket,
      Map<String, Object> metadata, Map<String, String> headers, String body, long startNanos, long endNanos,
      String thread, int status, boolean fenced, int callOfConversation) {

    /** How long the call was in progress. */
    public Duration duration() {
      return Duration.ofNanos(endNanos - startNanos);
    }
  }

  /**
   * A call that arrived while another for its conversation was in progress.
   *
   * @param conversation the conversation
   * @param runningTicket the ticket of the call in progress
   * @param runningText its text
   * @param arrivingTicket the ticket of the call that arrived
   * @param arrivingText its text
   * @param atNanos {@link System#nanoTime()} when it arrived
   */
  public record Overlap(String conversation, long runningTicket, String runningText, long arrivingTicket,
      String arrivingText, long atNanos) {}

  /**
   * One call as a {@link Behaviour} sees it.
   *
   * @param path {@link #WEBHOOK_PATH} or {@link #HTTP_PATH}
   * @param conversation the conversation
   * @param text the message text
   * @param ticket the fencing token, -1 when none
   * @param metadata the request's {@code metadata}
   * @param headers the request headers, names in lower case
   * @param body the raw request body
   * @param callOfConversation 1 for the conversation's first accepted call since start or
   *     {@link #reset()}, 2 for the next, ...
   * @param index the call's number across the stub's life, from 0
   */
  public record Call(String path, String conversation, String text, long ticket, Map<String, Object> metadata,
      Map<String, String> headers, byte[] body, int callOfConversation, long index) {

    /** The raw body as UTF-8. */
    public String bodyText() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  /**
   * An HTTP answer.
   *
   * @param status the status
   * @param body the body, sent as {@code application/json}; empty or null for none
   */
  public record Response(int status, String body) {

    /** 200 with {@code json}. */
    public static Response ok(String json) {
      return new Response(200, json);
    }

    /** 200 with a JSON array of {@code {"recipient_id": c, "text": t}} messages. */
    public static Response replies(String conversation, List<String> texts) {
      List<Map<String, Object>> messages = new ArrayList<>();
      for (String t : texts) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("recipient_id", conversation);
        m.put("text", t);
        messages.add(m);
      }
      try {
        return new Response(200, JSON.writeValueAsString(messages));
      } catch (JsonProcessingException e) {
        throw new IllegalStateException("could not write stub replies as JSON", e);
      }
    }
  }

  /**
   * What the stub answers to a call; may sleep to simulate work. Runs on the server's virtual
   * threads, concurrently for concurrent calls.
   */
  @FunctionalInterface
  public interface Behaviour {

    /**
     * The answer to {@code call}.
     *
     * @throws InterruptedException when interrupted while sleeping, as the stub closes
     */
    Response respond(Call call) throws InterruptedException;

    /** One reply, {@code {"recipient_id": c, "text": "echo: <text>"}}. */
    static Behaviour echo() {
      return call -> Response.replies(call.conversation(), List.of("echo: " + call.text()));
    }

    /** {@code n} replies, {@code "<text> #1"} to {@code "<text> #n"}. */
    static Behaviour replies(int n) {
      return call -> {
        List<String> texts = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          texts.add(call.text() + " #" + i);
        }
        return Response.replies(call.conversation(), texts);
      };
    }

    /** An empty array: the bot has nothing to say. */
    static Behaviour empty() {
      return call -> Response.ok("[]");
    }

    /** Always {@code status}, with a small JSON error body (none for 204). */
    static Behaviour status(int status) {
      return call -> new Response(status, status == 204 ? "" : "{\"error\":\"stub answers " + status + "\"}");
    }

    /** Always {@code status} with {@code body} as it is. */
    static Behaviour fixed(int status, String body) {
      return call -> new Response(status, body);
    }

    /** 200 with a body that is not JSON. */
    static Behaviour garbage() {
      return call -> Response.ok("<html><body>502 Bad Gateway (not really JSON)</body></html>");
    }

    /**
     * Sleeps {@code sleep}, then echoes: give it more than the client's timeout to make the client
     * give up while the bot still works.
     */
    static Behaviour sleeping(Duration sleep) {
      return echo().withLatency(sleep);
    }

    /** This behaviour after a fixed latency. */
    default Behaviour withLatency(Duration latency) {
      Behaviour next = this;
      return call -> {
        Thread.sleep(latency);
        return next.respond(call);
      };
    }

    /** This behaviour after a latency drawn uniformly from {@code [min, max]}. */
    default Behaviour withRandomLatency(Duration min, Duration max) {
      Behaviour next = this;
      long lo = min.toNanos();
      long hi = max.toNanos();
      if (hi < lo) {
        throw new IllegalArgumentException("max latency " + max + " is below min latency " + min);
      }
      return call -> {
        Thread.sleep(Duration.ofNanos(lo == hi ? lo : ThreadLocalRandom.current().nextLong(lo, hi + 1)));
        return next.respond(call);
      };
    }

    /** {@code status} for the first {@code calls} calls of each conversation, then this behaviour. */
    default Behaviour failingFirst(int calls, int status) {
      Behaviour next = this;
      Behaviour failure = status(status);
      return call -> call.callOfConversation() <= calls ? failure.respond(call) : next.respond(call);
    }
  }
}
