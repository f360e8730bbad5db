package io.ticketgate.store.bench;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.testing.RedisServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A handoff between two Ticketgate store instances, each with its own Redis connections (two
 * gateway replicas), or between two callers of one instance (two messages of a conversation in one
 * replica). The in-memory store cannot be shared by two instances, so for it both sides are always
 * one instance.
 *
 * <p>A sample runs from the holder's {@link HeldLock#close()} until the benchmark thread has the
 * waiter's {@link HeldLock} from its future. For the Redis stores that holds: the holder's release
 * (one script round trip for the concurrent store, which also publishes the release; one
 * compare-and-set script for the Redis store), the release message reaching the waiter's
 * pub/sub connection, the waiter's look at its ticket (one round trip), the future completing (on a
 * virtual thread started for it, or on the thread that served the turn: the {@code completion}
 * given), and the benchmark thread waking up from {@code join()}. With one instance, the
 * release also answers where the waiter stands, and no message or second look follows. It does not hold issuing
 * the waiter's ticket or the waiter's first look, which found the turn taken: {@link #queueWaiter}
 * does both before the clock starts.
 *
 * <p>With one instance the waiter may be handed the turn before the holder's release returns
 * (the concurrent store does not wait for the store's confirmation when the waiter holds the next
 * number), so the sample, which ends when the benchmark thread has both, holds the release's round
 * trip anyway. {@link #servedAfterClose} also times each recorded handoff until the waiter's future
 * completed: the latency the waiter sees.
 */
final class StoreHandoff implements Handoff {

  private static final long SETUP_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
  /**
   * Margin between seeing the waiter registered and the barrier below: registration and the first
   * look's request happen back to back on a Lettuce thread, and the barrier must be sent after it.
   */
  private static final long LOOK_DISPATCH_MARGIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

  private final boolean usesRedis;
  private final LockRequest.Completion completion;
  private final LockStore first;
  private final LockStore second;
  private LockStore holderStore;
  private LockStore waiterStore;
  private HeldLock held;
  private CompletableFuture<HeldLock> waiting;
  private volatile boolean recording;
  /** When the current waiter's future completed, by {@link System#nanoTime()}. */
  private volatile long servedAt;
  private long[] served = new long[1 << 16];
  private int servedCount;

  /**
   * Opens the clients of {@code kind} and gives the first one the turn.
   *
   * @param twoInstances two store instances (two replicas), or one instance whose two callers hand
   *     the turn to each other (two messages of one conversation in one replica)
   * @param completion which thread completes the waiter's future
   */
  StoreHandoff(StoreKind kind, RedisServer redis, boolean twoInstances, LockRequest.Completion completion) {
    usesRedis = kind.usesRedis();
    this.completion = completion;
    first = kind.open(redis);
    try {
      second = twoInstances ? kind.open(redis) : first;
    } catch (RuntimeException e) {
      first.close();
      throw e;
    }
    holderStore = first;
    waiterStore = second;
    held = holderStore.lock(HandoffBenchmark.KEY);
  }

  /**
   * Waits until the waiter's first look has come back (it found the turn taken). That moment cannot
   * be observed from outside, so after the waiter shows up in {@link LockStore#waitingCount()} (its
   * ticket is issued and its look requested) one more read goes over the same store's command
   * connection: Redis answers a connection's commands in order and Lettuce completes them in order
   * on one thread, so once this read returns the look's answer has been handled too.
   */
  @Override
  public void queueWaiter() {
    waiting = waiterStore.request(HandoffBenchmark.KEY, waiterStore.lockLifetime(), null, completion).served();
    waiting.thenRun(() -> servedAt = System.nanoTime());
    if (usesRedis) {
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
      waiterStore.isSomeoneWaiting(HandoffBenchmark.KEY);
    }
    // The in-memory store issues and looks on the calling thread: the request returned already waiting.
    if (waiting.isDone()) {
      throw new IllegalStateException("the waiter was served while the turn was held: " + waiting);
    }
  }

  @Override
  public Object handOver() {
    long start = System.nanoTime();
    held.close();
    HeldLock next = waiting.join();
    if (recording) {
      if (servedCount == served.length) {
        served = java.util.Arrays.copyOf(served, served.length * 2);
      }
      served[servedCount++] = servedAt - start;
    }
    held = next;
    LockStore previousHolder = holderStore;
    holderStore = waiterStore;
    waiterStore = previousHolder;
    return next;
  }

  @Override
  public void recording(boolean on) {
    recording = on;
  }

  @Override
  public String servedAfterClose() {
    if (servedCount == 0) {
      return null;
    }
    long[] sorted = java.util.Arrays.copyOf(served, servedCount);
    java.util.Arrays.sort(sorted);
    return String.format("waiter served after the release began, µs: n=%d p50=%.1f p90=%.1f p99=%.1f p99.9=%.1f",
        servedCount, at(sorted, 0.50), at(sorted, 0.90), at(sorted, 0.99), at(sorted, 0.999));
  }

  private static double at(long[] sorted, double quantile) {
    return sorted[(int) Math.min(sorted.length - 1, Math.floor(quantile * sorted.length))] / 1_000.0;
  }

  @Override
  public void close() {
    try {
      if (waiting != null && !waiting.isDone()) {
        waiting.cancel(false);
      }
      if (held != null) {
        held.close();
      }
    } finally {
      first.close();
      if (second != first) {
        second.close();
      }
    }
  }
}
