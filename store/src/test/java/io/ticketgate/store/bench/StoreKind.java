package io.ticketgate.store.bench;

import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.memory.InMemoryLockStore;
import io.ticketgate.store.redis.ConcurrentRedisLockStore;
import io.ticketgate.store.redis.RedisLockStore;
import io.ticketgate.store.redis.RedisSettings;
import io.ticketgate.store.testing.RedisServer;
import java.time.Clock;
import java.time.Duration;

/**
 * The lock stores the benchmarks compare, and the peers they are compared with. JMH fills a
 * {@code @Param StoreKind} field from the constant's name, so {@code -p store=Redis} picks one on
 * the command line.
 */
public enum StoreKind {
  /** {@link InMemoryLockStore}: no I/O at all, the baseline for throughput. */
  InMemory,
  /** {@link RedisLockStore}: Rasa's one-JSON-value-per-conversation layout. */
  Redis,
  /** {@link ConcurrentRedisLockStore}: Rasa's one-key-per-ticket layout. */
  ConcurrentRedis,
  /** Peer: Redisson's {@code RLock} (not fair: a released lock goes to whoever asks first). */
  RedissonLock,
  /** Peer: Redisson's {@code RFairLock}, which serves waiters in the order they queued, as tickets are. */
  RedissonFairLock,
  /** Floor: a fair {@link java.util.concurrent.locks.ReentrantLock} per key, inside this JVM. */
  FairReentrantLock;

  /** The database the Redis stores use: the default, as a deployment would leave it. */
  public static final int DB = RedisSettings.DEFAULT_DB;

  /**
   * Fixed options rather than {@link LockStoreOptions#defaults()}, which reads
   * {@code TICKET_LOCK_LIFETIME}: a figure must not depend on the shell it was taken in.
   */
  static final LockStoreOptions OPTIONS = new LockStoreOptions(Duration.ofSeconds(60), false,
      LockStoreOptions.DEFAULT_RECHECK_INTERVAL, Clock.systemUTC());

  /** Whether this kind keeps its locks in Redis, so a benchmark must start a redis-server for it. */
  public boolean usesRedis() {
    return this != InMemory && this != FairReentrantLock;
  }

  /** Whether this is one of Ticketgate's own stores (a {@link LockStore}) rather than a peer. */
  public boolean isStore() {
    return this == InMemory || this == Redis || this == ConcurrentRedis;
  }

  /**
   * Opens this kind as {@link Locks}, the form the throughput benchmarks drive.
   *
   * @param redis the server for the Redis kinds; ignored (may be null) for the others
   */
  Locks openLocks(RedisServer redis) {
    return switch (this) {
      case InMemory, Redis, ConcurrentRedis -> PeerLocks.of(open(redis));
      case RedissonLock -> PeerLocks.redisson(redis, false);
      case RedissonFairLock -> PeerLocks.redisson(redis, true);
      case FairReentrantLock -> PeerLocks.fairJvm();
    };
  }

  /**
   * Opens a new store of this kind. Every call to a Redis kind opens its own connections, which is
   * how two gateway replicas look to Redis.
   *
   * @param redis the server for the Redis kinds; ignored (may be null) for {@link #InMemory}
   * @throws IllegalStateException for a peer, which is no {@link LockStore}
   */
  public LockStore open(RedisServer redis) {
    if (!isStore()) {
      throw new IllegalStateException(this + " is a peer, not a Ticketgate lock store; open it with openLocks");
    }
    if (this == InMemory) {
      return new InMemoryLockStore(OPTIONS);
    }
    RedisSettings settings = RedisSettings.builder().host(redis.host()).port(redis.port()).db(DB).build();
    return this == Redis ? new RedisLockStore(settings, OPTIONS) : new ConcurrentRedisLockStore(settings, OPTIONS);
  }
}
