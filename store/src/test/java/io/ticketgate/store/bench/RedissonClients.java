package io.ticketgate.store.bench;

import io.ticketgate.store.testing.RedisServer;
import org.redisson.Redisson;
import org.redisson.api.RLock;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * How the benchmarks set up Redisson, the peer the Redis stores are compared with.
 *
 * <p>Every client gets the thread budget of one Ticketgate Redis store (Lettuce with two I/O and two
 * computation threads): two Netty threads and two listener threads instead of Redisson's 32 and 16,
 * which on a two-core machine only add context switches. Everything else is Redisson's default:
 * its connection pool (it takes a pooled connection per command instead of multiplexing one, which
 * is its design), script cache on ({@code EVALSHA}, as our stores), NIO transport and TCP_NODELAY
 * (as Lettuce here), one server, no replicas (so no {@code WAIT} after lock scripts).
 */
final class RedissonClients {

  /**
   * The lease every lock is taken with: the Ticketgate stores' ticket lifetime
   * ({@link StoreKind#OPTIONS}, 60 s, keep-alive off). Passing a lease switches Redisson's watchdog
   * off, so a held lock simply expires after it, as an unrenewed ticket does, and no renewal
   * traffic runs beside the benchmark.
   */
  static final long LEASE_MILLIS = StoreKind.OPTIONS.lockLifetime().toMillis();

  private RedissonClients() {}

  /** A new client of {@code redis}, with its own connections: one per simulated replica. */
  static RedissonClient open(RedisServer redis) {
    Config config = new Config();
    config.setNettyThreads(2).setThreads(2);
    config.useSingleServer()
        .setAddress("redis://" + redis.host() + ":" + redis.port())
        .setDatabase(StoreKind.DB);
    return Redisson.create(config);
  }

  /** {@code client}'s lock of {@code key}: {@code RFairLock} when {@code fair}, else {@code RLock}. */
  static RLock lockOf(RedissonClient client, String key, boolean fair) {
    return fair ? client.getFairLock(key) : client.getLock(key);
  }
}
