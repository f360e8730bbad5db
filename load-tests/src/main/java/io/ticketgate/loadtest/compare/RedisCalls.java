package io.ticketgate.loadtest.compare;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * What one arm asked of Redis, from {@code INFO commandstats} read just before and just after it
 * ran (arms run one at a time, so nothing else talks to that Redis meanwhile).
 *
 * <p>Redis counts the commands a script runs as well as the script itself, and no version this
 * harness runs on says which were which, so round trips are derived from each layout's hot path
 * (pinned by the store's {@code HandOverIT}):
 * <ul>
 *   <li>{@code concurrent_redis}: every issue, look and release is one script: round trips are the
 *       {@code EVAL}/{@code EVALSHA} calls. Keep-alive renewals (a plain {@code SET}) are left out;
 *       they come every 20 s per ticket, and an arm's tickets live for milliseconds.
 *   <li>{@code redis}: every change is a compare-and-set script that reads the lock and the
 *       progress mark with one {@code MGET}, and every look is an {@code MGET} of its own: round
 *       trips are the {@code MGET} calls.
 * </ul>
 *
 * @param roundTrips requests the arm's store sent to Redis, as above
 * @param scripts {@code EVAL} and {@code EVALSHA} calls
 * @param publishes {@code PUBLISH} calls, from scripts or not: release messages
 * @param commands every command Redis ran for the arm, those inside scripts included
 */
public record RedisCalls(long roundTrips, long scripts, long publishes, long commands) {

  /** Calls per command name ({@code cmdstat_} removed), the harness's own INFO and CONFIG calls left out. */
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
      if (name.equals("info") || name.startsWith("config")) {
        continue;
      }
      int at = line.indexOf("calls=") + "calls=".length();
      int end = line.indexOf(',', at);
      calls.put(name, Long.parseLong(line.substring(at, end < 0 ? line.length() : end)));
    }
    return calls;
  }

  /** What ran between two snapshots, for an arm on {@code store}'s layout. */
  static RedisCalls between(Map<String, Long> before, Map<String, Long> after, String store) {
    Map<String, Long> delta = new HashMap<>();
    after.forEach((name, n) -> delta.put(name, n - before.getOrDefault(name, 0L)));
    long scripts = delta.getOrDefault("evalsha", 0L) + delta.getOrDefault("eval", 0L);
    long commands = delta.values().stream().mapToLong(Long::longValue).sum();
    long roundTrips = switch (store) {
      case "concurrent_redis" -> scripts;
      case "redis" -> delta.getOrDefault("mget", 0L);
      default -> throw new IllegalArgumentException("no Redis layout called '" + store + "'");
    };
    return new RedisCalls(roundTrips, scripts, delta.getOrDefault("publish", 0L), commands);
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
    m.put("round_trips_per_message", perMessage(roundTrips, messages));
    m.put("publishes_per_message", perMessage(publishes, messages));
    return m;
  }
}
