package io.ticketgate.gateway;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;

/**
 * A {@code bot.type: http} echo bot that runs as a process of its own, so that {@link BotOutageIT} can
 * kill it with SIGKILL and start another on the same port. It answers {@code {"text": "echo: <text>"}}
 * and appends what it does to a file that outlives it, one JSON object a line:
 * {@code {"generation": 1, "event": "begin", "conversation": "c", "text": "..."}} when a call arrives,
 * and the same with {@code "end"} just before its answer is sent. The end is written before the answer
 * so that a caller who sends the conversation's next call on that answer always finds the end ahead of
 * the next begin in the file; a begin with no end in the same generation is a call the bot was still
 * working on, and two begins of one conversation without an end between them are overlapping calls.
 *
 * <p>Arguments: {@code <port> <record file> <generation> [<text to hold>]}. A call whose text is the
 * held one is recorded and then never answered: the test kills the process while it waits, so a call
 * is certainly cut off by the kill. Prints {@code listening on <port>} once it accepts connections, and
 * exits when its standard input closes, so it cannot outlive a test JVM that dies without killing it.
 */
final class RecordingBotMain {

  private static final ObjectMapper JSON = new ObjectMapper();
  /** Never counted down: a held call waits on it until the process is killed. */
  private static final CountDownLatch NEVER = new CountDownLatch(1);

  private final FileChannel record;
  private final int generation;
  private final String held;

  private RecordingBotMain(FileChannel record, int generation, String held) {
    this.record = record;
    this.generation = generation;
    this.held = held;
  }

  public static void main(String[] args) throws IOException {
    if (args.length < 3 || args.length > 4) {
      System.err.println("usage: RecordingBotMain <port> <record file> <generation> [<text to hold>]");
      System.exit(2);
    }
    int port = Integer.parseInt(args[0]);
    FileChannel record = FileChannel.open(Path.of(args[1]), StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND);
    RecordingBotMain bot = new RecordingBotMain(record, Integer.parseInt(args[2]), args.length == 4 ? args[3] : null);
    HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
    server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
    server.createContext("/", bot::handle);
    server.start();
    Thread.ofPlatform().daemon().name("stdin-watch").start(RecordingBotMain::exitWhenStdinCloses);
    System.out.println("listening on " + port);
    System.out.flush();
  }

  private static void exitWhenStdinCloses() {
    try {
      while (System.in.read() != -1) {
        // Nothing is sent on stdin; only its end matters.
      }
    } catch (IOException e) {
      System.err.println("stdin failed, stopping: " + e);
    }
    Runtime.getRuntime().halt(0);
  }

  private void handle(HttpExchange exchange) throws IOException {
    try (exchange) {
      JsonNode body = JSON.readTree(exchange.getRequestBody().readAllBytes());
      String conversation = body.path("conversation_id").asText();
      String text = body.path("text").asText();
      append("begin", conversation, text);
      try {
        if (text.equals(held)) {
          NEVER.await();
        }
        // A little work, so that calls of other conversations really run side by side.
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while answering " + conversation + ": " + text);
      }
      append("end", conversation, text);
      byte[] answer = JSON.writeValueAsBytes(Map.of("text", "echo: " + text));
      exchange.getResponseHeaders().set("Content-Type", "application/json");
      exchange.sendResponseHeaders(200, answer.length);
      try (OutputStream os = exchange.getResponseBody()) {
        os.write(answer);
      }
    }
  }

  /**
   * One line in one write to a file opened for appending, under the lock so that lines never
   * interleave and their order in the file is the order of the events. A killed process leaves every
   * line it wrote in the page cache, so no flush to disk is needed for the next process or the test.
   */
  private synchronized void append(String event, String conversation, String text) throws IOException {
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("generation", generation);
    line.put("event", event);
    line.put("conversation", conversation);
    line.put("text", text);
    ByteBuffer bytes = ByteBuffer.wrap((JSON.writeValueAsString(line) + "\n").getBytes(StandardCharsets.UTF_8));
    while (bytes.hasRemaining()) {
      record.write(bytes);
    }
  }
}
