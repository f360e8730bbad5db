package io.ticketgate.store.redis;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Takes turns on one conversation from several threads, checking mutual exclusion through Redis
 * itself (an occupancy counter every process shares) and recording the order turns were served in
 * a Redis list. Runs inside the test JVM and, through {@link #main}, in a second JVM.
 */
final class Hammer {

  private Hammer() {}

  /** Args: host port storeType conversationId threads turnsPerThread. Prints {@code overlaps=N turns=M}. */
  public static void main(String[] args) throws Exception {
    String host = args[0];
    int port = Integer.parseInt(args[1]);
    Result r = run(host, port, args[2], args[3], Integer.parseInt(args[4]), Integer.parseInt(args[5]));
    System.out.println("overlaps=" + r.overlaps + " turns=" + r.turns);
  }

  record Result(int overlaps, int turns) {}

  static Result run(String host, int port, String type, String conversationId, int threads, int turnsPerThread)
      throws Exception {
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("type", type);
    section.put("host", host);
    section.put("port", port);
    RedisClient client = RedisClient.create(RedisURI.Builder.redis(host, port).withDatabase(1).build());
    try (LockStore store = LockStores.create(section);
        StatefulRedisConnection<String, String> connection = client.connect()) {
      RedisCommands<String, String> redis = connection.sync();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      List<Future<Integer>> overlaps = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        overlaps.add(pool.submit(() -> {
          int seen = 0;
          for (int i = 0; i < turnsPerThread; i++) {
            try (HeldLock held = store.lock(conversationId, Duration.ofSeconds(30), Duration.ofSeconds(120))) {
              if (redis.incr("occupancy:" + conversationId) != 1) {
                seen++;
              }
              redis.rpush("order:" + conversationId, Integer.toString(held.ticket()));
              redis.decr("occupancy:" + conversationId);
            }
          }
          return seen;
        }));
      }
      int total = 0;
      for (Future<Integer> f : overlaps) {
        total += f.get(5, TimeUnit.MINUTES);
      }
      pool.shutdown();
      return new Result(total, threads * turnsPerThread);
    } finally {
      client.shutdown();
    }
  }
}
