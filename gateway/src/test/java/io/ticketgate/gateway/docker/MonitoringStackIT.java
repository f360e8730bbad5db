package io.ticketgate.gateway.docker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ticketgate.gateway.Gateway;
import io.ticketgate.gateway.config.BotSettings;
import io.ticketgate.gateway.config.ConcurrencySettings;
import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.GatewayConfigs;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.gateway.config.MetricsSettings;
import io.ticketgate.gateway.testing.KafkaFixture;
import io.ticketgate.gateway.testing.PrometheusText;
import io.ticketgate.gateway.testing.StubBot;
import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What of {@code docker/} can be proved without a Docker engine: promtool accepts the Prometheus
 * configuration, the alert rules and their unit tests; every metric the Grafana dashboard queries
 * exists in a real gateway's scrape; and a real Prometheus scraping a real gateway answers the
 * dashboard's lock-wait p99 query with a number.
 *
 * <p>{@code ./test} installs Debian's {@code prometheus} package (promtool and prometheus) when they
 * are missing. Run outside it without them, the test is skipped, except under CI, where it fails.
 */
class MonitoringStackIT {

  private static final KafkaFixture KAFKA = KafkaFixture.shared();
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  /** The gateway's {@code bot.concurrency}, which its limit gauge must report. */
  private static final int BOT_CONCURRENCY = 6;

  /** Metrics Prometheus makes up per target rather than reading from the scrape. */
  private static final Set<String> SYNTHETIC = Set.of("up");

  /** PromQL words that look like metric names but are not. */
  private static final Set<String> KEYWORDS = Set.of("by", "without", "on", "ignoring", "group_left",
      "group_right", "and", "or", "unless", "bool", "offset", "inf", "nan");

  private static Path root;
  private static Path promtool;
  private static Path prometheus;

  @TempDir Path temp;

  @BeforeAll
  static void findToolsAndRepository() {
    root = repositoryRoot();
    Optional<Path> tool = onPath("promtool");
    Optional<Path> server = onPath("prometheus");
    if (tool.isEmpty() || server.isEmpty()) {
      String why = "promtool and prometheus must be on PATH (./test installs Debian's prometheus package)";
      if (System.getenv("CI") != null) {
        fail(why + "; CI is set, so this is a failure, not a skip");
      }
      Assumptions.abort(why + "; skipped outside CI");
    }
    promtool = tool.get();
    prometheus = server.get();
  }

  @Test
  void promtoolAcceptsTheConfigurationTheRulesAndTheRuleTests() throws Exception {
    Path dir = root.resolve("docker/prometheus");
    assertCommandSucceeds(dir, promtool.toString(), "check", "config", "prometheus.yml");
    assertCommandSucceeds(dir, promtool.toString(), "check", "rules", "alerts.yml");
    assertCommandSucceeds(dir, promtool.toString(), "test", "rules", "alerts_test.yml");
  }

