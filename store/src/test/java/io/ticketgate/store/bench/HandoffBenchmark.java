package io.ticketgate.store.bench;

import io.ticketgate.store.LockRequest;
import io.ticketgate.store.testing.RedisServer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;
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
 * How long a conversation's turn takes to pass from one client to another that is already waiting
 * for it, as percentiles (JMH's sample mode).
 *
 * <p>Two clients ping-pong one key: one holds the lock, the other has asked for it and is waiting.
 * Every invocation hands the lock over once, and the roles swap for the next one. Each sample runs
 * from the holder's release until the benchmark thread has the waiter's lock from a future; the
 * waiter's request and first look, which found the lock taken, are done before the clock starts.
 * What the interval holds for each kind:
 *
 * <ul>
 *   <li>{@code InMemory}, {@code Redis}, {@code ConcurrentRedis}: two store instances, each with
 *       its own Redis connections (two gateway replicas); see {@link StoreHandoff}.
 *   <li>{@code RedisSameProcess}, {@code ConcurrentRedisSameProcess}: two callers of one store
 *       instance, the next message of a conversation waiting in the same replica. The release also
 *       tells where the waiter stands, so the interval holds no release message and no second look.
 *       ({@code InMemory} is always this case: two instances would share no queue.)
 *   <li>{@code RedissonLock}, {@code RedissonFairLock}: two Redisson clients, each with its own
 *       connections, on the same redis-server; see {@link RedissonHandoff}.
 *   <li>{@code FairReentrantLock}: the floor, a fair lock passed between two threads of this JVM;
 *       see {@link JvmHandoff}.
 * </ul>
 *
 * <p>The Redis kinds run against a redis-server this benchmark starts on a free loopback port.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class HandoffBenchmark {

  /** The one key both clients want. */
  static final String KEY = "bench-handoff";

  /** A {@link StoreKind}, or a Redis store's name followed by {@link #SAME_PROCESS}. */
  @Param({"InMemory", "Redis", "ConcurrentRedis", "RedisSameProcess", "ConcurrentRedisSameProcess", "RedissonLock",
      "RedissonFairLock", "FairReentrantLock"})
  String store;

  /** Suffix of the {@code store} values whose two callers share one store instance. */
  static final String SAME_PROCESS = "SameProcess";

  /**
   * Which thread completes a Ticketgate store's waiter ({@link LockRequest.Completion}):
   * {@code OWN_THREAD}, as {@link io.ticketgate.store.LockStore#lockAsync} does, or {@code
   * SERVING_THREAD}, as the gateway's jobs and a blocking {@code lock()} do. The other kinds ignore
   * it, so pass {@code -p completion=OWN_THREAD,SERVING_THREAD} together with the store kinds only.
   */
  @Param("OWN_THREAD")
  String completion;

  private RedisServer redis;
  private Handoff handoff;

  /** Starts Redis when needed, opens the two clients, and gives the first one the lock. */
  @Setup(Level.Trial)
  public void open() {
    boolean sameProcess = store.endsWith(SAME_PROCESS);
    StoreKind kind = StoreKind.valueOf(sameProcess ? store.substring(0, store.length() - SAME_PROCESS.length()) : store);
    redis = kind.usesRedis() ? RedisServer.builder().start() : null;
    try {
      handoff = switch (kind) {
        case InMemory, Redis, ConcurrentRedis -> new StoreHandoff(kind, redis, kind.usesRedis() && !sameProcess,
            LockRequest.Completion.valueOf(completion));
        case RedissonLock -> new RedissonHandoff(redis, false);
        case RedissonFairLock -> new RedissonHandoff(redis, true);
        case FairReentrantLock -> new JvmHandoff();
      };
    } catch (RuntimeException e) {
      if (redis != null) {
        redis.close();
      }
      throw e;
    }
  }

  /** Records the measured iterations' handoffs for {@link Handoff#servedAfterClose}, not the warm-up's. */
  @Setup(Level.Iteration)
  public void iteration(IterationParams params) {
    handoff.recording(params.getType() == IterationType.MEASUREMENT);
  }

  /** Before each sample, untimed: the other client asks for the lock and settles into waiting. */
  @Setup(Level.Invocation)
  public void queueWaiter() {
    handoff.queueWaiter();
  }

  /** One handoff; see the class comment for the interval it measures. */
  @Benchmark
  public Object handoff() {
    return handoff.handOver();
  }

  /** Gives back the lock, closes both clients, then stops Redis. */
  @TearDown(Level.Trial)
  public void close() {
    String served = handoff.servedAfterClose();
    if (served != null) {
      System.out.println(store + ": " + served);
    }
    try {
      handoff.close();
    } finally {
      if (redis != null) {
        redis.close();
      }
    }
  }
}
