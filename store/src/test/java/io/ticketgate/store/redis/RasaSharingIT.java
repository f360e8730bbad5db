package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.sync.RedisCommands;
import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.StoreCallObserver;
import io.ticketgate.store.StoreCallObserver.Operation;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.Queue;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * A Rasa server running Rasa's own lock-store code on the same Redis, played by the raw commands
 * it sends ({@link RasaServer}), in its order and with its gaps between them, where Ticketgate used
 * to get it wrong: a dead Rasa holder whose key outlives its ticket by decades, a Rasa ticket
 * written a second command after its number was taken, Rasa's cleanup deleting the counter, and
 * Rasa releasing a whole lock by rewriting it. Each test fails without its fix. On both layouts, a
 * Rasa ticket between a holder and the next ticket of the same process holds that ticket back
 * through the hand-over that passes turns within a process.
 */
class RasaSharingIT {

  private static RedisServer server;
  private static RedisClient rawClient;
  private static StatefulRedisConnection<String, String> rawConnection;
  private static RedisCommands<String, String> raw;
  private static RasaServer rasaServer;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.builder().start();
    rawClient = RedisClient.create(RedisURI.Builder.redis(server.host(), server.port()).withDatabase(1).build());
    rawConnection = rawClient.connect();
    raw = rawConnection.sync();
    rasaServer = new RasaServer(raw);
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
    return RasaServer.epochSeconds();
  }

  /** Rasa's concurrent {@code save_lock} of one ticket: {@code SET key value EX int(expires)}. */
  private static void rasaWriteTicket(String base, long number, double expires) {
    rasaServer.writeTicket(base, number, expires);
  }

  // ------------------------------------------------------------------ concurrent layout

  @Test
  void waiterGetsInWhenADeadRasaHoldersTicketExpiresThoughItsKeyLivesOn() throws Exception {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(), noRecheck())) {
      String id = newId();
      String base = store.keyBase(id);
      // A Rasa server takes ticket 1 for 1 s and dies holding it.
      long rasa = raw.incr(base + ConcurrentRedisLockStore.LAST_ISSUED_SUFFIX);
      rasaWriteTicket(base, rasa, epochSeconds() + 1);
      assertThat(raw.ttl(base + rasa)).as("EX int(expires): the key lives for decades")
          .isGreaterThan(Duration.ofDays(365 * 50).toSeconds());

      CompletableFuture<HeldLock> ours = store.lockAsync(id);
      try (HeldLock held = ours.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isEqualTo(rasa + 1);
        assertThat(raw.exists(base + rasa)).as("still there; only its value says it expired").isOne();
        assertThat(store.getLock(id).orElseThrow().tickets()).extracting(Ticket::number).containsExactly(held.ticket());
      }
    }
  }

  @Test
  void ticketRasaWritesAfterTakingItsNumberHoldsBackTicketsIssuedInBetween() throws Exception {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(
        settings().absentTicketGrace(Duration.ofSeconds(60)).build(),
        LockStoreOptions.builder().recheckInterval(Duration.ofMillis(100)).build())) {
      String id = newId();
      String base = store.keyBase(id);
      // Rasa's issue_ticket, first command: INCR. Its SET comes as a second command, late.
      long rasa = raw.incr(base + ConcurrentRedisLockStore.LAST_ISSUED_SUFFIX);

      CompletableFuture<HeldLock> first = store.lockAsync(id);
      awaitTrue(() -> raw.exists(base + (rasa + 1)) == 1);
      Thread.sleep(1500);
      assertThat(first).as("waits while Rasa's ticket may still be written").isNotDone();

      rasaWriteTicket(base, rasa, epochSeconds() + 60);
      CompletableFuture<HeldLock> second = store.lockAsync(id);
      awaitTrue(() -> raw.exists(base + (rasa + 2)) == 1);
      Thread.sleep(300);
      assertThat(first).as("Rasa's ticket is live").isNotDone();
      assertThat(second).as("Rasa's ticket is live").isNotDone();

      raw.del(base + rasa); // Rasa's finish_serving
      try (HeldLock held = first.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isEqualTo(rasa + 1);
        assertThat(second).isNotDone();
      }
      try (HeldLock held = second.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isEqualTo(rasa + 2);
      }
    }
  }

  @Test
  void numberRasaTookButNeverWroteIsAbandonedAfterTheGraceEveryReplicaAgreesOn() throws Exception {
    RedisSettings settings = settings().absentTicketGrace(Duration.ofSeconds(1)).build();
    try (ConcurrentRedisLockStore replicaA = new ConcurrentRedisLockStore(settings, noRecheck());
        ConcurrentRedisLockStore replicaB = new ConcurrentRedisLockStore(settings, noRecheck())) {
      String id = newId();
      String base = replicaA.keyBase(id);
      String absentSince = replicaA.stateBase(id) + ConcurrentRedisLockStore.ABSENT_SINCE_SUFFIX;
      // A Rasa server INCRs and dies before its SET.
      long rasa = raw.incr(base + ConcurrentRedisLockStore.LAST_ISSUED_SUFFIX);

      CompletableFuture<HeldLock> a = replicaA.lockAsync(id);
      awaitTrue(() -> raw.exists(base + (rasa + 1)) == 1);
      String seen = raw.hget(absentSince, Long.toString(rasa));
      assertThat(seen).as("when replica A first saw number %d absent", rasa).isNotNull();
      CompletableFuture<HeldLock> b = replicaB.lockAsync(id);
      awaitTrue(() -> raw.exists(base + (rasa + 2)) == 1);
      assertThat(raw.hget(absentSince, Long.toString(rasa))).as("replica B counts from A's sighting").isEqualTo(seen);

      try (HeldLock held = a.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isEqualTo(rasa + 1);
      }
      try (HeldLock held = b.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isEqualTo(rasa + 2);
      }
    }
  }

  @Test
  void ticketNumbersKeepGrowingAfterRasasCleanupDeletesTheCounter() throws Exception {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().keyPrefix("tenant7").build(),
        LockStoreOptions.builder().recheckInterval(Duration.ofMillis(100)).build())) {
      String id = newId();
      String base = store.keyBase(id);
      assertThat(base).isEqualTo("tenant7:concurrent_lock:" + id + ":");
      String counter = base + ConcurrentRedisLockStore.LAST_ISSUED_SUFFIX;
      int first;
      try (HeldLock held = store.lock(id)) {
        first = held.ticket();
      }

      // A Rasa turn: issue_ticket (INCR, SET), finish_serving (DEL), and, nobody waiting, its
      // delete_lock: every key under the pattern, counter and floor included.
      long rasa = raw.incr(counter);
      rasaWriteTicket(base, rasa, epochSeconds() + 60);
      raw.del(base + rasa);
      List<String> keys = raw.keys(base + "*");
      assertThat(keys).contains(counter).allMatch(k -> !k.contains(ConcurrentRedisLockStore.HIGH_WATER_SUFFIX));
      raw.del(keys.toArray(String[]::new));

      int second;
      try (HeldLock held = store.lock(id)) {
        second = held.ticket();
        assertThat(second).isGreaterThan(first);
      }

      raw.del(raw.keys(base + "*").toArray(String[]::new));
      // Rasa's numbering starts again at 1; Ticketgate's goes on above its own, behind Rasa's ticket.
      long rasaAgain = raw.incr(counter);
      assertThat(rasaAgain).isOne();
      rasaWriteTicket(base, rasaAgain, epochSeconds() + 60);
      CompletableFuture<HeldLock> third = store.lockAsync(id);
      awaitTrue(() -> raw.keys(base + "[0-9]*").size() == 2);
      Thread.sleep(300);
      assertThat(third).as("behind Rasa's ticket %d", rasaAgain).isNotDone();
      raw.del(base + rasaAgain);
      try (HeldLock held = third.get(30, TimeUnit.SECONDS)) {
        assertThat(held.ticket()).isGreaterThan(second);
      }
    }
  }

  @Test
  void savedTicketZeroReadsBackAndHoldsItsPlace() throws Exception {
    try (ConcurrentRedisLockStore store = new ConcurrentRedisLockStore(settings().build(),
        LockStoreOptions.builder().recheckInterval(Duration.ofMillis(100)).build())) {
      String id = newId();
      TicketLock saved = new TicketLock(id, List.of(new Ticket(0, epochSeconds() + 60)));
      store.saveLock(saved);

      assertThat(store.getLock(id)).contains(saved);
      assertThat(store.isSomeoneWaiting(id)).isTrue();
      CompletableFuture<HeldLock> ours = store.lockAsync(id);
      awaitTrue(() -> raw.exists(store.keyBase(id) + "1") == 1);
      Thread.sleep(300);
      assertThat(ours).as("behind ticket 0").isNotDone();
      store.finishServing(id, 0);
      ours.get(30, TimeUnit.SECONDS).close();
    }
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

  // ------------------------------------------------------------------ both layouts

  private static final Duration LIFETIME = Duration.ofSeconds(30);
  private static final Duration WAIT = Duration.ofSeconds(30);

  /**
   * A Rasa server takes a number between a Ticketgate holder and the next ticket of the same
   * process. The holder's release is the hand-over within a process, one step that also says where
   * the successor stands (release-and-look; release-and-issue for a turn queued behind the holder
   * with {@code requestAfter}), and it must find Rasa's ticket ahead: Rasa is served next, the
   * successor keeps waiting however often it looks while Rasa's ticket lives, and gets in once
   * Rasa's cleanup removed it.
   */
  @ParameterizedTest(name = "concurrent layout: {0}, next turn queued behind the holder: {1}")
  @CsvSource({"true,false", "true,true", "false,false", "false,true"})
  void rasaTicketTakenBetweenAHolderAndItsSuccessorInTheSameProcessIsServedFirst(boolean concurrent, boolean queued)
      throws Exception {
    // Rechecks often, so the successor looks many times while Rasa's ticket is live.
    LockStoreOptions options = LockStoreOptions.builder().recheckInterval(Duration.ofMillis(100)).build();
    Queue<Operation> steps = new ConcurrentLinkedQueue<>();
    Queue<String> failures = new ConcurrentLinkedQueue<>();
    try (LockStore store = concurrent ? new ConcurrentRedisLockStore(settings().build(), options)
        : new RedisLockStore(settings().build(), options)) {
      store.observeCalls(recording(steps, failures));
      String id = newId();
      String where = concurrent ? ((ConcurrentRedisLockStore) store).keyBase(id) : ((RedisLockStore) store).key(id);
      HeldLock first = store.lock(id, LIFETIME, WAIT);

      int rasa = Math.toIntExact(concurrent ? rasaServer.issueTicket(where, Duration.ofSeconds(60))
          : rasaServer.issueTicketInLock(where, id, Duration.ofSeconds(60)));
      assertThat(rasa).as("Rasa's number comes right after the holder's").isEqualTo(first.ticket() + 1);
      LockRequest mine = queued ? store.requestAfter(first, LIFETIME, WAIT) : store.request(id, LIFETIME, WAIT);
      if (!queued) {
        assertThat(mine.issued().get(10, TimeUnit.SECONDS)).isEqualTo(rasa + 1);
      }

      steps.clear();
      first.close();
      assertThat(steps).as("the holder's release, in one step with its successor's look or issue")
          .contains(queued ? Operation.RELEASE_AND_ISSUE : Operation.RELEASE_AND_LOOK)
          .doesNotContain(Operation.RELEASE, queued ? Operation.RELEASE_AND_LOOK : Operation.RELEASE_AND_ISSUE);
      assertThat(mine.issued().get(10, TimeUnit.SECONDS)).isEqualTo(rasa + 1);
      assertThat(rasaNowServing(concurrent, where, id)).as("what Rasa's _acquire_lock reads: its turn").isEqualTo(rasa);

      steps.clear();
      awaitTrue(() -> steps.stream().filter(s -> s == Operation.LOOK).count() >= 3);
      assertThat(mine.served()).as("looked again while Rasa's ticket %d is live", rasa).isNotDone();
      assertThat(rasaNowServing(concurrent, where, id)).isEqualTo(rasa);

      // Rasa's turn ends; it publishes nothing, so the successor's next look finds the way clear.
      if (concurrent) {
        rasaServer.cleanup(where, rasa);
      } else {
        rasaServer.cleanupInLock(where, id, rasa);
      }
      try (HeldLock next = mine.served().get(30, TimeUnit.SECONDS)) {
        assertThat(next.ticket()).isEqualTo(rasa + 1);
        assertThat(rasaNowServing(concurrent, where, id)).as("what a Rasa server reads now").isEqualTo(rasa + 1);
      }
      assertThat(failures).as("steps that failed").isEmpty();
    }
  }

  /** The number Rasa's {@code now_serving} gives on either layout. */
  private static int rasaNowServing(boolean concurrent, String where, String id) {
    return concurrent ? rasaServer.nowServing(where) : rasaServer.lock(where, id).nowServing();
  }

  /** Notes every step the store took, a failed one as {@code failures} too. */
  private static StoreCallObserver recording(Queue<Operation> steps, Queue<String> failures) {
    return new StoreCallObserver() {
      @Override
      public void answered(Operation operation, long nanos) {
        steps.add(operation);
      }

      @Override
      public void failed(Operation operation, long nanos, Failure failure) {
        steps.add(operation);
        failures.add(operation.label() + ": " + failure.label());
      }
    };
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
