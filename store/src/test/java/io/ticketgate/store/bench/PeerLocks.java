package io.ticketgate.store.bench;

import io.ticketgate.store.LockStore;
import io.ticketgate.store.testing.RedisServer;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;

/** The {@link Locks} of each {@link StoreKind}. */
final class PeerLocks {

  private PeerLocks() {}

  /** A Ticketgate store: a turn is {@code store.lock(key)} until its {@code HeldLock} is closed. */
  static Locks of(LockStore store) {
    return new Locks() {
      @Override
      public Turn lock(String key) {
        return store.lock(key)::close;
      }

      @Override
      public void close() {
        store.close();
      }
    };
  }

  /**
   * Redisson: {@code getLock(key)} (or {@code getFairLock}) on every turn, as an application calls
   * it, then {@code lock(lease)} and {@code unlock()} on the calling thread, which owns the lock.
   */
  static Locks redisson(RedisServer redis, boolean fair) {
    RedissonClient client = RedissonClients.open(redis);
    return new Locks() {
      @Override
      public Turn lock(String key) {
        RLock lock = RedissonClients.lockOf(client, key, fair);
        lock.lock(RedissonClients.LEASE_MILLIS, TimeUnit.MILLISECONDS);
        return lock::unlock;
      }

      @Override
      public void close() {
        client.shutdown();
      }
    };
  }

  /**
   * The floor: a fair {@link ReentrantLock} per key in a map, so a turn costs a map lookup and the
   * lock itself, with no I/O. Locks are never removed; the benchmarks reuse a fixed set of keys.
   */
  static Locks fairJvm() {
    ConcurrentHashMap<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    return new Locks() {
      @Override
      public Turn lock(String key) {
        ReentrantLock lock = locks.computeIfAbsent(key, k -> new ReentrantLock(true));
        lock.lock();
        return lock::unlock;
      }

      @Override
      public void close() {
        locks.clear();
      }
    };
  }
}
