package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.testing.RedisServer;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A Rasa server running Rasa's own lock-store code on the same Redis, played by the raw commands
 * it sends, in its order and with its gaps between them, where Ticketgate used to get it wrong:
 * a dead Rasa holder whose key outlives its ticket by decades, a Rasa ticket written a second
 * command after its number was taken, Rasa's cleanup deleting the counter, and Rasa releasing a
 * whole lock by rewriting it. Each test fails without its fix.
 */
class RasaSharingIT {

  private static RedisServer server;
  private static RedisClient rawClient;
  private static StatefulRedisConnection<String, String> rawConnection;
  private static RedisCommands<String, String> raw;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.builder().start();
    rawClient = RedisClient.create(RedisURI.Builder.redis(server.host(), server.port()).withDatabase(1).build());
    rawConnection = rawClient.connect();
    raw = rawConnection.sync();
  }

  @AfterAll
  static void stopRedis() {
    rawConnection.close();
    rawClient.shutdown();
    server.close();
  }

  private static RedisSettings.Builder settings() {
    return RedisSettings.builder().host(server.host()).port(server.port());
  }

  /** No recheck within any test's time: only a release signal or the head's expiry can wake a waiter. */
  private static LockStoreOptions noRecheck() {
    return LockStoreOptions.builder().recheckInterval(Duration.ofMinutes(10)).build();
  }

  private static String newId() {
    return "conv-" + UUID.randomUUID();
  }

  private static double epochSeconds() {
    return System.currentTimeMillis() / 1000.0;
  }

  // ------------------------------------------------------------------ redis layout

  @Test
  void rasaReleasingByRewritingTheLockWakesWaitersThroughKeyspaceEvents() throws Exception {
    // '$' adds string commands (SET) to the keyspace events; g and x give DEL and expiries.
    raw.configSet("notify-keyspace-events", "K$gx");
    try (RedisLockStore store = new RedisLockStore(settings().build(), noRecheck())) {
      String id = newId();
      String key = store.key(id);
      double expires = epochSeconds() + 60;
      // Rasa's RedisLockStore.save_lock after issuing ticket 0: SET without a TTL.
      raw.set(key, "{\"conversation_id\": \"" + id + "\", \"tickets\": [\"{\\\"number\\\": 0, \\\"expires\\\": "
          + RasaJson.pythonFloat(expires) + "}\"]}");

      CompletableFuture<HeldLock> ours = store.lockAsync(id);
      awaitTrue(() -> raw.get(key).contains("\\\"number\\\": 1"));
      assertThat(ours).isNotDone();

      // Rasa's finish_serving: remove_ticket_for(0) and save_lock, a SET of what is left.
      TicketLock left = RasaJson.parseLock(id, raw.get(key), java.time.Clock.systemUTC());
      left.removeTicketFor(0);
      raw.set(key, RasaJson.lock(left));

      try (HeldLock held = ours.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isOne();
      }
    } finally {
      raw.configSet("notify-keyspace-events", "");
    }
  }

  private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 30 s");
      }
      Thread.sleep(10);
    }
  }
}
