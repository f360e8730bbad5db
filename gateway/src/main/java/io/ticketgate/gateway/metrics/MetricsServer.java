package io.ticketgate.gateway.metrics;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's HTTP endpoint for Prometheus and orchestrator probes.
 *
 * <ul>
 *   <li>{@code GET /metrics}: {@link GatewayMetrics#scrape()} as Prometheus text format 0.0.4;
 *   <li>{@code GET /health/live} and {@code GET /health/ready}: the liveness and readiness checks,
 *       200 with {@code {"status": "UP", "details": {...}}} when up, 503 with
 *       {@code {"status": "DOWN", ...}} when down or when the check throws;
 *   <li>404 for any other path, 405 for any other method on these paths.
 * </ul>
 * Requests run on virtual threads. {@link #close()} stops at once, cutting off requests in progress.
 */
public final class MetricsServer implements AutoCloseable {

  /** Where the server listens unless told otherwise: every interface, as scrapers run elsewhere. */
  public static final String DEFAULT_HOST = "0.0.0.0";

  private static final Logger LOG = LoggerFactory.getLogger(MetricsServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String JSON_TYPE = "application/json";
  private static final String TEXT_TYPE = "text/plain; charset=utf-8";

  private final GatewayMetrics metrics;
  private final HealthCheck liveness;
  private final HealthCheck readiness;
  private final HttpServer server;
  private final ExecutorService executor;
  private final String host;
  private final AtomicBoolean closed = new AtomicBoolean();

  private MetricsServer(GatewayMetrics metrics, String host, HealthCheck liveness, HealthCheck readiness,
      HttpServer server, ExecutorService executor) {
    this.metrics = metrics;
    this.host = host;
    this.liveness = liveness;
    this.readiness = readiness;
    this.server = server;
    this.executor = executor;
  }

  /**
   * Starts a server on {@value #DEFAULT_HOST}; see
   * {@link #start(GatewayMetrics, String, int, HealthCheck, HealthCheck)}.
   */
  public static MetricsServer start(GatewayMetrics metrics, int port, HealthCheck liveness,
      HealthCheck readiness) throws IOException {
    return start(metrics, DEFAULT_HOST, port, liveness, readiness);
  }

  /**
   * Starts a server.
   *
   * @param host the address to listen on, such as {@code 0.0.0.0} or {@code 127.0.0.1}
   * @param port the port, or 0 for a free one ({@link #port()} tells which)
   * @throws IOException naming the address when it cannot be bound
   * @throws IllegalArgumentException when the port is out of range
   */
  public static MetricsServer start(GatewayMetrics metrics, String host, int port, HealthCheck liveness,
      HealthCheck readiness) throws IOException {
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(liveness, "liveness");
    Objects.requireNonNull(readiness, "readiness");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("metrics port was '" + port + "' but it must be between 0 and 65535");
    }
    HttpServer server;
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), port), 0);
    } catch (IOException e) {
      throw new IOException("Could not start the metrics server on " + host + ":" + port + ": " + e, e);
    }
    ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    MetricsServer instance = new MetricsServer(metrics, host, liveness, readiness, server, executor);
    server.setExecutor(executor);
    server.createContext("/", instance::handle);
    server.start();
    LOG.info("Metrics and health endpoints listening on http://{}:{}/metrics", host, instance.port());
    return instance;
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  /** The address the server listens on, as given. */
  public String host() {
    return host;
  }

  /** The server's base URL, with a loopback address when it listens on every interface. */
  public URI uri() {
    String reachable = server.getAddress().getAddress().isAnyLocalAddress() ? "127.0.0.1" : host;
    if (reachable.contains(":") && !reachable.startsWith("[")) {
      reachable = "[" + reachable + "]";
    }
    return URI.create("http://" + reachable + ":" + port());
  }

  private void handle(HttpExchange exchange) {
    try (exchange) {
      String path = exchange.getRequestURI().getPath();
      boolean known = path.equals("/metrics") || path.equals("/health/live") || path.equals("/health/ready");
      if (!known) {
        send(exchange, 404, TEXT_TYPE, "No such endpoint: " + path
            + " (there are /metrics, /health/live and /health/ready)\n");
        return;
      }
      if (!exchange.getRequestMethod().equals("GET")) {
        exchange.getResponseHeaders().set("Allow", "GET");
        send(exchange, 405, TEXT_TYPE, "Method " + exchange.getRequestMethod() + " is not allowed on " + path
            + ": use GET\n");
        return;
      }
      if (path.equals("/metrics")) {
        send(exchange, 200, GatewayMetrics.CONTENT_TYPE, metrics.scrape());
      } else {
        health(exchange, path.equals("/health/live") ? "liveness" : "readiness",
            path.equals("/health/live") ? liveness : readiness);
      }
    } catch (IOException e) {
      // Usually the scraper hung up; nothing to answer, but say so in case it is something else.
      LOG.debug("Could not answer {} {}: {}", exchange.getRequestMethod(), exchange.getRequestURI(), e.toString());
    } catch (RuntimeException e) {
      LOG.warn("Failed to answer {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), e);
      throw e;
    }
  }

  private void health(HttpExchange exchange, String name, HealthCheck check) throws IOException {
    Health health;
    try {
      health = check.check();
      if (health == null) {
        health = Health.unhealthy("the " + name + " check returned nothing");
      }
    } catch (RuntimeException e) {
      LOG.warn("The {} check failed; reporting down", name, e);
      health = Health.unhealthy(Map.of("error", String.valueOf(e)));
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("status", health.up() ? "UP" : "DOWN");
    body.put("details", health.details());
    String json;
    try {
      json = JSON.writeValueAsString(body);
    } catch (JsonProcessingException e) {
      LOG.warn("The {} check's details cannot be written as JSON: {}", name, health.details(), e);
      send(exchange, 500, TEXT_TYPE, "The " + name + " check's details cannot be written as JSON: "
          + e.getOriginalMessage() + "\n");
      return;
    }
    send(exchange, health.up() ? 200 : 503, JSON_TYPE, json + "\n");
  }

  private static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    exchange.getResponseHeaders().set("Content-Type", contentType);
    exchange.getResponseHeaders().set("Cache-Control", "no-store");
    exchange.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = exchange.getResponseBody()) {
      out.write(bytes);
    }
  }

  /** Stops listening and cuts off requests in progress; returns within a second. */
  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      server.stop(0);
      executor.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "MetricsServer[" + host + ":" + port() + "]";
  }
}
