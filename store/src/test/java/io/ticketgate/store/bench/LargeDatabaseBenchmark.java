package io.ticketgate.store.bench;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockStore;
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
 * a turn should not move with the size of the database. Only the Redis stores apply.
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

  @Param({"Redis", "ConcurrentRedis"})
  StoreKind store;

  @Param({"0", "1000000"})
  int unrelatedKeys;

  private RedisServer redis;
  private LockStore lockStore;

  /** Starts Redis, fills the store's database, and opens the store. */
  @Setup(Level.Trial)
  public void open() {
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
      lockStore = store.open(redis);
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  /** Closes the store, then stops Redis. */
  @TearDown(Level.Trial)
  public void close() {
    try {
      lockStore.close();
    } finally {
      redis.close();
    }
  }

  /** One turn of a conversation nobody else is in. */
  @Benchmark
  public int uncontended(Conversations conversations) {
    try (HeldLock turn = lockStore.lock(conversations.next())) {
      return turn.ticket();
    }
  }
}
