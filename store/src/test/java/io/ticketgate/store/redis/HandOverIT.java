package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.testing.BackendLockStore;
import io.ticketgate.store.testing.ForwardingBackend;
import io.ticketgate.store.testing.Hang;
import io.ticketgate.store.testing.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * What a turn passed from one ticket to the next costs on both Redis layouts, counted by Redis
 * itself ({@code INFO commandstats}): when the next ticket waits in the same process, the release
 * tells where it stands in the same step and publishes nothing; a request queued behind the released
 * turn ({@code requestAfter}) is issued and served by the release itself; a ticket of another process
 * queued in between is still served first and woken by the release message.
 */
class HandOverIT {

  private static final Duration LIFETIME = Duration.ofSeconds(30);
  private static final Duration WAIT = Duration.ofSeconds(10);

  @RegisterExtension
  static final RedisServerExtension REDIS = new RedisServerExtension();

  /** Rechecks far apart, so only a hand-over or a release message can serve a waiter in time. */
  private static LockStore newStore(boolean concurrent) {
    RedisSettings settings = RedisSettings.builder().host(REDIS.server().host()).port(REDIS.server().port()).build();
    LockStoreOptions options = LockStoreOptions.builder().recheckInterval(Duration.ofMinutes(10)).build();
    return concurrent ? new ConcurrentRedisLockStore(settings, options) : new RedisLockStore(settings, options);
  }

  @Test
  void concurrentLayoutHandsATurnOverInOneScriptAndNoReleaseMessage() throws Exception {
    Map<String, Long> calls = handOverInsideTheProcess(true);
    assertThat(calls.getOrDefault("evalsha", 0L) + calls.getOrDefault("eval", 0L))
        .as("scripts for the release and the successor's look, in %s", calls).isEqualTo(1);
    assertThat(calls).as("nobody else can be served, so nobody is told").doesNotContainKey("publish");
  }

  @Test
  void redisLayoutHandsATurnOverInOneSwapAndNoReleaseMessage() throws Exception {
    Map<String, Long> calls = handOverInsideTheProcess(false);
    assertThat(calls.getOrDefault("evalsha", 0L) + calls.getOrDefault("eval", 0L))
        .as("the compare-and-set that releases, in %s", calls).isEqualTo(1);
    // The compare-and-set starts from the lock this process wrote last, and checks it and the
    // progress mark with one MGET inside; no read before it, and a separate look by the successor
    // would be another MGET.
    assertThat(calls.get("mget")).as("the check inside the compare-and-set, in %s", calls).isEqualTo(1);
    assertThat(calls).as("no read outside the compare-and-set").doesNotContainKey("get");
    assertThat(calls).as("nobody else can be served, so nobody is told").doesNotContainKey("publish");
  }

  @Test
  void concurrentLayoutIssuesAndServesTheRequestQueuedBehindATurnInItsReleaseScript() throws Exception {
    Map<String, Long> calls = handOverInsideTheProcess(true, true);
    assertThat(calls.getOrDefault("evalsha", 0L) + calls.getOrDefault("eval", 0L))
        .as("one script releases, issues and looks, in %s", calls).isEqualTo(1);
    assertThat(calls).as("nobody else can be served, so nobody is told").doesNotContainKey("publish");
  }

  @Test
  void redisLayoutIssuesAndServesTheRequestQueuedBehindATurnInItsReleaseSwap() throws Exception {
    Map<String, Long> calls = handOverInsideTheProcess(false, true);
    assertThat(calls.getOrDefault("evalsha", 0L) + calls.getOrDefault("eval", 0L))
        .as("the compare-and-set that releases and issues, in %s", calls).isEqualTo(1);
    assertThat(calls.get("mget")).as("the check inside the compare-and-set, in %s", calls).isEqualTo(1);
    assertThat(calls).as("no read outside the compare-and-set").doesNotContainKey("get");
    assertThat(calls).as("nobody else can be served, so nobody is told").doesNotContainKey("publish");
  }

  /**
   * Holder, then the next turn of the same process: either a waiting ticket, or a request queued
   * behind the holder ({@code queued}). Returns the commands Redis ran from the release until the
   * next turn was served.
   */
  private static Map<String, Long> handOverInsideTheProcess(boolean concurrent) throws Exception {
    return handOverInsideTheProcess(concurrent, false);
  }

  private static Map<String, Long> handOverInsideTheProcess(boolean concurrent, boolean queued) throws Exception {
    // Twice, counting the second: the first use of a script sends its source after a NOSCRIPT.
    handOverInsideTheProcessOnce(concurrent, queued);
    return handOverInsideTheProcessOnce(concurrent, queued);
  }

