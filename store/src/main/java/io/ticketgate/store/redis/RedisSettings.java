package io.ticketgate.store.redis;

import io.ticketgate.store.config.SectionReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * How to reach Redis and name keys, with the parameters and defaults of Rasa's Redis lock stores.
 * Immutable; build with {@link #builder()} or read from a section with {@link #read}.
 *
 * <p>{@link #toString()} never shows the password.
 *
 * @param host Redis host; default {@value #DEFAULT_HOST}
 * @param port Redis port; default {@value #DEFAULT_PORT}
 * @param db database number; default {@value #DEFAULT_DB}, as Rasa's documentation gives it. Rasa's
 *     code defaults its {@code RedisLockStore} to Redis's 0, so a Redis shared with Rasa servers
 *     needs {@code db} set on both sides (the README's "Sharing Redis with Rasa servers")
 * @param username ACL user name, or null
 * @param password password, or null
 * @param useSsl whether to speak TLS; default false
 * @param sslKeyfile client private key (PEM, PKCS#8) for mutual TLS, or null
 * @param sslCertfile client certificate chain (PEM) for mutual TLS, or null
 * @param sslCaCerts CA certificates (PEM) to trust instead of the JDK's, or null
 * @param keyPrefix alphanumeric prefix put before the store's own prefix as {@code <key_prefix>:}, or null
 * @param socketTimeout how long a Redis call may take before it fails; default 10 s
 * @param deploymentMode standalone server, cluster or sentinel
 * @param endpoints cluster nodes or sentinels as {@code host:port}; empty means {@code host:port}
 * @param sentinelService the master name sentinels know, for sentinel mode
 * @param ticketCounterTtl how long the concurrent store keeps a conversation's ticket counter after
 *     its last ticket; default 30 days, so fencing tokens keep growing across idle periods
 * @param absentTicketGrace how long the concurrent store treats a number the counter issued, whose
 *     ticket key is absent, as a ticket still being written (a Rasa server takes the number and
 *     writes the key in two commands); default 5 s. Counted from when a Ticketgate replica first
 *     saw it absent; after it the number counts as abandoned.
 */
public record RedisSettings(
    String host,
    int port,
    int db,
    String username,
    String password,
    boolean useSsl,
    Path sslKeyfile,
    Path sslCertfile,
    Path sslCaCerts,
    String keyPrefix,
    Duration socketTimeout,
    DeploymentMode deploymentMode,
    List<String> endpoints,
    String sentinelService,
    Duration ticketCounterTtl,
    Duration absentTicketGrace) {

  /** Default {@link #host()}. */
  public static final String DEFAULT_HOST = "localhost";
  /** Default {@link #port()}. */
  public static final int DEFAULT_PORT = 6379;
  /** Default {@link #db()}, as Rasa's documentation gives it (not as its code does: see {@link #db()}). */
  public static final int DEFAULT_DB = 1;
  /** Default {@link #socketTimeout()}. */
  public static final Duration DEFAULT_SOCKET_TIMEOUT = Duration.ofSeconds(10);
  /** Default {@link #ticketCounterTtl()}. */
  public static final Duration DEFAULT_TICKET_COUNTER_TTL = Duration.ofDays(30);
  /** Default {@link #absentTicketGrace()}. */
  public static final Duration DEFAULT_ABSENT_TICKET_GRACE = Duration.ofSeconds(5);

  /** How Redis is deployed. */
  public enum DeploymentMode {
    /** One server (or a server behind a proxy). */
    STANDARD,
    /** Redis Cluster; conversation ids are wrapped in a hash tag so one conversation's keys share a slot. */
    CLUSTER,
    /** A master found through sentinels. */
    SENTINEL
  }

  /** Validates the settings. */
  public RedisSettings {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(socketTimeout, "socketTimeout");
    Objects.requireNonNull(deploymentMode, "deploymentMode");
    Objects.requireNonNull(ticketCounterTtl, "ticketCounterTtl");
    Objects.requireNonNull(absentTicketGrace, "absentTicketGrace");
    if (absentTicketGrace.isNegative() || absentTicketGrace.isZero()) {
      throw new IllegalArgumentException("absentTicketGrace must be positive but was " + absentTicketGrace);
    }
    endpoints = List.copyOf(endpoints == null ? List.of() : endpoints);
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException("port must be between 1 and 65535 but was " + port);
    }
    if (db < 0) {
      throw new IllegalArgumentException("db must be >= 0 but was " + db);
    }
    if (keyPrefix != null && !isAlphanumeric(keyPrefix)) {
      throw new IllegalArgumentException("keyPrefix must be alphanumeric but was '" + keyPrefix + "'");
    }
    if (deploymentMode == DeploymentMode.SENTINEL && (sentinelService == null || sentinelService.isBlank())) {
      throw new IllegalArgumentException("sentinel mode needs sentinelService (the master name)");
    }
    for (String e : endpoints) {
      if (parseEndpoint(e) == null) {
        throw new IllegalArgumentException("endpoint must be host:port but was '" + e + "'");
      }
    }
  }

  /** A builder with every default. */
  public static Builder builder() {
    return new Builder();
  }

  /** The endpoints to contact: {@link #endpoints()}, or {@code host:port} when there are none. */
  public List<String> effectiveEndpoints() {
    return endpoints.isEmpty() ? List.of(host + ":" + port) : endpoints;
  }

  @Override
  public String toString() {
    return "RedisSettings{host=" + host + ", port=" + port + ", db=" + db
        + ", username=" + username + ", password=" + (password == null ? "none" : "****")
        + ", useSsl=" + useSsl + ", keyPrefix=" + keyPrefix + ", socketTimeout=" + socketTimeout
        + ", deploymentMode=" + deploymentMode + ", endpoints=" + endpoints
        + ", sentinelService=" + sentinelService + '}';
  }

  static boolean isAlphanumeric(String s) {
    // Python's str.isalnum(), which Rasa uses: non-empty, letters and digits of any script.
    return !s.isEmpty() && s.codePoints().allMatch(Character::isLetterOrDigit);
  }

  /** {host, port} of a {@code host:port} endpoint, or null when malformed. */
  static String[] parseEndpoint(String endpoint) {
    int colon = endpoint.lastIndexOf(':');
    if (colon <= 0 || colon == endpoint.length() - 1) {
      return null;
    }
    String h = endpoint.substring(0, colon);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    try {
      int p = Integer.parseInt(endpoint.substring(colon + 1));
      return p >= 1 && p <= 65535 ? new String[] {h, Integer.toString(p)} : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * Reads the Redis keys of a {@code lock_store:} section, recording every problem and warning in
   * {@code r}. Returns null when the section has problems.
   *
   * @param concurrent whether the section describes the concurrent store (which alone takes
   *     {@code ticket_counter_ttl} and {@code absent_ticket_grace})
   */
  public static RedisSettings read(SectionReader r, boolean concurrent) {
    String host = r.string("host", null);
    String url = r.string("url", null);
    // Rasa documents `url` (the Redis host) for its RedisLockStore and `host` for the concurrent
    // one, whose migration note says to rename it. A file shared with a Rasa server must keep
    // Rasa's spelling, so `url` is only questioned where Rasa itself no longer takes it.
    if (host != null && url != null) {
      r.problem("url", url, "cannot be combined with host ('" + host + "'); both name the Redis host, keep one");
    } else if (url != null) {
      if (concurrent) {
        r.warn("'url' is the redis store's name for the Redis host; Rasa's concurrent lock store reads 'host', so "
            + "rename it to 'host' (as Rasa's migration note says) if a Rasa server shares this file");
      }
      host = url;
    }
    String hostKey = r.has("host") ? "host" : "url";
    if (host == null) {
      host = DEFAULT_HOST;
    } else if (host.isBlank()) {
      r.problem(hostKey, host, "must not be empty");
    } else if (host.contains("://") || host.contains("/")) {
      r.problem(hostKey, host, "must be a host name, not a URL (put the port in 'port' and the database in 'db')");
    }
    int port = r.integer("port", DEFAULT_PORT, 1, 65535);
    int db = r.integer("db", DEFAULT_DB, 0, Integer.MAX_VALUE);
    String username = blankToNull(r.string("username", null));
    String password = blankToNull(r.string("password", null));
    boolean useSsl = r.bool("use_ssl", false);
    Path keyfile = file(r, "ssl_keyfile");
    Path certfile = file(r, "ssl_certfile");
    Path caCerts = file(r, "ssl_ca_certs");
    if (!useSsl && (keyfile != null || certfile != null || caCerts != null)) {
      r.warn("ssl_keyfile, ssl_certfile and ssl_ca_certs are ignored because use_ssl is not true");
    }
    if (r.has("ssl_keyfile") != r.has("ssl_certfile")) {
      String given = r.has("ssl_keyfile") ? "ssl_keyfile" : "ssl_certfile";
      r.problem(given, r.raw(given), "needs its pair: set both ssl_certfile and ssl_keyfile for a client certificate");
    }
    String keyPrefix = null;
    Object rawPrefix = r.raw("key_prefix");
    if (rawPrefix != null) {
      String p = String.valueOf(rawPrefix);
      if (isAlphanumeric(p)) {
        keyPrefix = p;
      } else {
        r.warn("omitting non-alphanumeric key_prefix '" + p + "'; using the default prefix instead");
      }
    }
    Duration socketTimeout = r.seconds("socket_timeout", DEFAULT_SOCKET_TIMEOUT);
    DeploymentMode mode = DeploymentMode.STANDARD;
    String rawMode = r.string("deployment_mode", null);
    if (rawMode != null) {
      try {
        mode = DeploymentMode.valueOf(rawMode.trim().toUpperCase(java.util.Locale.ROOT));
      } catch (IllegalArgumentException e) {
        r.problem("deployment_mode", rawMode, "must be standard, cluster or sentinel");
      }
    }
    List<String> endpoints = new ArrayList<>();
    for (String e : r.stringList("endpoints")) {
      if (parseEndpoint(e.trim()) == null) {
        r.problem("endpoints", e, "must be host:port");
      } else {
        endpoints.add(e.trim());
      }
    }
    String sentinelService = blankToNull(r.string("sentinel_service", null));
    if (mode == DeploymentMode.SENTINEL && sentinelService == null) {
      r.problem("deployment_mode", "sentinel", "needs sentinel_service, the name of the master the sentinels watch");
    }
    if (mode != DeploymentMode.SENTINEL && sentinelService != null) {
      r.warn("sentinel_service is ignored because deployment_mode is not sentinel");
    }
    if (mode == DeploymentMode.STANDARD && !endpoints.isEmpty()) {
      r.warn("endpoints are ignored because deployment_mode is standard; host and port are used");
    }
    if (mode == DeploymentMode.CLUSTER && db != 0) {
      if (r.has("db")) {
        r.problem("db", db, "must be 0 in cluster mode (Redis Cluster has one database)");
      }
      db = 0;
    }
    Duration counterTtl = concurrent ? r.seconds("ticket_counter_ttl", DEFAULT_TICKET_COUNTER_TTL) : DEFAULT_TICKET_COUNTER_TTL;
    Duration grace = concurrent ? r.seconds("absent_ticket_grace", DEFAULT_ABSENT_TICKET_GRACE)
        : DEFAULT_ABSENT_TICKET_GRACE;
    r.raw("concurrent_mode");
    if (!r.problems().isEmpty()) {
      return null;
    }
    return new RedisSettings(host, port, db, username, password, useSsl, keyfile, certfile, caCerts,
        keyPrefix, socketTimeout, mode, endpoints, sentinelService, counterTtl, grace);
  }

  private static Path file(SectionReader r, String key) {
    String v = blankToNull(r.string(key, null));
    if (v == null) {
      return null;
    }
    Path p = Path.of(v);
    if (!Files.isRegularFile(p)) {
      r.problem(key, v, "names a file that does not exist");
      return null;
    }
    if (!Files.isReadable(p)) {
      r.problem(key, v, "names a file that cannot be read");
      return null;
    }
    return p;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  /** Builds {@link RedisSettings}. */
  public static final class Builder {
    private String host = DEFAULT_HOST;
    private int port = DEFAULT_PORT;
    private int db = DEFAULT_DB;
    private String username;
    private String password;
    private boolean useSsl;
    private Path sslKeyfile;
    private Path sslCertfile;
    private Path sslCaCerts;
    private String keyPrefix;
    private Duration socketTimeout = DEFAULT_SOCKET_TIMEOUT;
    private DeploymentMode deploymentMode = DeploymentMode.STANDARD;
    private List<String> endpoints = List.of();
    private String sentinelService;
    private Duration ticketCounterTtl = DEFAULT_TICKET_COUNTER_TTL;
    private Duration absentTicketGrace = DEFAULT_ABSENT_TICKET_GRACE;

    private Builder() {}

    /** Sets {@link RedisSettings#host()}. */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** Sets {@link RedisSettings#port()}. */
    public Builder port(int port) {
      this.port = port;
      return this;
    }

    /** Sets {@link RedisSettings#db()}. */
    public Builder db(int db) {
      this.db = db;
      return this;
    }

    /** Sets the ACL user and password. */
    public Builder credentials(String username, String password) {
      this.username = username;
      this.password = password;
      return this;
    }

    /** Turns TLS on, trusting {@code caCerts} (null: the JDK's trust store). */
    public Builder ssl(Path caCerts) {
      this.useSsl = true;
      this.sslCaCerts = caCerts;
      return this;
    }

    /** Presents a client certificate (mutual TLS). */
    public Builder clientCertificate(Path certfile, Path keyfile) {
      this.sslCertfile = certfile;
      this.sslKeyfile = keyfile;
      return this;
    }

    /** Sets {@link RedisSettings#keyPrefix()}. */
    public Builder keyPrefix(String keyPrefix) {
      this.keyPrefix = keyPrefix;
      return this;
    }

    /** Sets {@link RedisSettings#socketTimeout()}. */
    public Builder socketTimeout(Duration socketTimeout) {
      this.socketTimeout = socketTimeout;
      return this;
    }

    /** Sets {@link RedisSettings#deploymentMode()} and its endpoints. */
    public Builder deployment(DeploymentMode mode, List<String> endpoints, String sentinelService) {
      this.deploymentMode = mode;
      this.endpoints = endpoints;
      this.sentinelService = sentinelService;
      return this;
    }

    /** Sets {@link RedisSettings#ticketCounterTtl()}. */
    public Builder ticketCounterTtl(Duration ttl) {
      this.ticketCounterTtl = ttl;
      return this;
    }

    /** Sets {@link RedisSettings#absentTicketGrace()}. */
    public Builder absentTicketGrace(Duration grace) {
      this.absentTicketGrace = grace;
      return this;
    }

    /** Builds the settings. */
    public RedisSettings build() {
      return new RedisSettings(host, port, db, username, password, useSsl, sslKeyfile, sslCertfile,
          sslCaCerts, keyPrefix, socketTimeout, deploymentMode, endpoints, sentinelService, ticketCounterTtl,
          absentTicketGrace);
    }
  }
}
