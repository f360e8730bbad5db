package io.ticketgate.gateway.cli;

import io.ticketgate.gateway.Gateway;
import io.ticketgate.gateway.Headers;
import io.ticketgate.gateway.config.BotSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.GatewayConfigs;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.config.MetricsSettings;
import io.ticketgate.embedded.EmbeddedKafka;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code ticketgate demo}: the gateway's whole job on an embedded default. A real Kafka broker runs
 * in this process, the in-memory lock store keeps tickets, and a built-in echo bot answers after a
 * short random delay, so messages that arrive while their conversation is busy visibly wait for
 * their turn.
 */
final class Demo {

  private Demo() {}

  static int run(int conversations, int messages, boolean keepRunning, PrintWriter out) {
    out.println("Starting an embedded Kafka broker ...");
    try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
      KafkaSettings defaults = GatewayConfigs.defaults().kafka();
      kafka.createTopic(defaults.inputTopics().get(0), 4);
      kafka.createTopic(defaults.outputTopic(), 1);
      kafka.createTopic(defaults.deadLetterTopic(), 1);
      GatewayConfig config = demoConfig(kafka.bootstrapServers());
      try (Gateway gateway = Gateway.start(config)) {
        out.printf("Gateway running: Kafka %s, in-memory lock store, echo bot; metrics on http://localhost:%d/metrics%n",
            kafka.bootstrapServers(), gateway.metricsPort());
        List<String> ids = new ArrayList<>();
        for (int c = 0; c < conversations; c++) {
          ids.add(NAMES[c % NAMES.length] + (c < NAMES.length ? "" : "-" + c));
        }
        produceScript(kafka.bootstrapServers(), defaults.inputTopics().get(0), ids, messages, out);
        boolean ordered = printReplies(kafka.bootstrapServers(), defaults.outputTopic(), ids, messages, out);
        printLockWaitMetrics(gateway.metricsPort(), out);
        if (keepRunning) {
          out.println("Still running (--keep-running); stop with Ctrl-C or SIGTERM.");
          CountDownLatch stop = new CountDownLatch(1);
          Signals.onTermination(stop::countDown);
          stop.await();
        }
        return ordered ? 0 : 1;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return 1;
    }
  }

  private static final String[] NAMES = {"alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"};

  private static GatewayConfig demoConfig(String bootstrap) {
    GatewayConfig d = GatewayConfigs.defaults();
    KafkaSettings k = d.kafka();
    Map<String, Object> bot = new LinkedHashMap<>();
    bot.put("type", "echo");
    bot.put("delay_min", 0.05);
    bot.put("delay_max", 0.25);
    return d.withKafka(new KafkaSettings(bootstrap, "ticketgate-demo-" + UUID.randomUUID(), k.inputTopics(),
            k.outputTopic(), k.deadLetterTopic(), k.conversationId(), k.maxMessageBytes(), k.consumer(), k.producer()))
        .withBot(new BotSettings("echo", null, BotSettings.DEFAULT_TIMEOUT, Map.of(), bot))
        .withMetrics(new MetricsSettings(true, "127.0.0.1", freePortOr(MetricsSettings.DEFAULT_PORT)));
  }

  /** The default metrics port when it is free, else any free port, so the demo runs beside a real gateway. */
  private static int freePortOr(int preferred) {
    try (ServerSocket s = new ServerSocket(preferred)) {
      return preferred;
    } catch (IOException e) {
      return 0;
    }
  }

  /** Interleaves conversations in bursts, so several messages of one conversation are queued at once. */
  private static void produceScript(String bootstrap, String topic, List<String> ids, int messages, PrintWriter out)
      throws InterruptedException {
    Properties p = new Properties();
    p.put("bootstrap.servers", bootstrap);
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      int sent = 0;
      for (int i = 1; i <= messages; i += 2) {
        for (String id : ids) {
          for (int j = i; j <= Math.min(messages, i + 1); j++) {
            String json = "{\"sender\": \"" + id + "\", \"message\": \"message " + j + " from " + id + "\"}";
            producer.send(new ProducerRecord<>(topic, id, json));
            sent++;
          }
        }
        producer.flush();
        Thread.sleep(100);
      }
      out.printf("Produced %d messages for %d conversations, two at a time per conversation.%n", sent, ids.size());
    }
  }

  private static boolean printReplies(String bootstrap, String topic, List<String> ids, int messages, PrintWriter out) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.GROUP_ID_CONFIG, "ticketgate-demo-reader-" + UUID.randomUUID());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    Map<String, List<String>> byConversation = new LinkedHashMap<>();
    ids.forEach(id -> byConversation.put(id, new ArrayList<>()));
    int expected = ids.size() * messages;
    int received = 0;
    long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer())) {
      consumer.subscribe(List.of(topic));
      while (received < expected && System.nanoTime() < deadline) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          received++;
          String line = String.format("  ticket %-3s waited %4s ms  %s", header(r, Headers.TICKET),
              header(r, Headers.LOCK_WAIT_MS), r.value());
          byConversation.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(line);
        }
      }
    }
    boolean ordered = received == expected;
    for (var e : byConversation.entrySet()) {
      out.println(e.getKey() + ":");
      e.getValue().forEach(out::println);
      int last = 0;
      for (String line : e.getValue()) {
        int n = messageNumber(line);
        ordered &= n == last + 1;
        last = n;
      }
    }
    out.printf("%d of %d replies received; every conversation answered in order: %s%n", received, expected,
        ordered ? "yes" : "NO");
    return ordered;
  }

  private static int messageNumber(String line) {
    int at = line.indexOf("message ");
    if (at < 0) {
      return -1;
    }
    int end = line.indexOf(' ', at + 8);
    return Integer.parseInt(line.substring(at + 8, end));
  }

  private static String header(ConsumerRecord<?, ?> r, String name) {
    Header h = r.headers().lastHeader(name);
    return h == null ? "?" : new String(h.value(), StandardCharsets.UTF_8);
  }

  private static void printLockWaitMetrics(int port, PrintWriter out) throws InterruptedException {
    try (HttpClient http = HttpClient.newHttpClient()) {
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      out.println("From /metrics:");
      r.body().lines()
          .filter(l -> l.startsWith("ticketgate_lock_wait_seconds_count") || l.startsWith("ticketgate_lock_wait_seconds_sum")
              || l.startsWith("ticketgate_messages_total"))
          .forEach(l -> out.println("  " + l));
    } catch (IOException e) {
      out.println("Could not read /metrics: " + e);
    }
  }
}
