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
 * @param fencingStatus the HTTP status with which the rasa and http bots say "this ticket is lower
 *     than one I already accepted for the conversation" (default {@value #DEFAULT_FENCING_STATUS}),
 *     or null when the bot never fences and that status is an ordinary permanent failure
 * @param breaker the circuit breaker on calls to the bot ({@code bot.breaker})
 * @param concurrency how many calls may be in flight at once ({@code bot.concurrency})
 * @param http2 whether the rasa and http bots offer HTTP/2 to an https bot in the TLS handshake
 *     ({@code bot.http2}, default true); false keeps them on HTTP/1.1, one connection per call in
 *     flight (see the README for when that is better)
 */
public record BotSettings(String type, URI url, Duration timeout, Map<String, String> headers,
    Map<String, Object> section, Integer fencingStatus, BreakerSettings breaker, ConcurrencySettings concurrency,
    boolean http2) {

  /** Where {@code rasa run} listens by default. */
  public static final String DEFAULT_RASA_URL = "http://localhost:5005";
  /** Default {@link #timeout()}. */
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);
  /** Default {@link #fencingStatus()}: 409 Conflict. */
  public static final int DEFAULT_FENCING_STATUS = 409;

  /** Validates and freezes the components. */
  public BotSettings {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(breaker, "breaker");
    Objects.requireNonNull(concurrency, "concurrency");
    headers = Map.copyOf(headers == null ? Map.of() : headers);
    section = section == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(section));
  }

  /** Settings that offer HTTP/2 to https bots, the default. */
  public BotSettings(String type, URI url, Duration timeout, Map<String, String> headers, Map<String, Object> section,
      Integer fencingStatus, BreakerSettings breaker, ConcurrencySettings concurrency) {
    this(type, url, timeout, headers, section, fencingStatus, breaker, concurrency, true);
  }

  /** Settings with the default circuit breaker and no limit on calls in flight. */
  public BotSettings(String type, URI url, Duration timeout, Map<String, String> headers, Map<String, Object> section,
      Integer fencingStatus) {
    this(type, url, timeout, headers, section, fencingStatus, BreakerSettings.defaults(),
        ConcurrencySettings.unlimited());
  }

  /** Settings with the default fencing status, {@value #DEFAULT_FENCING_STATUS}, and the default circuit breaker. */
  public BotSettings(String type, URI url, Duration timeout, Map<String, String> headers, Map<String, Object> section) {
    this(type, url, timeout, headers, section, DEFAULT_FENCING_STATUS);
  }

  /** These settings with {@code breaker} instead. */
  public BotSettings withBreaker(BreakerSettings breaker) {
    return new BotSettings(type, url, timeout, headers, section, fencingStatus, breaker, concurrency, http2);
  }

  /** These settings with {@code concurrency} instead. */
  public BotSettings withConcurrency(ConcurrencySettings concurrency) {
    return new BotSettings(type, url, timeout, headers, section, fencingStatus, breaker, concurrency, http2);
  }

  /** These settings with {@code http2} instead. */
  public BotSettings withHttp2(boolean http2) {
    return new BotSettings(type, url, timeout, headers, section, fencingStatus, breaker, concurrency, http2);
  }

  /** Rasa on its default URL. */
  public static BotSettings defaults() {
    return new BotSettings("rasa", URI.create(DEFAULT_RASA_URL), DEFAULT_TIMEOUT, Map.of(), Map.of());
  }
}
