package io.ticketgate.store.bench;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.ticketgate.store.testing.RedisServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;

/**
 * A handoff between two Redisson clients (two replicas, each with its own connections), on one
 * {@code RLock} or {@code RFairLock}.
 *
 * <h2>Owners</h2>
 * Redisson ties a lock to its owner, "client id:thread id", and {@code lock()}/{@code unlock()}
 * take the calling thread's id. Here one benchmark thread plays both clients, so it uses the async
 * forms that name the owner ({@code lockAsync(lease, unit, threadId)},
 * {@code unlockAsync(threadId)}) with a fixed id per side: exactly what the blocking forms do for
 * the current thread, and what two single-threaded replicas would own. The lease is
 * {@link RedissonClients#LEASE_MILLIS}, so no watchdog runs.
 *
 * <h2>What one sample measures</h2>
 * From the holder's unlock (its script publishes the release: to the lock's channel for
 * {@code RLock}, to the first queued owner's own channel for {@code RFairLock}) until the benchmark
 * thread has the waiter's completed future: the unlock round trip, the message reaching the
 * waiter's pub/sub connection, the waiter's lock script (one round trip), its unsubscribe request,
 * the future completing on a Netty thread, and this thread waking up from {@code join()}. Redisson
 * also deletes the unlock's de-duplication key right after the unlock reply, without waiting for
 * it, so that command runs beside the handoff. As for the Ticketgate stores, the waiter's first
 * attempt, its subscription and its second attempt (both found the lock held) happen before the
 * clock starts, in {@link #queueWaiter}.
 */
final class RedissonHandoff implements Handoff {

  private static final long SETUP_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
  /**
   * Margin between Redis having run the waiter's second lock script and the clock starting: its
   * reply still has to reach the client, which then registers the listener that a release wakes.
   * The same margin as {@link StoreHandoff}'s.
   */
  private static final long LISTENER_MARGIN_NANOS = TimeUnit.MICROSECONDS.toNanos(200);
  private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(20);
  /** Lock attempts a waiter makes before it waits: one, then one more once subscribed. */
  private static final int ATTEMPTS_BEFORE_WAITING = 2;

  /** One client and the owner id it uses. */
  private record Side(RedissonClient client, RLock lock, long owner) {}

  private final ClientResources probeResources;
  private final RedisClient probeClient;
  /** Reads Redis's statistics between samples; a kept connection, so polling costs one round trip. */
  private final StatefulRedisConnection<String, String> probe;
  private final Side first;
  private final Side second;
  private Side holder;
  private Side waiter;
  private CompletableFuture<Void> waiting;

  /** Opens two clients and gives the first one the lock. */
  RedissonHandoff(RedisServer redis, boolean fair) {
    probeResources = DefaultClientResources.builder().ioThreadPoolSize(1).computationThreadPoolSize(1).build();
    probeClient = RedisClient.create(probeResources, RedisURI.Builder.redis(redis.host(), redis.port()).build());
    // As in the stores: the maintenance-notifications handshake is for servers newer than Debian's.
    probeClient.setOptions(ClientOptions.builder().maintNotificationsConfig(MaintNotificationsConfig.disabled()).build());
    RedissonClient a = null;
    RedissonClient b;
    try {
      probe = probeClient.connect(StringCodec.UTF8);
      a = RedissonClients.open(redis);
      b = RedissonClients.open(redis);
    } catch (RuntimeException e) {
      if (a != null) {
        a.shutdown();
      }
      closeProbe();
      throw e;
    }
    first = new Side(a, RedissonClients.lockOf(a, HandoffBenchmark.KEY, fair), 1);
    second = new Side(b, RedissonClients.lockOf(b, HandoffBenchmark.KEY, fair), 2);
    holder = first;
    waiter = second;
    try {
      holder.lock.lockAsync(RedissonClients.LEASE_MILLIS, TimeUnit.MILLISECONDS, holder.owner)
          .toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      a.shutdown();
      b.shutdown();
      closeProbe();
      throw new IllegalStateException("interrupted while the first Redisson client took " + HandoffBenchmark.KEY, e);
    } catch (Exception e) {
      a.shutdown();
      b.shutdown();
      closeProbe();
      throw new IllegalStateException("the first Redisson client could not take " + HandoffBenchmark.KEY, e);
    }
  }

  /**
   * The client-side wait cannot be observed through Redisson's API, so this counts the lock scripts
   * Redis has run: once it has run the waiter's second attempt, the waiter is subscribed and about to
   * register its listener. Nothing else runs scripts meanwhile (the holder is idle, no watchdog).
   */
  @Override
  public void queueWaiter() {
    long scriptsBefore = scriptCalls();
    waiting = waiter.lock.lockAsync(RedissonClients.LEASE_MILLIS, TimeUnit.MILLISECONDS, waiter.owner)
        .toCompletableFuture();
    long deadline = System.nanoTime() + SETUP_TIMEOUT_NANOS;
    while (scriptCalls() - scriptsBefore < ATTEMPTS_BEFORE_WAITING) {
      if (waiting.isDone()) {
        throw new IllegalStateException("the waiter was served while the lock was held: " + waiting);
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the waiter did not start waiting within 10 s");
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
    LockSupport.parkNanos(LISTENER_MARGIN_NANOS);
    if (waiting.isDone()) {
      throw new IllegalStateException("the waiter was served while the lock was held: " + waiting);
    }
  }

  @Override
  public Object handOver() {
    holder.lock.unlockAsync(holder.owner).toCompletableFuture().join();
    waiting.join();
    Side previousHolder = holder;
    holder = waiter;
    waiter = previousHolder;
    return holder;
  }

  @Override
  public void close() {
    try {
      if (waiting != null && !waiting.isDone()) {
        waiting.cancel(false);
      }
      holder.lock.unlockAsync(holder.owner).toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      System.err.println("interrupted while releasing " + HandoffBenchmark.KEY + " at the end of the trial");
    } catch (Exception e) {
      // The server is stopped right after this, which drops the lock anyway; say why it was not released.
      System.err.println("could not release " + HandoffBenchmark.KEY + " at the end of the trial: " + e);
    } finally {
      first.client.shutdown();
      second.client.shutdown();
      closeProbe();
    }
  }

  private void closeProbe() {
    if (probe != null) {
      probe.close();
    }
    probeClient.shutdown();
    probeResources.shutdown();
  }

  /** {@code EVAL} and {@code EVALSHA} calls so far, from Redis's {@code INFO commandstats}. */
  private long scriptCalls() {
    long calls = 0;
    // Lines look like: cmdstat_evalsha:calls=1200,usec=4800,usec_per_call=4.00,...
    for (String line : probe.sync().info("commandstats").split("\\r?\\n")) {
      if (line.startsWith("cmdstat_evalsha:") || line.startsWith("cmdstat_eval:")) {
        int start = line.indexOf("calls=") + "calls=".length();
        int end = line.indexOf(',', start);
        calls += Long.parseLong(line.substring(start, end < 0 ? line.length() : end));
      }
    }
    return calls;
  }
}