  private static Map<String, Long> handOverInsideTheProcessOnce(boolean concurrent, boolean queued) throws Exception {
    try (LockStore store = newStore(concurrent)) {
      String id = "conv-" + UUID.randomUUID();
      HeldLock first = store.lock(id, LIFETIME, WAIT);
      LockRequest second = queued ? store.requestAfter(first, LIFETIME, WAIT) : store.request(id, LIFETIME, WAIT);
      if (!queued) {
        second.issued().get(10, TimeUnit.SECONDS);
      }
      assertThat(second.served()).isNotDone();

      REDIS.server().command("CONFIG", "RESETSTAT");
      first.close();
      HeldLock next = second.served().get(10, TimeUnit.SECONDS);
      Map<String, Long> calls = REDIS.server().commandCalls();
      assertThat(next.ticket()).isEqualTo(first.ticket() + 1);
      next.close();
      return calls;
    }
  }

  @ParameterizedTest(name = "concurrent layout, next turn queued behind the holder: {0}")
  @CsvSource({"true,false", "false,false", "true,true", "false,true"})
  void anotherProcessQueuedInBetweenIsServedFirstThenWakesTheSuccessor(boolean concurrent, boolean queued)
      throws Exception {
    try (LockStore store = newStore(concurrent); LockStore other = newStore(concurrent)) {
      String id = "conv-" + UUID.randomUUID();
      HeldLock first = store.lock(id, LIFETIME, WAIT);
      LockRequest between = other.request(id, LIFETIME, WAIT);
      between.issued().get(10, TimeUnit.SECONDS);
      LockRequest mine = queued ? store.requestAfter(first, LIFETIME, WAIT) : store.request(id, LIFETIME, WAIT);
      if (!queued) {
        mine.issued().get(10, TimeUnit.SECONDS);
      }

      REDIS.server().command("CONFIG", "RESETSTAT");
      first.close();
      HeldLock othersTurn = between.served().get(10, TimeUnit.SECONDS);
      assertThat(REDIS.server().commandCalls()).as("the other process hears of the release").containsKey("publish");
      mine.issued().get(10, TimeUnit.SECONDS);
      assertThat(mine.served()).as("this process's next ticket waits behind the other's").isNotDone();

      othersTurn.close();
      HeldLock myTurn = mine.served().get(10, TimeUnit.SECONDS);
      assertThat(myTurn.ticket()).isGreaterThan(othersTurn.ticket());
      myTurn.close();
    }
  }


  /**
   * Two replicas on the concurrent layout: the release finds the other's ticket served in its own
   * script and says so on the served channel, with the progress mark, so the waiter takes its turn
   * without a look: one script and one message in all.
   */
  @Test
  void aWaiterOfAnotherProcessIsServedByTheReleaseMessageWithoutALook() throws Exception {
    // Twice, counting the second: the first use of a script sends its source after a NOSCRIPT.
    handOverToAnotherProcess("offset-6");
    Map<String, Long> calls = handOverToAnotherProcess("offset-7");
    assertThat(calls.getOrDefault("evalsha", 0L) + calls.getOrDefault("eval", 0L))
        .as("the release's script, and no look by the waiter, in %s", calls).isEqualTo(1);
    assertThat(calls.get("publish")).as("the served message, in %s", calls).isEqualTo(1);
  }

  /** Returns the commands Redis ran from the release until the other process's waiter was served. */
  private static Map<String, Long> handOverToAnotherProcess(String mark) throws Exception {
    try (LockStore store = newStore(true); LockStore other = newStore(true)) {
      String id = "conv-" + UUID.randomUUID();
      HeldLock first = store.lock(id, LIFETIME, WAIT);
      LockRequest waiting = other.request(id, LIFETIME, WAIT);
      assertThat(waiting.issued().get(10, TimeUnit.SECONDS)).isEqualTo(first.ticket() + 1);
      settled(other, id);

      REDIS.server().command("CONFIG", "RESETSTAT");
      first.close(mark);
      HeldLock turn = waiting.served().get(10, TimeUnit.SECONDS);
      Map<String, Long> calls = REDIS.server().commandCalls();
      assertThat(turn.progress()).as("the mark the release recorded").isEqualTo(mark);
      turn.close();
      return calls;
    }
  }

  /**
   * Whatever else is published on the served channel is logged and dropped: it serves nobody, and
   * does not keep the next real release from serving its waiter.
   */
  @Test
  void aMessageOnTheServedChannelThatIsNotAReleaseIsIgnored() throws Exception {
    try (LockStore store = newStore(true); LockStore other = newStore(true)) {
      String id = "conv-" + UUID.randomUUID();
      HeldLock first = store.lock(id, LIFETIME, WAIT);
      LockRequest waiting = other.request(id, LIFETIME, WAIT);
      int ticket = waiting.issued().get(10, TimeUnit.SECONDS);
      settled(other, id);
      String channel = "ticketgate:" + ConcurrentRedisLockStore.DEFAULT_KEY_PREFIX + "served";
      for (String junk : List.of("not json", "[\"" + id + "\"]", "[\"" + id + "\", \"x\", false]",
          "{\"id\": \"" + id + "\"}", "[\"" + id + "\", " + ticket + ", 3]", "[\"" + id + "\", " + ticket + ".5, false]")) {
        REDIS.server().command("PUBLISH", channel, junk);
      }
      // A plain release message after them, on the same subscription: the look it causes shows that
      // every message before it was handled (a connection's messages are handled in order).
      REDIS.server().command("CONFIG", "RESETSTAT");
      REDIS.server().command("PUBLISH", "ticketgate:" + ConcurrentRedisLockStore.DEFAULT_KEY_PREFIX + "released", id);
      Hang.until(() -> REDIS.server().commandCalls().getOrDefault("evalsha", 0L) >= 1, WAIT,
          "the look the plain release message causes");
      assertThat(waiting.served()).as("nothing served by messages that are not releases").isNotDone();

      first.close();
      waiting.served().get(10, TimeUnit.SECONDS).close();
    }
  }

