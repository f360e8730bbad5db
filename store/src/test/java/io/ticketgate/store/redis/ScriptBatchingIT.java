package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.testing.Hang;
import io.ticketgate.store.testing.RedisServerExtension;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The concurrent store sends the steps that arrive while a call is on its way together, in one
 * script, against a real redis-server: each step still gets its own answer, and a step that fails
 * fails alone.
 */
class ScriptBatchingIT {

  private static final Duration LIFETIME = Duration.ofSeconds(60);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);
  @RegisterExtension
  static final RedisServerExtension REDIS = new RedisServerExtension();

  @Test
  void stepsThatArriveWhileACallIsOnItsWayGoInOneScriptAndEachGetsItsOwnAnswer() throws Exception {
    // Database 0, where the test's own commands go.
    RedisSettings settings = RedisSettings.builder().host(REDIS.server().host()).port(REDIS.server().port()).db(0).build();
    try (LockStore store = new ConcurrentRedisLockStore(settings, LockStoreOptions.defaults())) {
      String run = UUID.randomUUID().toString();
      store.lock("warm-" + run).close(); // loads the scripts
      // A conversation whose counter is not a number: its issue fails inside Redis.
      String broken = "broken-" + run;
      REDIS.server().command("HSET", ConcurrentRedisLockStore.DEFAULT_KEY_PREFIX + broken + ":"
          + ConcurrentRedisLockStore.LAST_ISSUED_SUFFIX, "not", "a counter");
      REDIS.server().command("CONFIG", "RESETSTAT");

      // Redis holds every script for the pause, so the first step is on its way while the rest
      // arrive; they queue, and go together once it returns.
      REDIS.server().command("CLIENT", "PAUSE", "3000", "WRITE");
      List<LockRequest> requests = new ArrayList<>();
      for (int i = 0; i < 20; i++) {
        requests.add(store.request("c" + i + "-" + run, LIFETIME, null));
      }
      LockRequest failing = store.request(broken, LIFETIME, null);

      List<HeldLock> turns = new ArrayList<>();
      for (LockRequest r : requests) {
        HeldLock held = Hang.get(r.served(), TIMEOUT, "the turn of " + r.conversationId());
        assertThat(held.ticket()).as("the first ticket of %s", r.conversationId()).isEqualTo(1);
        turns.add(held);
      }
      Throwable failure = Hang.failure(failing.served(), TIMEOUT, "the conversation whose counter is a hash");
      assertThat(failure).isInstanceOf(LockException.class).hasMessageContaining("WRONGTYPE");
      assertThat(((LockException) failure).reason()).isEqualTo(LockException.Reason.STORE_FAILED);

      Map<String, Long> calls = REDIS.server().commandCalls();
      assertThat(calls.getOrDefault("evalsha", 0L) + calls.getOrDefault("eval", 0L))
          .as("the first issue alone, then the other 20 in one script (sent again as source the first time), in %s",
              calls)
          .isLessThanOrEqualTo(3);
      turns.forEach(HeldLock::close);
    }
  }
}
