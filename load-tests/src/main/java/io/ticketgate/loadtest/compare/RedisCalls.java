package io.ticketgate.loadtest.compare;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * What one arm asked of Redis, from {@code INFO commandstats} read just before and just after it
 * ran (arms run one at a time, so nothing else talks to that Redis meanwhile), and from the arm's
 * own count of its lock store's turn steps.
 *
 * <p>Round trips are the requests the arm's lock store sent for its turns. Redis alone cannot count
 * them: it counts each command a script runs under that command's name, together with the same
 * commands sent from outside any script (a keep-alive renewal of {@code concurrent_redis} is a plain
 * {@code SET}, and so are three commands of its issue script), and no version this harness runs on
 * says which were which ({@code total_commands_processed} counts both too). So, per layout:
 * <ul>
 *   <li>{@code concurrent_redis}: every turn step (issue, look, renewal, release) is one request, and
 *       the arm counts its store's steps (the gateway's own meters of them); add one request per
 *       script source re-sent after Redis answered {@code NOSCRIPT} ({@code EVAL}: the store sends
 *       it only then, and no script can). Unknown (-1) when the arm reported no steps.
 *   <li>{@code redis}: a step may take several compare-and-set scripts (one more each time the lock
 *       changed under it) and a renewal is one too; each script runs exactly one {@code MGET}, and
 *       every look is one {@code MGET} of its own. Round trips are the {@code MGET} calls plus the
 *       {@code EVALSHA} calls Redis refused with {@code NOSCRIPT}, one per {@code EVAL} re-send (the
 *       re-send then ran its {@code MGET}).
 * </ul>
 * Health probes ({@code PING}, on a timer, not per message) and connection setup are no turn's, and
 * are left out with the harness's own {@code INFO} and {@code CONFIG} calls.
 *
 * @param roundTrips requests the arm's store sent to Redis for its turns, as above; -1 when unknown
 * @param scripts {@code EVAL} and {@code EVALSHA} calls
 * @param publishes {@code PUBLISH} calls, from scripts or not: release messages
 * @param commands every command Redis ran for the arm, those inside scripts included, connection
 *     setup, probes and the harness's own calls left out
 */
public record RedisCalls(long roundTrips, long scripts, long publishes, long commands) {

  /** Commands of a connection's setup and upkeep, the harness's and the store's alike: no turn's. */
  private static final Set<String> CONNECTION = Set.of("hello", "auth", "select", "ping", "quit", "reset",
      "subscribe", "psubscribe", "ssubscribe", "unsubscribe", "punsubscribe", "sunsubscribe");

  /**
   * Calls per command name ({@code cmdstat_} removed), the harness's own INFO and CONFIG calls and
   * every connection's setup and upkeep left out.
   */
  static Map<String, Long> commandStats(String address) {
    return parse(info(address, "commandstats"));
  }

  /** One section of {@code INFO} of the Redis at {@code host:port}, on a connection of its own. */
  static String info(String address, String section) {
    int colon = address.lastIndexOf(':');
    RedisURI uri = RedisURI.create(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
    RedisClient client = RedisClient.create(uri);
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      return c.sync().info(section);
    } finally {
      client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
    }
  }

  /** Parses {@code INFO commandstats}: {@code cmdstat_get:calls=3,usec=...}. */
  static Map<String, Long> parse(String info) {
    Map<String, Long> calls = new HashMap<>();
    for (String line : info.split("\r?\n")) {
      if (!line.startsWith("cmdstat_")) {
        continue;
      }
      String name = line.substring("cmdstat_".length(), line.indexOf(':'));
      if (name.equals("info") || name.startsWith("config") || name.startsWith("client") || CONNECTION.contains(name)) {
        continue;
      }
      int at = line.indexOf("calls=") + "calls=".length();
      int end = line.indexOf(',', at);
      calls.put(name, Long.parseLong(line.substring(at, end < 0 ? line.length() : end)));
    }
    return calls;
  }

  /**
   * What ran between two snapshots, for an arm on {@code store}'s layout.
   *
   * @param storeSteps the turn steps the arm's store took, as the arm counted them; -1 when it did not
   */
  static RedisCalls between(Map<String, Long> before, Map<String, Long> after, String store, long storeSteps) {
    Map<String, Long> delta = new HashMap<>();
    after.forEach((name, n) -> delta.put(name, n - before.getOrDefault(name, 0L)));
    long resent = delta.getOrDefault("eval", 0L);
    long scripts = delta.getOrDefault("evalsha", 0L) + resent;
    long commands = delta.values().stream().mapToLong(Long::longValue).sum();
    long roundTrips = switch (store) {
      case "concurrent_redis" -> storeSteps < 0 ? -1 : storeSteps + resent;
      case "redis" -> delta.getOrDefault("mget", 0L) + resent;
      default -> throw new IllegalArgumentException("no Redis layout called '" + store + "'");
    };
    return new RedisCalls(roundTrips, scripts, delta.getOrDefault("publish", 0L), commands);
  }

  /** Round trips per message of {@code messages}, or null when they are unknown. */
  Double roundTripsPerMessage(long messages) {
    return roundTrips < 0 || messages <= 0 ? null : perMessage(roundTrips, messages);
  }

  /** {@code count} per message of {@code messages}. */
  static double perMessage(long count, long messages) {
    return messages <= 0 ? 0 : (double) count / messages;
  }

  /** For compare.json, per message of {@code messages}. */
  Map<String, Object> toMap(long messages) {
    Map<String, Object> m = new java.util.LinkedHashMap<>();
    m.put("round_trips", roundTrips);
    m.put("scripts", scripts);
    m.put("publishes", publishes);
    m.put("commands", commands);
    m.put("round_trips_per_message", roundTripsPerMessage(messages));
    m.put("publishes_per_message", perMessage(publishes, messages));
    return m;
  }
}
