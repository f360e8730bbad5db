package io.ticketgate.store.bench;

import io.ticketgate.store.bench.Locks.Turn;
import io.ticketgate.store.testing.RedisServer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The uncontended acquire and release of {@link AcquireReleaseBenchmark#uncontended}, as time per
 * turn, with the store's Redis database empty or holding {@code unrelatedKeys} keys that are not
 * the store's. The stores never search the key space ({@code KEYS}, {@code SCAN}), so the cost of
 * a turn should not move with the size of the database. Only the kinds that keep their locks in
 * Redis apply: the two Redis stores and, for comparison, Redisson's {@code RLock} and
 * {@code RFairLock} (configured as in {@link RedissonClients}, database {@link StoreKind#DB}).
 *
 * <p>On a small machine the time per turn seen by the client swings by 10-30% between iterations
 * and forks (thread scheduling), more than the effect looked for. So each trial also prints two
 * figures from Redis itself: the CPU time its main thread spent per turn ({@code INFO cpu}, which a
 * descheduled server does not inflate, unlike the wall-clock {@code usec} of commandstats), and the
 * commands it ran per turn, scripts' inner calls included ({@code INFO commandstats}, reset once
 * the store is connected), which must not change with the size of the database.
 *
 * <p>The keys are made by {@code DEBUG POPULATE} ({@code unrelated:0}, {@code unrelated:1}, ...,
 * 16-byte values) in the database the store uses, on a redis-server started with
 * {@code --enable-debug-command yes}, which Redis 7 needs before it accepts {@code DEBUG}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class LargeDatabaseBenchmark {

  @Param({"Redis", "ConcurrentRedis", "RedissonLock", "RedissonFairLock"})
  StoreKind store;

  @Param({"0", "1000000"})
  int unrelatedKeys;

  private RedisServer redis;
  private Locks locks;
  /** Counted by the (single) benchmark thread, warm-up included, as Redis's statistics are. */
  private long turns;
  private double serverCpuAtStart;

  /** Starts Redis, fills the store's database, and opens the store. */
  @Setup(Level.Trial)
  public void open() {
    if (!store.usesRedis()) {
      throw new IllegalArgumentException("store=" + store + " keeps no locks in Redis; use one of Redis,"
          + " ConcurrentRedis, RedissonLock, RedissonFairLock");
    }
    redis = RedisServer.builder().extraArgs("--enable-debug-command", "yes").start();
    try {
      List<String> select = List.of("SELECT", Integer.toString(StoreKind.DB));
      if (unrelatedKeys > 0) {
        redis.commands(select, List.of("DEBUG", "POPULATE", Integer.toString(unrelatedKeys), "unrelated", "16"));
      }
      Object size = redis.commands(select, List.of("DBSIZE")).get(1);
      if (!Long.valueOf(unrelatedKeys).equals(size)) {
        throw new IllegalStateException("db " + StoreKind.DB + " holds " + size + " keys, not " + unrelatedKeys);
      }
      locks = store.openLocks(redis);
      redis.command("CONFIG", "RESETSTAT");
      serverCpuAtStart = serverCpuSeconds();
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  /** Prints Redis's own time per turn, closes the store, then stops Redis. */
  @TearDown(Level.Trial)
  public void close() {
    try {
      printServerTime();
      locks.close();
    } finally {
      redis.close();
    }
  }

  /** One turn of a conversation nobody else is in. */
  @Benchmark
  public Turn uncontended(Conversations conversations) {
    turns++;
    try (Turn turn = locks.lock(conversations.next())) {
      return turn;
    }
  }

  private void printServerTime() {
    double cpuMicros = (serverCpuSeconds() - serverCpuAtStart) * 1e6;
    // Lines look like: cmdstat_evalsha:calls=1200,usec=4800,usec_per_call=4.00,...
    StringBuilder perTurn = new StringBuilder();
    for (String line : info("commandstats")) {
      if (line.startsWith("cmdstat_") && !line.startsWith("cmdstat_info:")) {
        long calls = Long.parseLong(field(line, "calls="));
        if (calls >= turns / 100) { // leave out connection setup (HELLO, SUBSCRIBE, ...)
          perTurn.append(String.format(" %s %.2f", line.substring("cmdstat_".length(), line.indexOf(':')),
              calls / (double) turns));
        }
      }
    }
    System.out.printf("%nredis-server (%s, %d unrelated keys, %d turns): main-thread CPU %.2f us per turn;"
        + " commands per turn:%s%n", store, unrelatedKeys, turns, cpuMicros / turns, perTurn);
  }

  private double serverCpuSeconds() {
    double seconds = 0;
    for (String line : info("cpu")) {
      if (line.startsWith("used_cpu_sys_main_thread:") || line.startsWith("used_cpu_user_main_thread:")) {
        seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1));
      }
    }
    return seconds;
  }

  private String[] info(String section) {
    return String.valueOf(redis.command("INFO", section)).split("\\r?\\n");
  }

  private static String field(String line, String name) {
    int start = line.indexOf(name) + name.length();
    int end = line.indexOf(',', start);
    return line.substring(start, end < 0 ? line.length() : end);
  }
}
