package io.ticketgate.gateway.bot;

import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.DeadLetterReasons;
import io.ticketgate.gateway.TurnCheck;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * What {@link RasaBot} and {@link HttpBot} share: one pool of connections per bot (HTTP/1.1
 * keep-alive, or HTTP/2 where an https bot chooses it: {@link HttpConnections}), the headers sent
 * on every call, and the one place that decides which failures are worth retrying.
 *
 * <p>Classification: refused or broken connections, timeouts, HTTP 5xx, 408 and 429 are retryable
 * (the bot may be restarting or overloaded). Of those, the exchanges that did not complete and 429,
 * 502, 503 and 504 ({@link #isUnavailable}) say the bot is unavailable and count toward the circuit
 * breaker; another 5xx or a 408 comes from a bot that is up and failed on this message, so it is
 * retried within the message's budget only. Any other non-2xx status is permanent (the request
 * itself is wrong, so sending it again cannot help); a 2xx whose body cannot be read is permanent.
 * The fencing status ({@code bot.fencing_status}, 409 by default) is neither: it is a
 * {@linkplain BotException#fenced fenced} refusal of a stale ticket. A 429 or 503 carrying
 * {@code Retry-After} (seconds or an HTTP-date) passes it on in {@link BotException#retryAfter()}.
 */
final class BotHttpClient implements AutoCloseable {

  /** Headers the gateway sets itself; configuring them would break the contract with the bot. */
  private static final Set<String> OWN_HEADERS =
      Set.of(BotHandlers.TICKET_HEADER.toLowerCase(Locale.ROOT), "content-type");

  /** What {@link #isFencingStatusAllowed} demands, for error messages. */
  static final String FENCING_STATUS_RULE = "it must be a 4xx status other than 408 and 429 (those are retried), "
      + "or none";

  /** Upper bound on how long close() lets calls in progress finish. */
  private static final Duration MAX_CLOSE_GRACE = Duration.ofSeconds(5);

  private final URI url;
  private final Duration timeout;
  private final Map<String, String> headers;
  private final Integer fencingStatus;
  /** Sent on every call: the content type, Accept, then the configured headers, which may replace Accept. */
  private final Map<String, String> callHeaders;
  private final HttpConnections connections;
  /** Wall-clock time, to turn a Retry-After date into a wait. */
  private final java.time.Clock clock = java.time.Clock.systemUTC();

  /**
   * @param type the bot type, for error messages
   * @param url where every call is POSTed
   * @param timeout how long one call may take, connecting included
   * @param headers extra headers sent with every call
   * @param fencingStatus the status meaning "stale ticket", or null when the bot does not fence
   * @param http2 whether to offer HTTP/2 to an https bot ({@code bot.http2})
   * @throws IllegalArgumentException naming the setting when the URL, timeout, a header or the fencing
   *     status is unusable
   */
  BotHttpClient(String type, URI url, Duration timeout, Map<String, String> headers, Integer fencingStatus,
      boolean http2) {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(timeout, "timeout");
    String scheme = url.getScheme() == null ? "" : url.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      throw new IllegalArgumentException("bot.url was '" + url + "' but bot type " + type
          + " needs an http:// or https:// URL");
    }
    if (url.getHost() == null) {
      throw new IllegalArgumentException("bot.url was '" + url + "' but it names no host");
    }
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("bot.timeout was '" + timeout.toMillis() / 1000.0
          + "' but it must be greater than 0 seconds");
    }
    if (fencingStatus != null && !isFencingStatusAllowed(fencingStatus)) {
      throw new IllegalArgumentException("bot.fencing_status was '" + fencingStatus + "' but " + FENCING_STATUS_RULE);
    }
    this.url = url;
    this.timeout = timeout;
    this.fencingStatus = fencingStatus;
    this.headers = checkHeaders(url, headers);
    Map<String, String> fixed = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
    fixed.put("Content-Type", "application/json");
    fixed.put("Accept", "application/json");
    fixed.putAll(this.headers);
    this.callHeaders = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(fixed));
    // Redirects are not followed (a 3xx is a permanent failure): a bot that redirects is
    // misconfigured, and following would re-send the message elsewhere.
    // https trusts what the JVM trusts (javax.net.ssl.trustStore).
    this.connections = new HttpConnections(url, timeout, null, http2);
  }

  private static Map<String, String> checkHeaders(URI url, Map<String, String> headers) {
    Map<String, String> checked = new LinkedHashMap<>();
    if (headers == null) {
      return checked;
    }
    for (Map.Entry<String, String> header : headers.entrySet()) {
      String name = header.getKey();
      if (name == null || header.getValue() == null) {
        throw new IllegalArgumentException("bot.headers has an entry with a missing name or value: '"
            + name + "'");
      }
      if (OWN_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException("bot.headers." + name
            + " cannot be configured: the gateway sets it on every call");
      }
      try {
        // The JDK refuses some names (Host, Connection, ...) only when a request is built; find out now.
        HttpRequest.newBuilder(url).header(name, "probe");
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("bot.headers." + name + " cannot be sent: " + e.getMessage(), e);
      }
      try {
        HttpRequest.newBuilder(url).header(name, header.getValue());
      } catch (IllegalArgumentException e) {
        // The JDK's message and so the cause quote the value, and header values are often credentials:
        // both are left out on purpose.
        throw new IllegalArgumentException("bot.headers." + name
            + " has a value that cannot be sent in an HTTP header (line breaks or other control characters?)");
      }
      checked.put(name, header.getValue());
    }
    return Map.copyOf(checked);
  }

  /** Where calls go. */
  URI url() {
    return url;
  }

  /** How long one call may take. */
  Duration timeout() {
    return timeout;
  }

  /**
   * POSTs {@code json} for {@code request}, unless {@code turn} is lost when the request is about to
   * be written.
   *
   * @return the answer, always with a 2xx status
   * @throws BotException for any other status or a failed exchange, classified as this class says;
   *     {@linkplain BotException#turnLost turn lost} when nothing was sent because of {@code turn}
   */
  Answer post(byte[] json, BotRequest request, TurnCheck turn) throws BotException {
    HttpConnections.Response response;
    try {
      response = connections.post(json, callHeaders, Map.of(BotHandlers.TICKET_HEADER,
          Integer.toString(request.ticket()), BotHandlers.IDEMPOTENCY_HEADER, request.source().idempotencyKey()), turn);
    } catch (HttpConnections.TurnLost e) {
      throw BotException.turnLost("ticket " + request.ticket() + " may have expired before the request to the bot at "
          + url + " for " + subject(request) + " was written (this process was paused or could not renew it); "
          + "nothing was sent");
    } catch (IOException e) {
      throw failure(e, request);
    } catch (InterruptedException e) {
      // Keep the flag so the gateway's loop sees it is being stopped; the message stays unprocessed.
      Thread.currentThread().interrupt();
      throw BotException.retryable(DeadLetterReasons.BOT_INTERRUPTED, "Interrupted while calling the bot at " + url
          + " for " + subject(request), e);
    }
    int status = response.status();
    // Only where the status invites it: a Retry-After on other answers says nothing about retrying them.
    Duration retryAfter = status == 429 || status == 503 ? RetryAfter.parse(response.retryAfter(), clock.instant())
        : null;
    Answer answer = new Answer(status, response.body(), retryAfter);
    if (answer.status() >= 200 && answer.status() < 300) {
      return answer;
    }
    throw failure(answer, request);
  }

  /**
   * Whether {@code status} can mean "stale ticket": a client error, and not one of those retried
   * with the same ticket, or a refusal would be retried instead of taking a new ticket.
   */
  static boolean isFencingStatusAllowed(int status) {
    return status >= 400 && status <= 499 && !isRetryable(status);
  }

  /** The failure for a completed exchange whose status is not 2xx. */
  BotException failure(Answer answer, BotRequest request) {
    int status = answer.status();
    if (fencingStatus != null && status == fencingStatus) {
      return BotException.fenced(DeadLetterReasons.BOT_FENCED, "Bot at " + url + " refused " + subject(request) + " as fenced (HTTP "
          + status + "): it already accepted a higher ticket of the conversation: " + BotJson.excerpt(answer.body()),
          null);
    }
    String reason = DeadLetterReasons.botHttp(status);
    boolean retryable = isRetryable(status);
    String message = "Bot at " + url + " answered HTTP " + status + (retryable ? " (retryable)" : "")
        + (answer.retryAfter() == null ? "" : " asking to retry after " + seconds(answer.retryAfter()))
        + " for " + subject(request) + ": " + BotJson.excerpt(answer.body());
    if (!retryable) {
      return BotException.permanent(reason, message, null);
    }
    return isUnavailable(status) ? BotException.retryable(reason, message, answer.retryAfter(), null)
        : BotException.retryableError(reason, message, null);
  }

  /**
   * Whether a retryable status says the bot (or what is in front of it) is unavailable rather than
   * that it failed on this request: overloaded (429, 503) or unreachable behind a gateway (502,
   * 504). A 500 or 408 comes from a bot that is up.
   */
  static boolean isUnavailable(int status) {
    return status == 429 || status == 502 || status == 503 || status == 504;
  }

  /** Whether a non-2xx status is worth retrying: overload, a restart or a gateway in between. */
  static boolean isRetryable(int status) {
    return status >= 500 && status <= 599 || status == 408 || status == 429;
  }

  /** The failure for an exchange that did not complete. */
  BotException failure(IOException e, BotRequest request) {
    if (e instanceof HttpConnectTimeoutException) {
      return BotException.retryable(DeadLetterReasons.BOT_UNREACHABLE, "Bot at " + url + " did not accept a connection within "
          + seconds(timeout) + " for " + subject(request), e);
    }
    if (e instanceof HttpTimeoutException) {
      return BotException.retryable(DeadLetterReasons.BOT_TIMEOUT, "Bot at " + url + " did not answer within "
          + seconds(timeout) + " for " + subject(request), e);
    }
    if (causedBy(e, ConnectException.class)) {
      return BotException.retryable(DeadLetterReasons.BOT_UNREACHABLE, "Could not connect to the bot at " + url + " for "
          + subject(request) + ": " + describe(e), e);
    }
    // Resets, a closed connection, a malformed status line: the exchange broke, the bot may be back soon.
    return BotException.retryable(DeadLetterReasons.BOT_UNREACHABLE, "Lost the connection to the bot at " + url + " for "
        + subject(request) + ": " + describe(e), e);
  }

  /**
   * The failure for a 2xx answer the bot type cannot read.
   *
   * @param expected what the body should have been, for the message
   * @param cause the parser's complaint, or null when the body parsed but has the wrong shape
   */
  BotException unparseable(Answer answer, BotRequest request, String expected, Exception cause) {
    String problem = "";
    if (cause instanceof com.fasterxml.jackson.core.JsonProcessingException jpe) {
      // The original message leaves out Jackson's location boilerplate; the excerpt shows the body.
      problem = " (" + jpe.getOriginalMessage() + ")";
    } else if (cause != null) {
      problem = " (" + cause + ")";
    }
    return BotException.permanent(DeadLetterReasons.BOT_UNPARSEABLE_RESPONSE, "Bot at " + url + " answered HTTP "
        + answer.status() + " for " + subject(request) + " with a body that is not " + expected
        + problem + ": " + BotJson.excerpt(answer.body()), cause);
  }

  /** The failure for a request that cannot be encoded; its metadata holds something JSON cannot. */
  BotException unencodable(BotRequest request, Exception e) {
    return BotException.permanent(DeadLetterReasons.BOT_REQUEST_UNENCODABLE, "Could not encode the request to the bot at "
        + url + " for " + subject(request) + " as JSON: " + e.getMessage(), e);
  }

  private static String subject(BotRequest request) {
    return "conversation '" + request.conversationId() + "', ticket " + request.ticket() + " (attempt "
        + request.attempt() + ", " + request.source() + ")";
  }

  private static String seconds(Duration d) {
    return d.toMillis() / 1000.0 + " s";
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
    }
    return false;
  }

  private static String describe(Throwable e) {
    // The JDK client often wraps the interesting exception and leaves its own message empty.
    StringBuilder out = new StringBuilder();
    for (Throwable t = e; t != null && out.length() < 300; t = t.getCause()) {
      if (!out.isEmpty()) {
        out.append(" <- ");
      }
      out.append(t.getClass().getSimpleName());
      if (t.getMessage() != null) {
        out.append(": ").append(t.getMessage());
      }
    }
    return out.toString();
  }

  /**
   * Stops the client: calls in progress get up to their timeout (at most 5 s) to finish, then they
   * are aborted and fail as retryable.
   */
  @Override
  public void close() {
    connections.close(timeout.compareTo(MAX_CLOSE_GRACE) < 0 ? timeout : MAX_CLOSE_GRACE);
  }

  /**
   * A completed exchange.
   *
   * @param status the HTTP status
   * @param body the body, empty when there was none
   * @param retryAfter the {@code Retry-After} of a 429 or 503, or null
   */
  record Answer(int status, byte[] body, Duration retryAfter) {
    /** Whether the body holds anything but whitespace. */
    boolean hasContent() {
      for (byte b : body) {
        if (b != ' ' && b != '\n' && b != '\r' && b != '\t') {
          return true;
        }
      }
      return false;
    }
  }
}
