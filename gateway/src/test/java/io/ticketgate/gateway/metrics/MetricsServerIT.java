package io.ticketgate.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ticketgate.gateway.testing.PrometheusText;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The metrics and health endpoints over real HTTP. */
class MetricsServerIT {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(2)).build();
  private final GatewayMetrics metrics = new GatewayMetrics();
  private final AtomicReference<Health> live = new AtomicReference<>(Health.healthy());
  private final AtomicReference<Health> ready = new AtomicReference<>(Health.healthy(Map.of("partitions", 3)));
  private MetricsServer server;

  @BeforeEach
  void start() throws IOException {
    server = MetricsServer.start(metrics, "127.0.0.1", 0, live::get, ready::get);
  }

  @AfterEach
  void stop() {
    server.close();
    metrics.close();
    client.close();
  }

  private HttpResponse<String> send(String method, String path) throws Exception {
    HttpRequest request = HttpRequest.newBuilder(URI.create(server.uri() + path))
        .timeout(Duration.ofSeconds(5))
        .method(method, HttpRequest.BodyPublishers.noBody())
        .build();
    return client.send(request, HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void servesTheScrapeInPrometheusTextFormat() throws Exception {
    metrics.lockWait(Duration.ofMillis(12));
    metrics.deadLettered("malformed_json");

    HttpResponse<String> response = send("GET", "/metrics");

    assertThat(server.port()).isPositive();
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.headers().firstValue("Content-Type")).hasValue("text/plain; version=0.0.4; charset=utf-8");
    PrometheusText text = PrometheusText.parse(response.body());
    assertThat(text.names()).contains("ticketgate_lock_wait_seconds_bucket", "ticketgate_lock_wait_seconds_count",
        "ticketgate_dead_letters_total", "jvm_memory_used_bytes");
    assertThat(text.value("ticketgate_lock_wait_seconds_count", Map.of())).isEqualTo(1);
    assertThat(text.labelNames()).noneMatch(label -> label.contains("conversation"));
  }

  @Test
  void theImagesHealthCheckScriptFollowsReadiness() throws Exception {
    Path script = Path.of("").toAbsolutePath();
    while (script != null && !Files.isRegularFile(script.resolve("docker/healthcheck.sh"))) {
      script = script.getParent();
    }
    assertThat(script).as("a directory above the working directory holding docker/healthcheck.sh").isNotNull();
    script = script.resolve("docker/healthcheck.sh");

    assertThat(runProbe(script)).as("exit status while ready").isZero();
    ready.set(Health.unhealthy("no partitions assigned yet"));
    assertThat(runProbe(script)).as("exit status while not ready").isNotZero();
  }

  private int runProbe(Path script) throws Exception {
    Process p = new ProcessBuilder("bash", script.toString(), Integer.toString(server.port()), "/health/ready")
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("the probe ended; output: %s", output).isTrue();
    return p.exitValue();
  }

  @Test
  void healthEndpointsAnswer200WhenUpAnd503WhenDown() throws Exception {
    HttpResponse<String> up = send("GET", "/health/ready");
    assertThat(up.statusCode()).isEqualTo(200);
    assertThat(up.headers().firstValue("Content-Type")).hasValue("application/json");
    JsonNode body = JSON.readTree(up.body());
    assertThat(body.get("status").asText()).isEqualTo("UP");
    assertThat(body.get("details").get("partitions").asInt()).isEqualTo(3);

    ready.set(Health.unhealthy("lock store unreachable"));
    HttpResponse<String> down = send("GET", "/health/ready");
    assertThat(down.statusCode()).isEqualTo(503);
    assertThat(down.headers().firstValue("Content-Type")).hasValue("application/json");
    assertThat(JSON.readTree(down.body()).get("status").asText()).isEqualTo("DOWN");
    assertThat(JSON.readTree(down.body()).get("details").get("reason").asText()).isEqualTo("lock store unreachable");

    // Liveness is its own check: readiness being down does not make the process dead.
    HttpResponse<String> alive = send("GET", "/health/live");
    assertThat(alive.statusCode()).isEqualTo(200);
    assertThat(alive.body()).isEqualTo("{\"status\":\"UP\",\"details\":{}}\n");
  }

  @Test
  void aCheckThatThrowsOrReturnsNothingIsDown() throws Exception {
    server.close();
    server = MetricsServer.start(metrics, "127.0.0.1", 0,
        () -> {
          throw new IllegalStateException("poll loop stuck for 90 s");
        },
        () -> null);

    HttpResponse<String> live = send("GET", "/health/live");
    assertThat(live.statusCode()).isEqualTo(503);
    assertThat(live.body()).contains("poll loop stuck for 90 s").contains("\"status\":\"DOWN\"");
    HttpResponse<String> ready = send("GET", "/health/ready");
    assertThat(ready.statusCode()).isEqualTo(503);
    assertThat(ready.body()).contains("returned nothing");
  }

  @Test
  void otherPathsAre404AndOtherMethods405() throws Exception {
    assertThat(send("GET", "/").statusCode()).isEqualTo(404);
    HttpResponse<String> missing = send("GET", "/metricsx");
    assertThat(missing.statusCode()).isEqualTo(404);
    assertThat(missing.body()).contains("/metricsx").contains("/metrics");
    assertThat(send("GET", "/health").statusCode()).isEqualTo(404);
    assertThat(send("GET", "/metrics?format=text").statusCode()).isEqualTo(200);

    for (String method : new String[] {"POST", "PUT", "DELETE"}) {
      HttpResponse<String> refused = send(method, "/metrics");
      assertThat(refused.statusCode()).as(method).isEqualTo(405);
      assertThat(refused.headers().firstValue("Allow")).hasValue("GET");
    }
    assertThat(send("POST", "/health/live").statusCode()).isEqualTo(405);
  }

  @Test
  void closeStopsWithinASecondAndFreesThePort() throws Exception {
    send("GET", "/metrics");
    int port = server.port();

    long start = System.nanoTime();
    server.close();
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(1));

    assertThatThrownBy(() -> send("GET", "/metrics")).isInstanceOf(ConnectException.class);
    try (ServerSocket again = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThat(again.getLocalPort()).isEqualTo(port);
    }
  }

  @Test
  void listensOnAllInterfacesByDefault() throws Exception {
    try (MetricsServer wide = MetricsServer.start(metrics, 0, HealthCheck.ALWAYS_UP, HealthCheck.ALWAYS_UP)) {
      assertThat(wide.host()).isEqualTo("0.0.0.0");
      assertThat(wide.uri().getHost()).isEqualTo("127.0.0.1");
      HttpResponse<String> response = client.send(HttpRequest.newBuilder(URI.create(wide.uri() + "/health/live"))
          .build(), HttpResponse.BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
    }
  }

  @Test
  void aTakenPortIsReportedWithTheAddress() throws Exception {
    int taken = server.port();
    assertThatThrownBy(() -> MetricsServer.start(metrics, "127.0.0.1", taken, HealthCheck.ALWAYS_UP,
        HealthCheck.ALWAYS_UP))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("127.0.0.1:" + taken);
    assertThatThrownBy(() -> MetricsServer.start(metrics, 70000, HealthCheck.ALWAYS_UP, HealthCheck.ALWAYS_UP))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("70000");
  }
}
