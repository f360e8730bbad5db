package io.ticketgate.store.redis;

import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreContract;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.testing.RedisServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

/** The contract every store passes, run against {@link ConcurrentRedisLockStore} on a real Redis. */
class ConcurrentRedisLockStoreContractIT extends LockStoreContract {

  private static RedisServer server;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.builder().start();
  }

  @AfterAll
  static void stopRedis() {
    server.close();
  }

  @Override
  protected LockStore newStore(LockStoreOptions options) {
    return new ConcurrentRedisLockStore(RedisSettings.builder().host(server.host()).port(server.port()).build(), options);
  }

  @Override
  protected boolean ticketNumbersOnlyGrow() {
    return true;
  }
}
