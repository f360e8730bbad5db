package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.testing.RedisServerExtension;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Progress marks across processes, on a real redis-server: the mark one store's release records is
 * what another store's next turn reads, it lives under Ticketgate's own keys, and a Rasa server's
 * cleanup of the conversation's keys leaves it alone.
 */
class ProgressMarkIT {

  private static final Duration LIFETIME = Duration.ofSeconds(30);
  @RegisterExtension
  static final RedisServerExtension REDIS = new RedisServerExtension();

  private static LockStore newStore(boolean concurrent) {
    RedisSettings settings = RedisSettings.builder().host(REDIS.server().host()).port(REDIS.server().port()).db(0).build();
    LockStoreOptions options = LockStoreOptions.builder().lockLifetime(LIFETIME).build();
    return concurrent ? new ConcurrentRedisLockStore(settings, options) : new RedisLockStore(settings, options);
  }

  @ParameterizedTest(name = "concurrent layout: {0}")
  @ValueSource(booleans = {true, false})
  void theMarkOneProcessRecordsIsWhatTheNextProcessReads(boolean concurrent) {
    try (LockStore one = newStore(concurrent); LockStore other = newStore(concurrent)) {
      String id = "conv-" + UUID.randomUUID();
      one.lock(id).close("in-2@17");

      HeldLock next = other.lock(id);
      assertThat(next.progress()).isEqualTo("in-2@17");
      next.close();

      String key = concurrent ? ConcurrentRedisLockStore.STATE_KEY_PREFIX + id + ":" + ConcurrentRedisLockStore.PROGRESS_SUFFIX
          : RedisLockBackend.STATE_KEY_PREFIX + id + ":progress";
      assertThat(REDIS.server().command("GET", key)).as("the mark, under Ticketgate's own key").isEqualTo("in-2@17");
      assertThat(keysMatching((concurrent ? "concurrent_lock:" : "lock:") + id + "*"))
          .as("nothing under Rasa's own patterns holds it").noneMatch(k -> k.contains("progress"));
    }
  }

  @Test
  void aRasaServersCleanupLeavesTheMarkInPlace() {
    try (LockStore store = newStore(true)) {
      String id = "conv-" + UUID.randomUUID();
      store.lock(id).close("in-0@5");
      // Rasa's cleanup: KEYS concurrent_lock:<id>:* and DEL every match.
      for (String k : keysMatching("concurrent_lock:" + id + ":*")) {
        REDIS.server().command("DEL", k);
      }

      HeldLock next = store.lock(id);
      assertThat(next.progress()).isEqualTo("in-0@5");
      next.close();
    }
  }

  private static List<String> keysMatching(String pattern) {
    Object reply = REDIS.server().command("KEYS", pattern);
    return reply instanceof List<?> l ? l.stream().map(String::valueOf).toList() : List.of();
  }
}
