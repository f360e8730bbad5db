package io.ticketgate.store.bench;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockStore;
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
 * whole life of a turn that nobody else wants (issue, first look, release).
 *
 * <ul>
 *   <li>{@link #uncontended}: one thread, a new conversation every time (a {@link Conversations}
 *       ring), so the figure is the cost of a turn with an empty queue: for the Redis stores, the
 *       round trips of one turn end to end.
 *   <li>{@link #contended}: two threads of one store fighting over one hot conversation; each turn
 *       now also waits for the other thread's turn to end and for the wake-up that follows.
 * </ul>
 *
 * <p>The Redis stores run against a redis-server this benchmark starts on a free loopback port.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class AcquireReleaseBenchmark {

  private static final String HOT = "bench-hot-conversation";

  @Param({"InMemory", "Redis", "ConcurrentRedis"})
  StoreKind store;

  private RedisServer redis;
  private LockStore lockStore;

  /** Starts Redis when the store needs it, and opens the store. */
  @Setup(Level.Trial)
  public void open() {
    redis = store.usesRedis() ? RedisServer.builder().start() : null;
    lockStore = store.open(redis);
  }

  /** Closes the store, then stops Redis. */
  @TearDown(Level.Trial)
  public void close() {
    try {
      lockStore.close();
    } finally {
      if (redis != null) {
        redis.close();
      }
    }
  }

  /** One turn of a conversation nobody else is in. */
  @Benchmark
  public int uncontended(Conversations conversations) {
    try (HeldLock turn = lockStore.lock(conversations.next())) {
      return turn.ticket();
    }
  }

  /** One turn of the conversation the other thread is also taking turns in. */
  @Benchmark
  @Threads(2)
  public int contended() {
    try (HeldLock turn = lockStore.lock(HOT)) {
      return turn.ticket();
    }
  }
}
