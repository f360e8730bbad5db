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
 * The lock stores the benchmarks compare. JMH fills a {@code @Param StoreKind} field from the
 * constant's name, so {@code -p store=Redis} picks one on the command line.
 */
public enum StoreKind {
  /** {@link InMemoryLockStore}: no I/O at all, the baseline for throughput. */
  InMemory,
  /** {@link RedisLockStore}: Rasa's one-JSON-value-per-conversation layout. */
  Redis,
  /** {@link ConcurrentRedisLockStore}: Rasa's one-key-per-ticket layout. */
  ConcurrentRedis;

  /** The database the Redis stores use: the default, as a deployment would leave it. */
  public static final int DB = RedisSettings.DEFAULT_DB;

  /**
   * Fixed options rather than {@link LockStoreOptions#defaults()}, which reads
   * {@code TICKET_LOCK_LIFETIME}: a figure must not depend on the shell it was taken in.
   */
  static final LockStoreOptions OPTIONS = new LockStoreOptions(Duration.ofSeconds(60), false,
      LockStoreOptions.DEFAULT_RECHECK_INTERVAL, Clock.systemUTC());

  /** Whether this store keeps its tickets in Redis. */
  public boolean usesRedis() {
    return this != InMemory;
  }

  /**
   * Opens a new store of this kind. Every call to a Redis kind opens its own connections, which is
   * how two gateway replicas look to Redis.
   *
   * @param redis the server for the Redis kinds; ignored (may be null) for {@link #InMemory}
   */
  public LockStore open(RedisServer redis) {
    if (this == InMemory) {
      return new InMemoryLockStore(OPTIONS);
    }
    RedisSettings settings = RedisSettings.builder().host(redis.host()).port(redis.port()).db(DB).build();
    return this == Redis ? new RedisLockStore(settings, OPTIONS) : new ConcurrentRedisLockStore(settings, OPTIONS);
  }
}
