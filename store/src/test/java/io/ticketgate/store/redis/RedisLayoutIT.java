package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.testing.RedisServer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The keys and values both Redis stores write are the ones a Rasa server writes and reads, byte for
 * byte, and tickets written in Rasa's layout (without any key of ours) hold Ticketgate's waiters back.
 * Rasa's side is played by raw commands doing exactly what Rasa's stores do.
 */
class RedisLayoutIT {

  private static RedisServer server;
  private static RedisClient rawClient;
  private static StatefulRedisConnection<String, String> rawConnection;
  private static RedisCommands<String, String> raw;
  private static RasaServer rasa;

  /** A fixed instant with a fractional part, so expiry values are known exactly. */
  private static final Clock FIXED = Clock.fixed(Instant.ofEpochMilli(1_700_000_000_125L), ZoneOffset.UTC);

  @BeforeAll
  static void startRedis() {
    server = RedisServer.builder().start();
    rawClient = RedisClient.create(RedisURI.Builder.redis(server.host(), server.port()).withDatabase(1).build());
    rawConnection = rawClient.connect();
    raw = rawConnection.sync();
    rasa = new RasaServer(raw);
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

  private static String newId() {
    return "conv-" + UUID.randomUUID();
  }

  // ------------------------------------------------------------------ redis (whole lock)

  @Test
  void redisStoreWritesRasasLockJsonByteForByte() {
    try (RedisLockStore store = new RedisLockStore(settings().build(),
        LockStoreOptions.builder().clock(FIXED).build())) {
      String id = "é\"/\\ " + UUID.randomUUID();
      int first = store.issueTicket(id, Duration.ofSeconds(60));
      int second = store.issueTicket(id, Duration.ofMillis(30_500));

      assertThat(first).isZero();
      assertThat(second).isOne();
      String escapedId = "\\u00e9\\\"/\\\\ " + id.substring(5);
      assertThat(raw.get("lock:" + id)).isEqualTo(
          "{\"conversation_id\": \"" + escapedId + "\", \"tickets\": ["
              + "\"{\\\"number\\\": 0, \\\"expires\\\": 1700000060.125}\", "
              + "\"{\\\"number\\\": 1, \\\"expires\\\": 1700000030.625}\"]}");
    }
  }

  @Test
  void redisStoreKeyPrefixFollowsRasa() {
    try (RedisLockStore store = new RedisLockStore(settings().keyPrefix("tenant7").build(), LockStoreOptions.defaults())) {
      String id = newId();
      try (HeldLock held = store.lock(id)) {
        assertThat(raw.exists("tenant7:lock:" + id)).isOne();
        assertThat(raw.exists("lock:" + id)).isZero();
      }
      assertThat(raw.exists("tenant7:lock:" + id)).as("deleted when nobody waits").isZero();
    }
  }

  /**
   * A value under the lock key that is not a lock fails each turn with a message naming the key,
   * also once this process has seen it, and the store works again as soon as the key is fixed: what
   * the store remembers of a conversation never stands in for asking Redis.
   */
  @Test
  void redisStoreNamesAValueThatIsNotALockAndRecoversOnceItIsGone() {
    try (RedisLockStore store = new RedisLockStore(settings().build(), LockStoreOptions.defaults())) {
      String id = newId();
      store.lock(id).close();
      raw.set("lock:" + id, "not a lock");
      for (int i = 0; i < 2; i++) {
        assertThatThrownBy(() -> store.lock(id, Duration.ofSeconds(60), Duration.ofSeconds(5)))
            .isInstanceOf(LockException.class)
            .hasMessageContaining("lock:" + id).hasMessageContaining("does not hold a ticket lock");
      }
      raw.del("lock:" + id);
      try (HeldLock held = store.lock(id, Duration.ofSeconds(60), Duration.ofSeconds(5))) {
        assertThat(held.ticket()).isZero();
      }
    }
  }

  @Test
  void redisStoreWaitsForATicketRasaIssuedAndRasaWaitsForOurs() throws Exception {
    try (RedisLockStore store = new RedisLockStore(settings().build(),
        LockStoreOptions.builder().recheckInterval(Duration.ofMillis(100)).build())) {
      String id = newId();
      String expires = RasaJson.pythonFloat(RasaServer.epochSeconds() + 60);
      // Rasa's RedisLockStore.save_lock: SET lock:<id> with the ticket serialized as a JSON string.
      raw.set("lock:" + id, "{\"conversation_id\": \"" + id + "\", \"tickets\": [\"{\\\"number\\\": 0, \\\"expires\\\": "
          + expires + "}\"]}");

      CompletableFuture<HeldLock> ours = store.lockAsync(id);
      // Our ticket joined Rasa's queue behind Rasa's ticket, in Rasa's format.
      awaitTrue(() -> raw.get("lock:" + id).contains("\\\"number\\\": 1"));
      assertThat(ours).isNotDone();

      // Rasa finishes serving ticket 0: it rewrites the lock without it (no pub/sub message).
      String current = raw.get("lock:" + id);
      raw.set("lock:" + id, current.replaceFirst("\"\\{\\\\\"number\\\\\": 0, [^}]*}\", ", ""));

      try (HeldLock held = ours.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isOne();
        // What a Rasa server reads now: one ticket, ours, served; its next ticket would be 2 and wait.
        var lock = RasaJson.parseLock(id, raw.get("lock:" + id), Clock.systemUTC());
        assertThat(lock.nowServing()).isOne();
        assertThat(lock.lastIssued()).isOne();
      }
    }
  }

  // ------------------------------------------------------------------ concurrent

  @Test
  void concurrentStoreWritesOneKeyPerTicketWithRelativeTtl() {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(),
        LockStoreOptions.builder().clock(FIXED).build())) {
      String id = "ü " + UUID.randomUUID();
      int ticket = store.issueTicket(id, Duration.ofSeconds(60));

      assertThat(ticket).as("numbers start at 1 (INCR)").isOne();
      String base = "concurrent_lock:" + id + ":";
      assertThat(raw.get(base + "1")).isEqualTo("{\"number\": 1, \"expires\": 1700000060.125}");
      assertThat(raw.get(base + "last_issued_ticket_number")).isEqualTo("1");
      assertThat(raw.pttl(base + "1")).isBetween(1L, 60_000L);
      assertThat(raw.pttl(base + "last_issued_ticket_number")).isGreaterThan(Duration.ofDays(29).toMillis());
      // Rasa finds the tickets with the pattern <id>:[0-9]*; nothing of ours may match it.
      assertThat(raw.keys(base + "[0-9]*")).containsExactly(base + "1");
    }
  }

  @Test
  void concurrentStoreNumbersNeverRepeatAcrossIdlePeriods() {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(), LockStoreOptions.defaults())) {
      String id = newId();
      int first;
      try (HeldLock held = store.lock(id)) {
        first = held.ticket();
      }
      assertThat(store.getLock(id)).isEmpty();
      assertThat(raw.keys("concurrent_lock:" + id + ":[0-9]*")).isEmpty();
      try (HeldLock held = store.lock(id)) {
        assertThat(held.ticket()).isEqualTo(first + 1);
      }
    }
  }

  @Test
  void concurrentStoreKeyPrefixFollowsRasa() {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().keyPrefix("tenant7").build(),
        LockStoreOptions.defaults())) {
      String id = newId();
      try (HeldLock held = store.lock(id)) {
        assertThat(raw.exists("tenant7:concurrent_lock:" + id + ":" + held.ticket())).isOne();
        assertThat(raw.keys("concurrent_lock:" + id + "*")).isEmpty();
      }
    }
  }

  @Test
  void concurrentStoreWaitsForATicketRasaIssuedAndRasaWaitsForOurs() throws Exception {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(),
        LockStoreOptions.builder().recheckInterval(Duration.ofMillis(100)).build())) {
      String id = newId();
      String base = "concurrent_lock:" + id + ":";
      // Rasa's issue_ticket: INCR the counter, then SET the ticket key (EX int(expires)).
      long rasaTicket = raw.incr(base + "last_issued_ticket_number");
      rasa.writeTicket(base, rasaTicket, RasaServer.epochSeconds() + 60);

      CompletableFuture<HeldLock> ours = store.lockAsync(id);
      awaitTrue(() -> raw.exists(base + (rasaTicket + 1)) == 1);
      assertThat(ours).isNotDone();

      // What Rasa sees meanwhile: both tickets under the pattern, its own first.
      assertThat(raw.keys(base + "[0-9]*")).containsExactlyInAnyOrder(base + rasaTicket, base + (rasaTicket + 1));

      // Rasa's finish_serving deletes its key, publishing nothing.
      raw.del(base + rasaTicket);
      try (HeldLock held = ours.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isEqualTo(rasaTicket + 1);
        // Rasa's next ticket comes from the same counter and sits behind ours.
        assertThat(raw.incr(base + "last_issued_ticket_number")).isEqualTo(rasaTicket + 2);
      }
    }
  }

  @Test
  void concurrentStoreWaiterSkipsAnExpiredRasaTicketWithoutPolling() throws Exception {
    // Recheck interval far beyond the test's timeout: only the head ticket's expiry can wake the waiter.
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(),
        LockStoreOptions.builder().recheckInterval(Duration.ofMinutes(10)).build())) {
      String id = newId();
      String base = "concurrent_lock:" + id + ":";
      long rasaTicket = raw.incr(base + "last_issued_ticket_number");
      // EX int(expires): the key lives on for decades; only the value says the ticket expired.
      rasa.writeTicket(base, rasaTicket, RasaServer.epochSeconds() + 0.5);

      try (HeldLock held = store.lockAsync(id).get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isEqualTo(rasaTicket + 1);
      }
    }
  }

  @Test
  void keyspaceEventsWakeWaitersWhenRedisSendsThem() throws Exception {
    raw.configSet("notify-keyspace-events", "Kgx");
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(),
        LockStoreOptions.builder().recheckInterval(Duration.ofMinutes(10)).build())) {
      String id = newId();
      String base = "concurrent_lock:" + id + ":";
      long rasaTicket = raw.incr(base + "last_issued_ticket_number");
      rasa.writeTicket(base, rasaTicket, RasaServer.epochSeconds() + 600);
      CompletableFuture<HeldLock> ours = store.lockAsync(id);
      awaitTrue(() -> raw.exists(base + (rasaTicket + 1)) == 1);
      raw.del(base + rasaTicket); // no publish: only the keyspace event can wake the waiter in time
      ours.get(30, TimeUnit.SECONDS).close();
    } finally {
      raw.configSet("notify-keyspace-events", "");
    }
  }

  @Test
  void acquireAndReleaseNeverScanTheKeyspace() {
    try (ConcurrentRedisLockStore concurrent = new ConcurrentRedisLockStore(settings().build(), LockStoreOptions.defaults());
        RedisLockStore whole = new RedisLockStore(settings().build(), LockStoreOptions.defaults())) {
      raw.configResetstat();
      for (int i = 0; i < 20; i++) {
        concurrent.lock(newId()).close();
        whole.lock(newId()).close();
      }
      String stats = raw.info("commandstats");
      assertThat(stats).doesNotContain("cmdstat_keys:").doesNotContain("cmdstat_scan:");
    }
  }

  private static final int TURNS = 20;

  /**
   * Pins the work inside Redis of a repeated uncontended turn of the concurrent store, scripts'
   * commands included: each command a script runs costs Redis's own CPU on every message.
   */
  @Test
  void anUncontendedTurnRunsTwoScriptsOfTenCommandsInAll() {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(), LockStoreOptions.defaults())) {
      // issue: MGET (high water, counter, floor, progress), SET counter, PEXPIRE floor, SET high
      // water, SET ticket; release: DEL ticket, MGET, SET floor.
      assertThat(uncontendedTurns(store)).as("commands of %d turns", TURNS).isEqualTo(Map.of(
          "evalsha", 2L * TURNS, "mget", 2L * TURNS, "set", 4L * TURNS, "pexpire", 1L * TURNS,
          "del", 1L * TURNS));
    }
  }

  /**
   * Pins the work inside Redis of a turn queued behind the one before it in the same process
   * ({@code requestAfter}, the gateway's path for a conversation's next message): one script that
   * releases, issues and finds the new ticket served.
   */
  @Test
  void aTurnQueuedBehindTheLastRunsOneScriptOfSixCommands() throws Exception {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(), LockStoreOptions.defaults())) {
      // DEL the old ticket, MGET (high water, counter, floor, progress), SET the floor past it, SET
      // the counter, SET the high-water mark, SET the new ticket; the floor's TTL was just set.
      assertThat(queuedTurns(store)).as("commands of %d turns", TURNS).isEqualTo(Map.of(
          "evalsha", 1L * TURNS, "del", 1L * TURNS, "mget", 1L * TURNS, "set", 4L * TURNS));
    }
  }

  /**
   * Pins the Redis work of a repeated uncontended turn of the whole-lock store: each change is one
   * compare-and-set script against the value this process last saw, with no read before it.
   */
  @Test
  void aWholeLockTurnRunsTwoScriptsAndNoReadOutsideThem() {
    try (RedisLockStore store = new RedisLockStore(settings().build(), LockStoreOptions.defaults())) {
      // issue: MGET (lock, progress) and SET inside the script; release: MGET and DEL inside it.
      assertThat(uncontendedTurns(store)).as("commands of %d turns", TURNS).isEqualTo(Map.of(
          "evalsha", 2L * TURNS, "mget", 2L * TURNS, "set", 1L * TURNS, "del", 1L * TURNS));
    }
  }

  /**
   * The whole-lock store's turn queued behind the one before it in the same process: the release
   * and the issue are one compare-and-set script.
   */
  @Test
  void aWholeLockTurnQueuedBehindTheLastRunsOneScript() throws Exception {
    try (RedisLockStore store = new RedisLockStore(settings().build(), LockStoreOptions.defaults())) {
      assertThat(queuedTurns(store)).as("commands of %d turns", TURNS).isEqualTo(Map.of(
          "evalsha", 1L * TURNS, "mget", 1L * TURNS, "set", 1L * TURNS));
    }
  }

  /** The commands Redis ran for {@link #TURNS} turns of one conversation, each taken and given back. */
  private static Map<String, Long> uncontendedTurns(LockStore store) {
    String id = newId();
    store.lock(id).close(); // the first turn also writes what later ones find (the floor, the lock last seen)
    raw.configResetstat();
    for (int i = 0; i < TURNS; i++) {
      store.lock(id).close();
    }
    return commandCalls();
  }

  /** The commands Redis ran for {@link #TURNS} turns, each requested behind the one before it. */
  private static Map<String, Long> queuedTurns(LockStore store) throws Exception {
    HeldLock held = store.lock(newId());
    var warmUp = store.requestAfter(held, Duration.ofSeconds(60), null);
    held.close();
    held = warmUp.served().get(10, TimeUnit.SECONDS);
    raw.configResetstat();
    for (int i = 0; i < TURNS; i++) {
      var next = store.requestAfter(held, Duration.ofSeconds(60), null);
      held.close();
      held = next.served().get(10, TimeUnit.SECONDS);
    }
    Map<String, Long> calls = commandCalls();
    held.close();
    return calls;
  }

  /** Calls per command since the last reset, the test's own left out. */
  private static Map<String, Long> commandCalls() {
    Map<String, Long> calls = server.commandCalls();
    calls.remove("config|resetstat");
    calls.remove("info");
    return calls;
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
