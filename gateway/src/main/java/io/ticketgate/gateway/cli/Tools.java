package io.ticketgate.gateway.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.bot.EchoBot;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands that make the gateway's image self-sufficient in a container stack: a stand-in Rasa
 * bot, a traffic generator, and a health probe that needs no curl in a JRE-only image.
 */
final class Tools {

  private static final Logger LOG = LoggerFactory.getLogger(Tools.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  static final String WEBHOOK_PATH = "/webhooks/rest/webhook";

  private Tools() {}

  /**
   * {@code echo-bot}: serves Rasa's REST webhook with {@link EchoBot} until SIGTERM or SIGINT.
   *
   * @param delayMin seconds, or null; given together with {@code delayMax}
   */
  static int echoBot(int port, String delayMin, String delayMax, PrintWriter out) {
    Map<String, Object> section = new LinkedHashMap<>();
    if (delayMin != null) {
      section.put("delay_min", delayMin);
    }
    if (delayMax != null) {
      section.put("delay_max", delayMax);
    }
    EchoBot bot;
    try {
      bot = new EchoBot(section);
    } catch (IllegalArgumentException e) {
      // EchoBot names its configuration keys; on the command line they are options.
      throw new Main.UsageException(e.getMessage().replace("bot.delay_", "--delay-"));
    }
    CountDownLatch stopping = new CountDownLatch(1);
    Signals.onTermination(stopping::countDown);
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(port), 0);
    } catch (IOException e) {
      throw new Main.CommandFailure("echo-bot cannot listen on port " + port + ": " + e.getMessage(), e);
    }
    // The bot sleeps to pretend work; virtual threads keep many sleeping calls cheap.
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext(WEBHOOK_PATH, exchange -> answer(bot, exchange));
    server.start();
    out.println("echo-bot: " + bot + " listening on port " + server.getAddress().getPort() + ", POST " + WEBHOOK_PATH);
    out.flush();
    try {
      stopping.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    server.stop(1);
    executor.shutdownNow();
    out.println("echo-bot: stopped");
    return 0;
  }

  private static void answer(EchoBot bot, HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        send(exchange, 405, "{\"error\": \"POST only\"}");
        return;
      }
      JsonNode body;
      try (InputStream in = exchange.getRequestBody()) {
        body = JSON.readTree(in);
      } catch (IOException e) {
        send(exchange, 400, error("body is not JSON: " + e.getMessage()));
        return;
      }
      if (body == null || !body.path("sender").isTextual() || !body.path("message").isTextual()) {
        send(exchange, 400, error("expected {\"sender\": string, \"message\": string, \"metadata\": {...}}"));
        return;
      }
      @SuppressWarnings("unchecked")
      Map<String, Object> metadata = body.path("metadata").isObject()
          ? JSON.convertValue(body.get("metadata"), Map.class) : Map.of();
      int ticket = body.path("metadata").path("ticketgate").path("ticket").asInt(0);
      BotRequest request = new BotRequest(body.get("sender").asText(), body.get("message").asText(), metadata,
          ticket, new BotRequest.SourceRecord("webhook", 0, 0), 1);
      ArrayNode replies = JSON.createArrayNode();
      try {
        for (BotReply reply : bot.handle(request)) {
          replies.add(JSON.readTree(reply.payload()));
        }
      } catch (BotException e) {
        // Only an interrupted sleep gets here: the server is stopping, so the gateway should retry.
        send(exchange, 503, error(e.getMessage()));
        return;
      }
      send(exchange, 200, JSON.writeValueAsString(replies));
    }
  }

  private static String error(String message) {
    ObjectNode node = JSON.createObjectNode();
    node.put("error", message);
    return node.toString();
  }

  private static void send(HttpExchange exchange, int status, String json) throws IOException {
    byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream body = exchange.getResponseBody()) {
      body.write(bytes);
    }
  }

  /**
   * {@code produce}: writes {@code --messages} messages for each of {@code --conversations}
   * conversations, interleaved so every conversation has several messages queued at once, which is
   * what makes the gateway's tickets wait.
   */
  static int produce(String bootstrap, String topic, int conversations, int messages, PrintWriter out) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    String run = Long.toString(System.currentTimeMillis(), 36);
    int sent = 0;
    java.util.concurrent.atomic.AtomicInteger failed = new java.util.concurrent.atomic.AtomicInteger();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      for (int m = 1; m <= messages; m++) {
        for (int c = 1; c <= conversations; c++) {
          String id = "load-" + run + "-" + c;
          ObjectNode message = JSON.createObjectNode();
          message.put("sender", id);
          message.put("message", "message " + m + " of " + messages);
          message.putObject("metadata").put("source", "ticketgate produce");
          producer.send(new ProducerRecord<>(topic, id, message.toString()), (meta, e) -> {
            if (e != null) {
              failed.incrementAndGet();
              LOG.error("could not produce to {}: {}", topic, e.toString());
            }
          });
          sent++;
        }
      }
      producer.flush();
    }
    // close() above waited for every send's callback, so the count of failures is final here.
    int lost = failed.get();
    out.println("produced " + (sent - lost) + " message(s) for " + conversations + " conversation(s) to " + topic
        + (lost == 0 ? "" : "; " + lost + " could not be produced (see the errors above)"));
    return lost == 0 ? 0 : 1;
  }

  /** {@code healthcheck}: GET the URL; 0 on 200, 1 with the reason otherwise. */
  static int healthcheck(URI url, PrintWriter out, PrintWriter err) {
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(3)).build();
    try {
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(url).timeout(Duration.ofSeconds(5)).build(),
          HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() == 200) {
        out.println(url + ": 200 " + response.body().strip());
        return 0;
      }
      err.println("ticketgate: " + url + " answered " + response.statusCode() + ": " + response.body().strip());
      return 1;
    } catch (IOException e) {
      err.println("ticketgate: " + url + " did not answer: " + e);
      return 1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("ticketgate: interrupted while checking " + url);
      return 1;
    }
  }
}
