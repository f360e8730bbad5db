package io.ticketgate.store.bench;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.testing.RedisServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
 * How long a conversation's turn takes to pass from one client to another that is already waiting
 * for it, as percentiles (JMH's sample mode).
 *
 * <p>Two store instances, each with its own Redis connections (two gateway replicas), ping-pong
 * one conversation: one holds the turn, the other has called {@code lockAsync} and is parked
 * waiting. Every invocation hands the turn over once, and the roles swap for the next one. The
 * in-memory store cannot be shared by two instances, so for it both sides are one instance (two
 * callers in one process).
 *
 * <h2>What one sample measures</h2>
 * From the moment the holder calls {@link HeldLock#close()} until the benchmark thread has the
 * waiter's {@link HeldLock} from its future. For the Redis stores that interval holds: the
 * holder's release (one script round trip for the concurrent store, which also publishes the
 * release; a {@code GET} and a compare-and-set script for the Redis store), the release message
 * reaching the waiter's pub/sub connection, the waiter's look at its ticket (one round trip), the
 * future completing on a Lettuce thread, and this thread waking up from {@code join()}. It does
 * not hold issuing the waiter's ticket or the waiter's first look, which found the turn taken:
 * {@link #queueWaiter} does both before the clock starts.
 *
 * <p>The Redis stores run against a redis-server this benchmark starts on a free loopback port.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class HandoffBenchmark {

  private static final String CONVERSATION = "bench-handoff";
  private static final long SETUP_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
  /**
   * Margin between seeing the waiter registered and the barrier below: registration and the first
   * look's request happen back to back on a Lettuce thread, and the barrier must be sent after it.
   */
  private static final long LOOK_DISPATCH_MARGIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

  @Param({"InMemory", "Redis", "ConcurrentRedis"})
  StoreKind store;

  private RedisServer redis;
  private LockStore first;
  private LockStore second;
  private LockStore holderStore;
  private LockStore waiterStore;
  private HeldLock held;
  private CompletableFuture<HeldLock> waiting;

  /** Starts Redis when needed, opens the two clients, and gives the first one the turn. */
  @Setup(Level.Trial)
  public void open() {
    redis = store.usesRedis() ? RedisServer.builder().start() : null;
    first = store.open(redis);
    second = store.usesRedis() ? store.open(redis) : first;
    holderStore = first;
    waiterStore = second;
    held = holderStore.lock(CONVERSATION);
  }

  /**
   * Before each sample, untimed: the other client asks for the turn and settles into waiting.
   *
   * <p>The wait ends when the waiter's first look has come back (it found the turn taken). That
   * moment cannot be observed from outside, so after the waiter shows up in
   * {@link LockStore#waitingCount()} (its ticket is issued and its look requested) one more read
   * goes over the same store's command connection: Redis answers a connection's commands in order
   * and Lettuce completes them in order on one thread, so once this read returns the look's answer
   * has been handled too.
   */
  @Setup(Level.Invocation)
  public void queueWaiter() {
    waiting = waiterStore.lockAsync(CONVERSATION);
    if (store.usesRedis()) {
      long deadline = System.nanoTime() + SETUP_TIMEOUT_NANOS;
      while (waiterStore.waitingCount() == 0) {
        if (waiting.isDone()) {
          throw new IllegalStateException("the waiter was served while the turn was held: " + waiting);
        }
        if (System.nanoTime() - deadline > 0) {
          throw new IllegalStateException("the waiter did not start waiting within 10 s");
        }
        // Park, not spin: with two cores a spinning thread would slow the Lettuce thread it waits for.
        LockSupport.parkNanos(POLL_NANOS);
      }
      LockSupport.parkNanos(LOOK_DISPATCH_MARGIN_NANOS);
      waiterStore.isSomeoneWaiting(CONVERSATION);
    }
    // The in-memory store issues and looks on the calling thread: lockAsync returned already waiting.
    if (waiting.isDone()) {
      throw new IllegalStateException("the waiter was served while the turn was held: " + waiting);
    }
  }

  /** One handoff; see the class comment for the interval it measures. */
  @Benchmark
  public HeldLock handoff() {
    held.close();
    HeldLock next = waiting.join();
    held = next;
    LockStore previousHolder = holderStore;
    holderStore = waiterStore;
    waiterStore = previousHolder;
    return next;
  }

  /** Gives back the turn, closes both clients, then stops Redis. */
  @TearDown(Level.Trial)
  public void close() {
    try {
      if (waiting != null && !waiting.isDone()) {
        waiting.cancel(false);
      }
      if (held != null) {
        held.close();
      }
      first.close();
      if (second != first) {
        second.close();
      }
    } finally {
      if (redis != null) {
        redis.close();
      }
    }
  }
}
