package io.ticketgate.gateway.config;

import io.ticketgate.store.LockStoreConfigException;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.config.SectionReader;
import io.ticketgate.store.config.YamlFiles;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * Reads and checks {@code gateway.yml}. Every section is optional: with no file at all the gateway
 * runs against Kafka on {@code localhost:9092}, the in-memory lock store and Rasa on
 * {@code localhost:5005}. Every problem is collected, so {@code ticketgate check-config} shows them
 * all at once.
 *
 * <pre>{@code
 * kafka:
 *   bootstrap_servers: ${KAFKA_BOOTSTRAP}
 *   group_id: ticketgate
 *   input_topics: [user-messages]
 *   output_topic: bot-replies
 *   dead_letter_topic: ticketgate-dead-letters
 *   conversation_id: {source: key}        # or {source: json_field, field: sender} or {source: header, header: conversation-id}
 *   properties: {security.protocol: SASL_SSL}   # every client; consumer: and producer: override it
 * lock_store: {type: concurrent_redis, host: redis}
 * bot: {type: rasa, url: http://rasa:5005, timeout: 30, breaker: {failure_threshold: 3, open_for: 1}}
 * dispatch: {max_in_flight: 1000, retries: 3}
 * metrics: {port: 9404}
 * logging: {format: json}
 * }</pre>
 */
public final class GatewayConfigs {

  private static final Pattern TOPIC = Pattern.compile("[a-zA-Z0-9._-]{1,249}");
  private static final Set<String> SECTIONS = Set.of("kafka", "lock_store", "bot", "dispatch", "metrics", "logging");
  /** Consumer properties Ticketgate sets itself because correctness depends on them. */
  private static final Set<String> MANAGED_CONSUMER_KEYS = Set.of("enable.auto.commit", "group.id",
      "key.deserializer", "value.deserializer", "bootstrap.servers");
  private static final Set<String> MANAGED_PRODUCER_KEYS = Set.of("key.serializer", "value.serializer",
      "bootstrap.servers", "enable.idempotence", "acks");

  private GatewayConfigs() {}

  /**
   * What checking found.
   *
   * @param config the configuration, or null when there are problems
   * @param problems errors, each naming key, value and file
   * @param warnings things that work but deserve attention
   */
  public record Result(GatewayConfig config, List<String> problems, List<String> warnings) {
    /** Whether the configuration can be used. */
    public boolean isValid() {
      return problems.isEmpty();
    }
  }

  /** The configuration used with no file at all. */
  public static GatewayConfig defaults() {
    return check(Map.of(), null, null, null).config();
  }

  /**
   * Reads {@code config} and, when given, the {@code lock_store:} section of {@code endpoints}.
   *
   * @param config {@code gateway.yml}, or null for the defaults
   * @param endpoints Rasa's {@code endpoints.yml}, or null
   * @throws GatewayConfigException listing every problem
   */
  public static GatewayConfig load(Path config, Path endpoints) {
    Result r = check(config, endpoints);
    if (!r.isValid()) {
      throw new GatewayConfigException(r.problems());
    }
    return r.config();
  }

  /** Checks files without throwing: the result lists problems and warnings. */
  public static Result check(Path config, Path endpoints) {
    List<String> fileProblems = new ArrayList<>();
    Map<String, Object> root = config == null ? Map.of() : readYaml(config, fileProblems);
    Map<String, Object> endpointsSection = null;
    if (endpoints != null) {
      try {
        endpointsSection = LockStores.readSection(endpoints);
      } catch (LockStoreConfigException e) {
        fileProblems.addAll(e.problems());
      }
    }
    if (!fileProblems.isEmpty()) {
      return new Result(null, fileProblems, List.of());
    }
    return check(root, config == null ? null : config.toString(), endpointsSection,
        endpoints == null ? null : endpoints.toString());
  }

  /** Checks an already parsed {@code gateway.yml}. */
  public static Result check(Map<String, Object> root, String source, Map<String, Object> endpointsLockStore,
      String endpointsSource) {
    return check(root, source, endpointsLockStore, endpointsSource, System::getenv);
  }

  /**
   * {@link #check(Map, String, Map, String)} substituting {@code ${VAR}} from {@code env}, so tests
   * need not touch the process environment. The lock store section is substituted when it is
   * checked and built, always from the process environment.
   */
  static Result check(Map<String, Object> root, String source, Map<String, Object> endpointsLockStore,
      String endpointsSource, Function<String, String> env) {
    // lock_store is left to LockStores.validate, which substitutes ${VAR} itself: substituting here as
    // well reported every unset variable in it twice.
    Map<String, Object> withoutLockStore = new LinkedHashMap<>(root);
    Object inline = withoutLockStore.remove("lock_store");
    // Named from the file's top level, as the README spells keys: kafka.output_topic.
    SectionReader top = new SectionReader("", withoutLockStore, source, env);
    for (String key : root.keySet()) {
      if (!SECTIONS.contains(key)) {
        String near = SectionReader.nearest(key, SECTIONS);
        top.warn("ignoring unknown section '" + key + "'" + (near == null ? "" : "; did you mean '" + near + "'?")
            + " (known: " + new java.util.TreeSet<>(SECTIONS) + ")");
      }
    }
    KafkaSettings kafka = readKafka(section(top, "kafka"));
    BotSettings bot = readBot(section(top, "bot"));
    DispatchSettings dispatch = readDispatch(section(top, "dispatch"));
    MetricsSettings metrics = readMetrics(section(top, "metrics"));
    LoggingSettings logging = readLogging(section(top, "logging"));
    BreakerSettings breaker = bot.breaker();
    if (breaker.enabled() && breaker.failureThreshold() > dispatch.retries() + 1) {
      top.warn("bot.breaker.failure_threshold (" + breaker.failureThreshold() + ") is above dispatch.retries + 1 ("
          + (dispatch.retries() + 1) + "): a message alone in flight when the bot goes down spends its attempts and "
          + "is dead-lettered before the breaker opens");
    }

    Map<String, Object> lockStore;
    String lockStoreSource;
    // An endpoints.yml without lock_store (only action_endpoint, say) reads as empty: it sets nothing.
    boolean fromEndpoints = endpointsLockStore != null && !endpointsLockStore.isEmpty();
    if (fromEndpoints && inline != null) {
      top.problem("lock_store is set both in " + source + " and in " + endpointsSource + "; keep one");
    }
    if (fromEndpoints) {
      lockStore = endpointsLockStore;
      lockStoreSource = endpointsSource;
    } else if (inline instanceof Map<?, ?> map) {
      Map<String, Object> section = new LinkedHashMap<>();
      map.forEach((k, v) -> section.put(String.valueOf(k), v));
      lockStore = section;
      lockStoreSource = source;
    } else {
      if (inline != null) {
        top.problem("lock_store", inline, "must be a mapping");
      }
      lockStore = Map.of();
      lockStoreSource = source;
    }
    LockStores.Validation v = LockStores.validate(lockStore, lockStoreSource);
    List<String> problems = new ArrayList<>(top.problems());
    problems.addAll(v.problems());
    List<String> warnings = new ArrayList<>(top.warnings());
    warnings.addAll(v.warnings());
    if (v.kind() == LockStores.Kind.IN_MEMORY) {
      warnings.add("lock_store: the in-memory store coordinates only this process; replicas of the gateway will not "
          + "coordinate (use concurrent_redis for more than one replica)");
    }
    if (!problems.isEmpty()) {
      return new Result(null, problems, warnings);
    }
    return new Result(new GatewayConfig(kafka, lockStore, lockStoreSource, bot, dispatch, metrics, logging),
        List.of(), warnings);
  }

  private static SectionReader section(SectionReader top, String name) {
    SectionReader s = top.section(name);
    return s != null ? s : top.sibling(name, Map.of());
  }

  private static LoggingSettings readLogging(SectionReader r) {
    String format = r.string("format", "text").toLowerCase(Locale.ROOT);
    if (!format.equals("text") && !format.equals("json")) {
      r.problem("format", format, "must be text or json");
    }
    String level = r.string("level", null);
    if (level != null && !LoggingSettings.isLevel(level)) {
      r.problem("level", level, "must be one of " + new java.util.TreeSet<>(LoggingSettings.LEVELS));
    }
    Map<String, String> loggers = r.stringMap("loggers");
    loggers.forEach((name, l) -> {
      if (!LoggingSettings.isLevel(l)) {
        r.problem("loggers." + name, l, "must be one of " + new java.util.TreeSet<>(LoggingSettings.LEVELS));
      }
    });
    r.warnUnknownKeys("");
    return new LoggingSettings(format, level, loggers);
  }

  /**
   * Why one bootstrap entry is not {@code host:port} (an optional {@code PROTOCOL://} before it, IPv6
   * in brackets), or null: Kafka would refuse it only when the gateway starts.
   */
  static String hostPortProblem(String server) {
    String address = server.contains("://") ? server.substring(server.indexOf("://") + 3) : server;
    int colon = address.lastIndexOf(':');
    String host = colon < 0 ? address : address.substring(0, colon);
    if (colon < 0 || host.isEmpty() || host.equals("[]") || (host.contains(":") && !host.startsWith("["))) {
      return "each entry must be host:port (IPv6 as [address]:port), and '" + server + "' is not";
    }
    String port = address.substring(colon + 1);
    if (!port.matches("[0-9]{1,5}") || Integer.parseInt(port) < 1 || Integer.parseInt(port) > 65535) {
      return "'" + server + "' has port '" + port + "', which is not a port number from 1 to 65535";
    }
    return null;
  }

  private static KafkaSettings readKafka(SectionReader r) {
    String bootstrap;
    Object rawBootstrap = r.raw("bootstrap_servers");
    if (rawBootstrap instanceof List<?>) {
      bootstrap = String.join(",", r.stringList("bootstrap_servers"));
    } else {
      bootstrap = r.string("bootstrap_servers", KafkaSettings.DEFAULT_BOOTSTRAP_SERVERS);
    }
    if (bootstrap.isBlank()) {
      r.problem("bootstrap_servers", bootstrap, "must name at least one host:port");
    } else {
      for (String server : bootstrap.split(",")) {
        String why = hostPortProblem(server.trim());
        if (why != null) {
          r.problem("bootstrap_servers", bootstrap, why);
          break;
        }
      }
    }
    String groupId = r.string("group_id", KafkaSettings.DEFAULT_GROUP_ID);
    if (groupId.isBlank()) {
      r.problem("group_id", groupId, "must not be empty");
    }
    List<String> inputs = r.has("input_topics") ? r.stringList("input_topics") : List.of(KafkaSettings.DEFAULT_INPUT_TOPIC);
    if (inputs.isEmpty()) {
      r.problem("input_topics", "[]", "must name at least one topic");
    }
    for (String t : inputs) {
      topic(r, "input_topics", t);
    }
    String output = topic(r, "output_topic", r.string("output_topic", KafkaSettings.DEFAULT_OUTPUT_TOPIC));
    String dlq = topic(r, "dead_letter_topic", r.string("dead_letter_topic", KafkaSettings.DEFAULT_DEAD_LETTER_TOPIC));
    if (inputs.contains(output)) {
      r.problem("output_topic", output, "is also an input topic; replies would be consumed as user messages");
    }
    if (inputs.contains(dlq)) {
      r.problem("dead_letter_topic", dlq, "is also an input topic; dead letters would be consumed again");
    }
    KafkaSettings.ConversationIdSource source = KafkaSettings.ConversationIdSource.key();
    SectionReader cid = r.section("conversation_id");
    if (cid != null) {
      String kind = cid.string("source", "key").toLowerCase(Locale.ROOT);
      switch (kind) {
        case "key" -> source = KafkaSettings.ConversationIdSource.key();
        case "json_field" -> source = new KafkaSettings.ConversationIdSource(
            KafkaSettings.ConversationIdSource.Kind.JSON_FIELD, cid.string("field", "sender"));
        case "header" -> {
          String header = cid.string("header", null);
          if (header == null || header.isBlank()) {
            cid.problem("header", header, "must name the header that carries the conversation id");
          }
          source = new KafkaSettings.ConversationIdSource(KafkaSettings.ConversationIdSource.Kind.HEADER, header);
        }
        default -> cid.problem("source", kind, "must be key, json_field or header");
      }
      cid.warnUnknownKeys("");
    }
    int maxBytes = r.integer("max_message_bytes", KafkaSettings.DEFAULT_MAX_MESSAGE_BYTES, 1, 100 << 20);
    // One map for what every client needs (security, client.rack, ...), written once; the
    // per-client maps override it key by key.
    Map<String, String> common = r.stringMap("properties");
    Map<String, String> consumerOwn = r.stringMap("consumer");
    Map<String, String> producerOwn = r.stringMap("producer");
    Map<String, String> consumer = new LinkedHashMap<>(common);
    consumer.putAll(consumerOwn);
    Map<String, String> producer = new LinkedHashMap<>(common);
    producer.putAll(producerOwn);
    for (String k : consumer.keySet()) {
      if (MANAGED_CONSUMER_KEYS.contains(k)) {
        r.problem((consumerOwn.containsKey(k) ? "consumer." : "properties.") + k, consumer.get(k),
            "is set by Ticketgate itself (offsets are committed only after replies are acknowledged); use the kafka "
            + "section's own keys");
      }
    }
    String protocol = consumer.get("group.protocol");
    if (protocol != null && !protocol.equalsIgnoreCase("classic") && !protocol.equalsIgnoreCase("consumer")) {
      r.problem("consumer.group.protocol", protocol, "must be classic or consumer");
    } else if ("consumer".equalsIgnoreCase(protocol) && consumer.containsKey("partition.assignment.strategy")) {
      // The broker assigns partitions under KIP-848; the client would refuse to start.
      r.problem("consumer.partition.assignment.strategy", consumer.get("partition.assignment.strategy"),
          "cannot be set with group.protocol consumer (the broker assigns); remove it, or use group.protocol classic");
    }
    for (String k : producer.keySet()) {
      if (MANAGED_PRODUCER_KEYS.contains(k) && !(common.containsKey(k) && MANAGED_CONSUMER_KEYS.contains(k))) {
        r.problem((producerOwn.containsKey(k) ? "producer." : "properties.") + k, producer.get(k),
            "is set by Ticketgate itself (idempotent, acks=all)");
      }
    }
    r.warnUnknownKeys("");
    return new KafkaSettings(bootstrap, groupId, inputs, output, dlq, source, maxBytes, consumer, producer);
  }

  private static String topic(SectionReader r, String key, String topic) {
    if (!TOPIC.matcher(topic).matches() || topic.equals(".") || topic.equals("..")) {
      r.problem(key, topic, "is not a legal Kafka topic name (letters, digits, '.', '_', '-'; at most 249)");
    }
    return topic;
  }

  private static BotSettings readBot(SectionReader r) {
    String type = r.string("type", "rasa").trim();
    // Built-in names in any case, as BotHandlers accepts them; class names keep their case.
    if (Set.of("rasa", "http", "echo").contains(type.toLowerCase(Locale.ROOT))) {
      type = type.toLowerCase(Locale.ROOT);
    }
    String defaultUrl = type.equals("rasa") ? BotSettings.DEFAULT_RASA_URL : null;
    String rawUrl = r.string("url", defaultUrl);
    URI url = null;
    if (type.equals("http") && rawUrl == null) {
      r.problem("url", null, "is required for an http bot");
    }
    if (rawUrl != null && (type.equals("rasa") || type.equals("http"))) {
      try {
        url = new URI(rawUrl);
        if (url.getScheme() == null || !(url.getScheme().equals("http") || url.getScheme().equals("https"))
            || url.getHost() == null) {
          r.problem("url", rawUrl, "must be an http:// or https:// URL with a host");
          url = null;
        }
      } catch (URISyntaxException e) {
        r.problem("url", rawUrl, "is not a URL (" + e.getReason() + ")");
      }
    }
    // Other bot types leave url null: a Java handler reads 'url', if it has one, from its raw section.
    if (!Set.of("rasa", "http", "echo").contains(type) && !type.contains(".")) {
      r.problem("type", type, "must be rasa, http, echo, or the class name of a BotHandler");
    }
    if (type.contains(".")) {
      try {
        Class<?> c = Class.forName(type, false, contextLoader());
        if (!io.ticketgate.gateway.BotHandler.class.isAssignableFrom(c)) {
          r.problem("type", type, "names a class that does not implement " + io.ticketgate.gateway.BotHandler.class.getName());
        }
      } catch (ClassNotFoundException | LinkageError e) {
        r.problem("type", type, "names a class that cannot be loaded (" + e + "); is its jar on the class path?");
      }
    }
    Duration timeout = r.seconds("timeout", BotSettings.DEFAULT_TIMEOUT);
    Map<String, String> headers = r.stringMap("headers");
    Integer fencingStatus = readFencingStatus(r);
    BreakerSettings breaker = readBreaker(r);
    ConcurrencySettings concurrency = readConcurrency(r);
    boolean http2 = r.bool("http2", true);
    if (type.equals("rasa") || type.equals("http")) {
      r.warnUnknownKeys("");
    }
    return new BotSettings(type, url, timeout, headers, r.values(), fencingStatus, breaker, concurrency, http2);
  }

  /** {@code bot.concurrency}: {@code unlimited} (default), {@code adaptive} or a positive number. */
  private static ConcurrencySettings readConcurrency(SectionReader bot) {
    Object raw = bot.raw("concurrency");
    if (raw == null) {
      return ConcurrencySettings.unlimited();
    }
    String text = String.valueOf(raw).trim();
    if (text.equals("unlimited")) {
      return ConcurrencySettings.unlimited();
    }
    if (text.equals("adaptive")) {
      return ConcurrencySettings.adaptive();
    }
    try {
      int n = Integer.parseInt(text);
      if (n >= 1) {
        return ConcurrencySettings.fixed(n);
      }
    } catch (NumberFormatException e) {
      // reported below, with the key and the accepted forms
    }
    bot.problem("concurrency", raw, "must be unlimited, adaptive or a positive whole number of calls");
    return ConcurrencySettings.unlimited();
  }

  /** {@code bot.breaker}: every bot type has one, a Java handler too. */
  private static BreakerSettings readBreaker(SectionReader bot) {
    BreakerSettings d = BreakerSettings.defaults();
    SectionReader r = bot.section("breaker");
    if (r == null) {
      return d;
    }
    boolean enabled = r.bool("enabled", d.enabled());
    int threshold = r.integer("failure_threshold", d.failureThreshold(), 1, 1_000_000);
    double rate = d.failureRate();
    Object rawRate = r.raw("failure_rate");
    if (rawRate != null) {
      Double parsed = rawRate instanceof Number n ? Double.valueOf(n.doubleValue()) : null;
      if (rawRate instanceof String s) {
        try {
          parsed = Double.parseDouble(s.trim());
        } catch (NumberFormatException e) {
          parsed = null;
        }
      }
      if (parsed == null || !(parsed > 0 && parsed <= 1)) {
        r.problem("failure_rate", rawRate, "must be a fraction above 0 and at most 1 (0.5: half of the window's calls)");
      } else {
        rate = parsed;
      }
    }
    int window = r.integer("window", d.window(), 1, 100_000);
    Duration openFor = r.seconds("open_for", d.openFor());
    Duration openForMax = r.seconds("open_for_max", d.openForMax());
    if (!notBelow(r, "open_for_max", openForMax, "open_for", openFor)) {
      openForMax = openFor;
    }
    r.warnUnknownKeys("");
    return new BreakerSettings(enabled, threshold, rate, window, openFor, openForMax);
  }

  /** Reports {@code key} as a problem when it is below {@code lowerKey}'s value; false then. */
  private static boolean notBelow(SectionReader r, String key, Duration value, String lowerKey, Duration lower) {
    if (value.compareTo(lower) >= 0) {
      return true;
    }
    r.problem(key, value.toMillis() / 1000.0, "must not be below " + lowerKey + " (" + lower.toMillis() / 1000.0 + ")");
    return false;
  }

  /** {@code bot.fencing_status}: a 4xx status that is not retried, or {@code none} for a bot that never fences. */
  private static Integer readFencingStatus(SectionReader r) {
    Object raw = r.raw("fencing_status");
    if (raw instanceof String s && (s.isBlank() || s.trim().equalsIgnoreCase("none"))) {
      return null;
    }
    int status = r.integer("fencing_status", BotSettings.DEFAULT_FENCING_STATUS, 400, 499);
    if (status == 408 || status == 429) {
      r.problem("fencing_status", status, "must be a 4xx status other than 408 and 429 (those are retried with the "
          + "same ticket), or none");
    }
    return status;
  }

  private static DispatchSettings readDispatch(SectionReader r) {
    DispatchSettings d = DispatchSettings.defaults();
    int maxInFlight = r.integer("max_in_flight", d.maxInFlight(), 1, 1_000_000);
    int retries = r.integer("retries", d.retries(), 0, 1000);
    Duration backoff = r.seconds("retry_backoff", d.retryBackoff());
    Duration backoffMax = r.seconds("retry_backoff_max", d.retryBackoffMax());
    notBelow(r, "retry_backoff_max", backoffMax, "retry_backoff", backoff);
    Duration lifetime = r.seconds("lock_lifetime", null);
    Duration maxWait = r.seconds("lock_max_wait", d.lockMaxWait());
    Duration shutdown = r.seconds("shutdown_timeout", d.shutdownTimeout());
    Duration revocation = r.seconds("revocation_timeout", d.revocationTimeout());
    Duration commit = r.seconds("commit_interval", d.commitInterval());
    r.warnUnknownKeys("");
    return new DispatchSettings(maxInFlight, retries, backoff, backoffMax, lifetime, maxWait, shutdown, revocation, commit);
  }

  private static MetricsSettings readMetrics(SectionReader r) {
    MetricsSettings d = MetricsSettings.defaults();
    MetricsSettings m = new MetricsSettings(r.bool("enabled", d.enabled()), r.string("host", d.host()),
        r.integer("port", d.port(), 0, 65535));
    r.warnUnknownKeys("");
    return m;
  }

  private static Map<String, Object> readYaml(Path file, List<String> problems) {
    try {
      return YamlFiles.readMapping(file);
    } catch (IOException e) {
      problems.add(e.getMessage());
      return Map.of();
    }
  }

  private static ClassLoader contextLoader() {
    ClassLoader l = Thread.currentThread().getContextClassLoader();
    return l != null ? l : GatewayConfigs.class.getClassLoader();
  }
}