  @Test
  void theDashboardAsksForItsDatasourceAndJobDefaultingToTheProvisionedOnes() throws IOException {
    String provisioned = Files.readString(root.resolve("docker/grafana/provisioning/datasources/prometheus.yml"));
    assertThat(provisioned).contains("uid: prometheus");
    JsonNode dashboard = JSON.readTree(root.resolve("docker/grafana/dashboards/ticketgate.json").toFile());
    Map<String, JsonNode> variables = new java.util.HashMap<>();
    dashboard.path("templating").path("list").forEach(v -> variables.put(v.path("name").asText(), v));
    assertThat(variables).containsKeys("datasource", "job");
    assertThat(variables.get("datasource").path("type").asText()).isEqualTo("datasource");
    assertThat(variables.get("datasource").path("query").asText()).isEqualTo("prometheus");
    assertThat(variables.get("datasource").path("current").path("value").asText()).isEqualTo("prometheus");
    assertThat(variables.get("job").path("current").path("value").asText()).isEqualTo("ticketgate");
    for (JsonNode panel : dashboard.path("panels")) {
      assertThat(panel.path("datasource").path("uid").asText()).as("datasource of panel '%s'", panel.path("title"))
          .isEqualTo("${datasource}");
      assertThat(panel.path("targets")).as("queries of panel '%s'", panel.path("title")).isNotEmpty();
      for (JsonNode target : panel.path("targets")) {
        assertThat(target.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
        assertThat(target.path("expr").asText()).as("query of panel '%s'", panel.path("title"))
            .contains("job=~\"$job\"").doesNotContain("job=\"");
      }
    }
  }

  @Test
  void everyDashboardMetricIsScrapedAndPrometheusAnswersTheLockWaitQuery() throws Exception {
    List<String> queries = dashboardQueries();
    Set<String> names = metricNames(queries);
    assertThat(names).as("metric names found in the dashboard's queries").contains(
        "ticketgate_lock_wait_seconds_bucket", "ticketgate_messages_total", "up", "ticketgate_bot_concurrency_limit",
        "ticketgate_bot_calls_in_flight");
    // The alerts must not watch a metric that does not exist either: such an alert never fires.
    Set<String> alertNames = metricNames(alertExpressions());
    assertThat(alertNames).as("metric names found in the alert rules")
        .contains("ticketgate_tickets_expired_total", "ticketgate_committed_lag", "ticketgate_lock_store_up");
    names.addAll(alertNames);

    AtomicBoolean producing = new AtomicBoolean(true);
    Process server = null;
    try (StubBot bot = StubBot.start(StubBot.Behaviour.echo().withRandomLatency(Duration.ZERO, Duration.ofMillis(20)));
        Gateway gateway = Gateway.start(config(bot))) {
      String input = inputTopic;
      Thread producer = Thread.ofPlatform().name("monitoring-it-producer").start(() -> produce(input, producing));
      try {
        int metricsPort = gateway.metricsPort();
        PrometheusText scrape = awaitScrapeWith(metricsPort, "ticketgate_messages_total");

        Set<String> scraped = scrape.names();
        Set<String> missing = new TreeSet<>();
        for (String name : names) {
          if (!SYNTHETIC.contains(name) && !scraped.contains(name)) {
            missing.add(name);
          }
        }
        assertThat(missing).as("dashboard or alert metrics absent from a real /metrics scrape (its ticketgate_ "
            + "names: %s)", scraped.stream().filter(n -> n.startsWith("ticketgate_")).toList()).isEmpty();
        // The concurrency panel's gauges read the gateway's own limiter.
        assertThat(scrape.value("ticketgate_bot_concurrency_limit", Map.of())).isEqualTo(BOT_CONCURRENCY);
        assertThat(scrape.value("ticketgate_bot_calls_in_flight", Map.of())).isBetween(0.0, (double) BOT_CONCURRENCY);

        int prometheusPort = freePort();
        server = startPrometheus(metricsPort, prometheusPort);
        String up = "up{job=\"ticketgate\"}";
        JsonNode upResult = awaitNumericResult(server, prometheusPort, up, Duration.ofSeconds(30));
        assertThat(upResult.path("value").path(1).asText()).as("%s", up).isEqualTo("1");

        String p99 = queries.stream().filter(q -> q.contains("0.99") && q.contains("ticketgate_lock_wait_seconds"))
            .findFirst().orElseThrow(() -> new AssertionError("the dashboard has no lock-wait p99 query"))
            // Grafana fills the variables in; a few 1 s scrapes are enough for rate() here.
            .replace("$__rate_interval", "10s").replace("$job", "ticketgate");
        JsonNode sample = awaitNumericResult(server, prometheusPort, p99, Duration.ofSeconds(40));
        assertThat(Double.parseDouble(sample.path("value").path(1).asText())).as("lock-wait p99").isFinite()
            .isGreaterThanOrEqualTo(0);
      } finally {
        producing.set(false);
        producer.join(10_000);
      }
    } finally {
      stop(server);
    }
  }

  // --- the gateway and its traffic ----------------------------------------------------------

  private String inputTopic;

  private GatewayConfig config(StubBot bot) {
    inputTopic = KAFKA.newTopic("monitoring-in", 2);
    GatewayConfig d = GatewayConfigs.defaults();
    KafkaSettings k = d.kafka();
    DispatchSettings p = d.dispatch();
    return d.withKafka(new KafkaSettings(KAFKA.bootstrapServers(), "it-" + UUID.randomUUID(), List.of(inputTopic),
            KAFKA.newTopic("monitoring-out", 1), KAFKA.newTopic("monitoring-dlq", 1), k.conversationId(),
            k.maxMessageBytes(), Map.of(), Map.of()))
        .withLockStore(Map.of("type", "in_memory"))
        // A fixed limit: unlimited calls register no concurrency gauges, which the dashboard also queries.
        .withBot(new BotSettings("rasa", bot.url(), Duration.ofSeconds(5), Map.of(), Map.of())
            .withConcurrency(ConcurrencySettings.fixed(BOT_CONCURRENCY)))
        .withDispatch(new DispatchSettings(p.maxInFlight(), 3, Duration.ofMillis(20), Duration.ofMillis(100),
            p.lockLifetime(), p.lockMaxWait(), Duration.ofSeconds(20), Duration.ofSeconds(10), Duration.ofMillis(200)))
        .withMetrics(new MetricsSettings(true, "127.0.0.1", 0));
  }

  /**
   * Two messages per conversation at a time, so the second waits for the first and lock waits are
   * observed, until told to stop: rate() needs samples that keep changing while Prometheus scrapes.
   */
  private static void produce(String topic, AtomicBoolean producing) {
    try (KafkaProducer<String, String> producer = KAFKA.producer()) {
      int round = 0;
      // One record without a value, so the dead-letter panel's metric is in the scrape too.
      producer.send(new ProducerRecord<>(topic, "monitoring-empty", null));
      while (producing.get()) {
        round++;
        for (int c = 0; c < 4; c++) {
          String id = "monitoring-" + c;
          for (int m = 0; m < 2; m++) {
            producer.send(new ProducerRecord<>(topic, id, "{\"message\": \"" + id + " round " + round + "\"}"));
          }
        }
        producer.flush();
        Thread.sleep(100);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static PrometheusText awaitScrapeWith(int port, String metric) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    String last = "";
    while (System.nanoTime() < deadline) {
      last = get(URI.create("http://127.0.0.1:" + port + "/metrics")).body();
      PrometheusText scrape = PrometheusText.parse(last);
      boolean replied = scrape.samples(metric).stream().anyMatch(s -> s.value() > 0);
      boolean waited = scrape.samples("ticketgate_lock_wait_seconds_count").stream().anyMatch(s -> s.value() > 0);
      boolean deadLettered = scrape.samples("ticketgate_dead_letters_total").stream().anyMatch(s -> s.value() > 0);
      if (replied && waited && deadLettered) {
        return scrape;
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the gateway never reported " + metric + " > 0; last scrape:\n" + last);
  }

  // --- the dashboard --------------------------------------------------------------------------

  private static List<String> dashboardQueries() throws IOException {
    JsonNode dashboard = JSON.readTree(root.resolve("docker/grafana/dashboards/ticketgate.json").toFile());
    List<String> queries = new ArrayList<>();
    for (JsonNode panel : dashboard.path("panels")) {
      for (JsonNode target : panel.path("targets")) {
        if (target.hasNonNull("expr")) {
          queries.add(target.get("expr").asText());
        }
      }
    }
    assertThat(queries).as("queries in the dashboard").isNotEmpty();
    return queries;
  }

  private static List<String> alertExpressions() throws IOException {
    JsonNode rules = new YAMLMapper().readTree(root.resolve("docker/prometheus/alerts.yml").toFile());
    List<String> expressions = new ArrayList<>();
    for (JsonNode group : rules.path("groups")) {
      for (JsonNode rule : group.path("rules")) {
        expressions.add(rule.path("expr").asText());
      }
    }
    assertThat(expressions).as("alert expressions").isNotEmpty();
    return expressions;
  }

  /**
   * Metric names in PromQL: identifiers left once label matchers, ranges, grouping clauses and
   * strings are removed, and that are not function calls or keywords.
   */
  static Set<String> metricNames(List<String> queries) {
    Pattern identifier = Pattern.compile("(?<![\\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\\s*\\()?");
    Set<String> names = new TreeSet<>();
    for (String q : queries) {
      String bare = q.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"")
          .replaceAll("\\{[^}]*}", "")
          .replaceAll("\\[[^]]*]", "")
          .replaceAll("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)", "");
      Matcher m = identifier.matcher(bare);
      while (m.find()) {
        String word = m.group(1);
        if (m.group(2) == null && !KEYWORDS.contains(word.toLowerCase())) {
          names.add(word);
        }
      }
    }
    return names;
  }

  // --- Prometheus -----------------------------------------------------------------------------

  private Process startPrometheus(int metricsPort, int port) throws IOException {
    Path config = temp.resolve("prometheus.yml");
    Files.writeString(config, """
        global:
          scrape_interval: 1s
          evaluation_interval: 1s
        scrape_configs:
          - job_name: ticketgate
            static_configs:
              - targets: ['127.0.0.1:%d']
        """.formatted(metricsPort));
    Path log = temp.resolve("prometheus.log");
    Process p = new ProcessBuilder(prometheus.toString(), "--config.file=" + config,
        "--storage.tsdb.path=" + Files.createDirectories(temp.resolve("tsdb")),
        "--web.listen-address=127.0.0.1:" + port)
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    prometheusLog = log;
    return p;
  }

  private Path prometheusLog;

  /** Polls the query API until the query returns a sample whose value is a finite number. */
  private JsonNode awaitNumericResult(Process server, int port, String query, Duration timeout) throws Exception {
    URI uri = URI.create("http://127.0.0.1:" + port + "/api/v1/query?query="
        + URLEncoder.encode(query, StandardCharsets.UTF_8));
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = "(no answer)";
    while (System.nanoTime() < deadline) {
      if (!server.isAlive()) {
        fail("prometheus exited with " + server.exitValue() + ":\n" + Files.readString(prometheusLog));
      }
      try {
        HttpResponse<String> response = get(uri);
        last = response.statusCode() + " " + response.body();
        if (response.statusCode() == 200) {
          JsonNode result = JSON.readTree(response.body()).path("data").path("result");
          for (JsonNode sample : result) {
            String value = sample.path("value").path(1).asText("");
            if (isFinite(value)) {
              return sample;
            }
          }
        }
      } catch (IOException e) {
        // Not listening yet: Prometheus takes a moment to open its TSDB and web port.
        last = e.toString();
      }
      Thread.sleep(500);
    }
    throw new AssertionError("Prometheus never answered '" + query + "' with a number; last answer: " + last
        + "\nprometheus log:\n" + Files.readString(prometheusLog));
  }

  private static boolean isFinite(String value) {
    try {
      return Double.isFinite(Double.parseDouble(value));
    } catch (NumberFormatException e) {
      return false;
    }
  }

  private static void stop(Process p) throws InterruptedException {
    if (p == null) {
      return;
    }
    p.destroy();
    if (!p.waitFor(10, TimeUnit.SECONDS)) {
      p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    }
  }

  // --- helpers --------------------------------------------------------------------------------

  private static HttpResponse<String> get(URI uri) throws IOException, InterruptedException {
    return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(5)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static void assertCommandSucceeds(Path dir, String... command) throws Exception {
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("%s finished", String.join(" ", command)).isTrue();
    assertThat(p.exitValue()).as("exit code of '%s' in %s; output:\n%s", String.join(" ", command), dir, output)
        .isZero();
  }

  private static Path repositoryRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("docker/prometheus/prometheus.yml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no docker/prometheus/prometheus.yml above " + Path.of("").toAbsolutePath());
  }

  private static Optional<Path> onPath(String program) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      Path candidate = Path.of(dir, program);
      if (Files.isExecutable(candidate)) {
        return Optional.of(candidate);
      }
    }
    return Optional.empty();
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
