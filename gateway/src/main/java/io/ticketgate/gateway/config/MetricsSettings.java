package io.ticketgate.gateway.config;

/**
 * The {@code metrics:} section: where {@code /metrics} and the health endpoints are served.
 *
 * @param enabled whether to serve them; default true
 * @param host the address to bind; default all interfaces
 * @param port the port; default {@value #DEFAULT_PORT}; 0 picks a free one
 */
public record MetricsSettings(boolean enabled, String host, int port) {

  /** Default {@link #port()}. */
  public static final int DEFAULT_PORT = 9404;

  /** The defaults. */
  public static MetricsSettings defaults() {
    return new MetricsSettings(true, "0.0.0.0", DEFAULT_PORT);
  }
}