  /**
   * The concurrent layout's store with its release answers held back until {@code answer} opens, so
   * a test can see what happens before the release is confirmed.
   */
  private static LockStore storeWithHeldReleases(CountDownLatch answer) {
    RedisSettings settings = RedisSettings.builder().host(REDIS.server().host()).port(REDIS.server().port()).build();
    LockStoreOptions options = LockStoreOptions.builder().recheckInterval(Duration.ofMinutes(10)).build();
    ConcurrentRedisBackend backend = new ConcurrentRedisBackend(settings, options.clock());
    return new BackendLockStore(options, new ForwardingBackend(backend) {
      @Override
      public CompletionStage<TicketStatus> releaseAndLook(String conversationId, int ticket, int successor,
          String progress) {
        return inner.releaseAndLook(conversationId, ticket, successor, progress).thenApplyAsync(status -> {
          Hang.await(answer, WAIT, "the test's go-ahead for the release's answer");
          return status;
        });
      }
    });
  }

  /**
   * Waits until the store's one waiting ticket has taken its issue's answer and is idle, not in the
   * middle of a look: one more call on the same connection is answered after the issue, and Lettuce
   * completes a connection's calls in order on one thread.
   */
  private static void settled(LockStore store, String id) {
    Hang.until(() -> store.waitingCount() == 1, WAIT, "the second ticket waiting");
    assertThat(store.isSomeoneWaiting(id)).isTrue();
  }

  @Test
  void aWaiterHoldingTheNextNumberIsHandedTheTurnBeforeTheReleaseIsConfirmed() throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    try (LockStore store = storeWithHeldReleases(answer)) {
      String id = "conv-" + UUID.randomUUID();
      HeldLock first = store.lock(id, LIFETIME, WAIT);
      LockRequest second = store.request(id, LIFETIME, WAIT);
      assertThat(second.issued().get(10, TimeUnit.SECONDS)).isEqualTo(first.ticket() + 1);
      settled(store, id);

      CompletableFuture<Void> closing = CompletableFuture.runAsync(first::close);
      HeldLock next = second.served().get(10, TimeUnit.SECONDS);
      assertThat(closing).as("the release's answer is still held back").isNotDone();
      assertThat(next.ticket()).isEqualTo(first.ticket() + 1);

      answer.countDown();
      closing.get(10, TimeUnit.SECONDS);
      assertThat(next.isLost()).as("the store saw the handed-over turn served").isFalse();
      assertThat(store.ticketStatus(id, next.ticket()).isServed()).isTrue();
      next.close();
    }
  }

  /**
   * The successor's ticket deleted from outside (a cleanup) while it waits: the release then finds
   * it gone and publishes, and the waiter may look again on that message before the hand-over
   * reaches it. Either way it must not hold a turn it takes for valid: it fails as expired (its look
   * came first), or it is handed the turn and then marked lost (the hand-over came first).
   */
  @RepeatedTest(5)
  void aSuccessorWhoseTicketWasDeletedFromOutsideNeverHoldsATurnItTakesForValid() throws Exception {
    CountDownLatch answer = new CountDownLatch(1);
    answer.countDown();
    try (LockStore store = storeWithHeldReleases(answer)) {
      String id = "conv-" + UUID.randomUUID();
      HeldLock first = store.lock(id, LIFETIME, WAIT);
      LockRequest second = store.request(id, LIFETIME, WAIT);
      int secondTicket = second.issued().get(10, TimeUnit.SECONDS);
      settled(store, id);
      List<Object> replies = REDIS.server().commands(List.of("SELECT", "1"),
          List.of("DEL", ConcurrentRedisLockStore.DEFAULT_KEY_PREFIX + id + ":" + secondTicket));
      assertThat(replies.get(1)).as("keys deleted").isEqualTo(1L);

      first.close();
      HeldLock next;
      try {
        next = second.served().get(10, TimeUnit.SECONDS);
      } catch (ExecutionException e) {
        assertThat(e.getCause()).isInstanceOfSatisfying(LockException.class,
            le -> assertThat(le.reason()).isEqualTo(LockException.Reason.EXPIRED));
        return;
      }
      assertThat(next.isLost()).as("handed the turn, then the release found its ticket gone").isTrue();
      next.close();
    }
  }
}
