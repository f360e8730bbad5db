package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A Redis ACL user and the store's pub/sub subscriptions, as the README states them: a user
 * without the release channels cannot open the store and is told which rule it lacks; one with
 * them opens it, with or without the keyspace events, and a turn passes between two replicas by
 * the release's message.
 */
class RedisAclIT {

  private static final Duration LIFETIME = Duration.ofSeconds(30);
  private static final Duration WAIT = Duration.ofSeconds(10);
  private static final String PASSWORD = "acl-test-pw";

  @RegisterExtension
  static final RedisServerExtension REDIS = new RedisServerExtension();

  private static String user(String name, String... channelRules) {
    List<String> args = new ArrayList<>(List.of("ACL", "SETUSER", name, "reset", "on", ">" + PASSWORD, "~*",
        "resetchannels"));
    args.addAll(List.of(channelRules));
    args.add("+@all");
    REDIS.server().command(args.toArray(String[]::new));
    return name;
  }

  /** The pattern subscriptions of {@code user}'s connections, from {@code CLIENT LIST} ({@code psub=}). */
  private static int patternSubscriptionsOf(String user) {
    int n = 0;
    for (String client : String.valueOf(REDIS.server().command("CLIENT", "LIST")).split("\\r?\\n")) {
      List<String> fields = List.of(client.split(" "));
      if (fields.contains("user=" + user)) {
        for (String f : fields) {
          if (f.startsWith("psub=")) {
            n += Integer.parseInt(f.substring("psub=".length()));
          }
        }
      }
    }
    return n;
  }

  /** Rechecks far apart, so only the release's message can serve a waiter in time. */
  private static LockStore store(boolean concurrent, String user) {
    RedisSettings settings = RedisSettings.builder().host(REDIS.server().host()).port(REDIS.server().port())
        .credentials(user, PASSWORD).build();
    LockStoreOptions options = LockStoreOptions.builder().recheckInterval(Duration.ofMinutes(10)).build();
    return concurrent ? new ConcurrentRedisLockStore(settings, options) : new RedisLockStore(settings, options);
  }

  @ParameterizedTest(name = "concurrent layout: {0}")
  @ValueSource(booleans = {true, false})
  void aUserWithoutTheReleaseChannelsCannotOpenTheStoreAndIsToldWhy(boolean concurrent) {
    String user = user("no-channels-" + concurrent);

    assertThatThrownBy(() -> store(concurrent, user).close())
        .isInstanceOf(LockException.class)
        .hasMessageContaining("cannot subscribe to the release channels")
        .hasMessageContaining("NOPERM")
        .hasMessageContaining("&ticketgate:*");
  }

  /**
   * The release channels alone open the store, without the keyspace events (a warning says so), and
   * a turn passes between two replicas by the release's message; with the keyspace pattern granted
   * as the README writes it, the store subscribes to it too. Redis matches a subscribed pattern
   * against a user's rules literally, so {@code &__keyspace@*} would not do.
   */
  @ParameterizedTest(name = "concurrent layout: {0}, keyspace pattern granted: {1}")
  @CsvSource({"true,false", "false,false", "true,true", "false,true"})
  void theChannelsTheReadmeNamesAreEnough(boolean concurrent, boolean keyspace) throws Exception {
    String pattern = "__keyspace@1__:" + (concurrent ? "concurrent_lock:" : "lock:") + "*";
    String user = keyspace ? user("readme-channels-" + concurrent + "-ks", "&ticketgate:*", "&" + pattern)
        : user("readme-channels-" + concurrent, "&ticketgate:*");
    try (LockStore store = store(concurrent, user); LockStore other = store(concurrent, user)) {
      assertThat(patternSubscriptionsOf(user)).as("keyspace subscriptions of the two stores")
          .isEqualTo(keyspace ? 2 : 0);
      String id = "conv-" + UUID.randomUUID();
      HeldLock first = store.lock(id, LIFETIME, WAIT);
      LockRequest waiting = other.request(id, LIFETIME, WAIT);
      waiting.issued().get(10, TimeUnit.SECONDS);
      Hang.until(() -> other.waitingCount() == 1, WAIT, "the other replica's ticket waiting");

      first.close();
      HeldLock turn = waiting.served().get(10, TimeUnit.SECONDS);
      assertThat(turn.ticket()).isGreaterThan(first.ticket());
      turn.close();
    }
  }
}
