package io.ticketgate.gateway.config;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * The {@code bot:} section: which bot messages go to and how to reach it.
 *
 * @param type {@code rasa}, {@code http}, {@code echo} (built in, for demos and tests), or the class
 *     name of a {@link io.ticketgate.gateway.BotHandler}
 * @param url for {@code rasa}: the server's base URL (default {@value #DEFAULT_RASA_URL}, where
 *     {@code rasa run} listens; the webhook path is appended); for {@code http}: the full URL to POST to
 * @param timeout how long one call may take; default 30 s
 * @param headers extra HTTP headers sent with every call (for instance an authorization token)
 * @param section the whole section, for a Java handler's constructor
 */
public record BotSettings(String type, URI url, Duration timeout, Map<String, String> headers,
    Map<String, Object> section) {

  /** Where {@code rasa run} listens by default. */
  public static final String DEFAULT_RASA_URL = "http://localhost:5005";
  /** Default {@link #timeout()}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

  /** Validates and freezes the components. */
  public BotSettings {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(timeout, "timeout");
    headers = Map.copyOf(headers == null ? Map.of() : headers);
    section = section == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(section));
  }

  /** Rasa on its default URL. */
  public static BotSettings defaults() {
    return new BotSettings("rasa", URI.create(DEFAULT_RASA_URL), DEFAULT_TIMEOUT, Map.of(), Map.of());
  }
}
