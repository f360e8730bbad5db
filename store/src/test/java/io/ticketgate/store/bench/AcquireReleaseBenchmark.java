package io.ticketgate.store.bench;

import io.ticketgate.store.bench.Locks.Turn;
import io.ticketgate.store.testing.RedisServer;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * How many turns per second one store hands out: {@code store.lock(id).close()} in a loop, the
 * whole life of a turn that nobody else wants (issue, first look, release). The peers do the same
 * through their own API ({@link Locks}): Redisson {@code getLock(id).lock(lease)} and
 * {@code unlock()} (or {@code getFairLock}), and a map of fair {@code ReentrantLock}s as the floor.
 *
 * <ul>
 *   <li>{@link #uncontended}: one thread, a new conversation every time (a {@link Conversations}
 *       ring), so the figure is the cost of a turn with an empty queue: for the Redis stores, the
 *       round trips of one turn end to end.
 *   <li>{@link #contended}: two threads of one store fighting over one hot conversation; each turn
 *       now also waits for the other thread's turn to end and for the wake-up that follows.
 * </ul>
 *
 * <p>The Redis stores and Redisson run against a redis-server this benchmark starts on a free
 * loopback port; in the contended variant both threads share one client (one store instance, one
 * Redisson client), as two workers of one replica would.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class AcquireReleaseBenchmark {

  private static final String HOT = "bench-hot-conversation";

  @Param({"InMemory", "Redis", "ConcurrentRedis", "RedissonLock", "RedissonFairLock", "FairReentrantLock"})
  StoreKind store;

  private RedisServer redis;
  private Locks locks;

  /** Starts Redis when the store needs it, and opens the store. */
  @Setup(Level.Trial)
  public void open() {
    redis = store.usesRedis() ? RedisServer.builder().start() : null;
    try {
      locks = store.openLocks(redis);
    } catch (RuntimeException e) {
      if (redis != null) {
        redis.close();
      }
      throw e;
    }
  }

  /** Closes the store, then stops Redis. */
  @TearDown(Level.Trial)
  public void close() {
    try {
      locks.close();
    } finally {
      if (redis != null) {
        redis.close();
      }
    }
  }

  /** One turn of a conversation nobody else is in. */
  @Benchmark
  public Turn uncontended(Conversations conversations) {
    try (Turn turn = locks.lock(conversations.next())) {
      return turn;
    }
  }

  /** One turn of the conversation the other thread is also taking turns in. */
  @Benchmark
  @Threads(2)
  public Turn contended() {
    try (Turn turn = locks.lock(HOT)) {
      return turn;
    }
  }
}
