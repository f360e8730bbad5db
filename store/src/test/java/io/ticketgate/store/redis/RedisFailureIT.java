package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.testing.RedisServer;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * Redis unreachable, restarted, or guarded by TLS and passwords: calls fail with a
 * {@link LockException} within the socket timeout and never hang, the client comes back by itself,
 * and credentials never leak into messages.
 */
class RedisFailureIT {

  private static final Duration NEVER_HANG = Duration.ofSeconds(60);

  private static Map<String, Object> section(String type, RedisServer server) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", type);
    s.put("host", server.host());
    s.put("port", server.port());
    s.put("socket_timeout", 1);
    return s;
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis", "concurrent_redis"})
  void restartMidRunFailsFastThenRecovers(String type) {
    try (RedisServer server = RedisServer.builder().start();
        LockStore store = LockStores.create(section(type, server))) {
      String id = "restart-" + UUID.randomUUID();
      store.lock(id).close();

      HeldLock held = store.lock(id);
      server.stop();
      assertTimeoutPreemptively(NEVER_HANG, () -> {
        assertThatThrownBy(() -> store.lock(id, Duration.ofSeconds(5), Duration.ofSeconds(5)))
            .isInstanceOf(LockException.class)
            .hasMessageContaining("conversation '" + id + "'")
            .hasMessageContaining(server.host() + ":" + server.port());
        assertThatThrownBy(held::close).isInstanceOf(LockException.class);
      });

      server.start(); // same port, empty: no persistence
      assertTimeoutPreemptively(NEVER_HANG, () -> {
        HeldLock again = null;
        while (again == null) {
          try {
            again = store.lock(id, Duration.ofSeconds(5), Duration.ofSeconds(5));
          } catch (LockException e) {
            Thread.sleep(100); // the client reconnects on its own schedule
          }
        }
        again.close();
      });
    }
  }

  @Test
  void unreachableRedisFailsConstructionWithTheAddress() {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", "concurrent_redis");
    s.put("host", "127.0.0.1");
    s.put("port", 1); // nothing listens on port 1
    s.put("socket_timeout", 1);
    s.put("password", "hunter2");
    assertTimeoutPreemptively(NEVER_HANG, () ->
        assertThatThrownBy(() -> LockStores.create(s))
            .isInstanceOf(LockException.class)
            .hasMessageContaining("127.0.0.1:1")
            .satisfies(e -> assertThat(e.getMessage()).doesNotContain("hunter2")));
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis", "concurrent_redis"})
  void passwordProtectedServer(String type) {
    try (RedisServer server = RedisServer.builder().requirePass("s3cret-pw").start()) {
      Map<String, Object> s = section(type, server);
      s.put("password", "s3cret-pw");
      try (LockStore store = LockStores.create(s)) {
        store.lock("pw-" + UUID.randomUUID()).close();
        assertThat(store.toString()).doesNotContain("s3cret-pw");
      }
      s.put("password", "wrong-pw");
      assertThatThrownBy(() -> LockStores.create(s).close())
          .isInstanceOf(LockException.class)
          .satisfies(e -> assertThat(e.getMessage()).doesNotContain("wrong-pw"));
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis", "concurrent_redis"})
  void aclUser(String type) {
    try (RedisServer server = RedisServer.builder().aclUser("ticketgate", "acl-pw").start()) {
      Map<String, Object> s = section(type, server);
      s.put("username", "ticketgate");
      s.put("password", "acl-pw");
      try (LockStore store = LockStores.create(s)) {
        String id = "acl-" + UUID.randomUUID();
        try (HeldLock held = store.lock(id)) {
          assertThat(store.isSomeoneWaiting(id)).isTrue();
        }
      }
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis", "concurrent_redis"})
  void tlsWithClientCertificate(String type) {
    try (RedisServer server = RedisServer.builder().tls(true).start()) {
      Map<String, Object> s = section(type, server);
      s.put("port", server.tlsPort());
      s.put("use_ssl", true);
      s.put("ssl_ca_certs", server.caCertFile().toString());
      s.put("ssl_certfile", server.clientCertFile().toString());
      s.put("ssl_keyfile", server.clientKeyFile().toString());
      try (LockStore store = LockStores.create(s)) {
        assertThat(store.toString()).contains("TLS");
        String id = "tls-" + UUID.randomUUID();
        try (HeldLock held = store.lock(id)) {
          assertThat(store.getLock(id)).isPresent();
        }
      }
    }
  }

  @Test
  void tlsRefusesAServerItDoesNotTrust() {
    try (RedisServer server = RedisServer.builder().tls(true).start()) {
      RedisSettings settings = RedisSettings.builder().host(server.host()).port(server.tlsPort())
          .ssl(null) // the JDK's trust store does not know the test CA
          .socketTimeout(Duration.ofSeconds(2)).build();
      assertTimeoutPreemptively(NEVER_HANG, () ->
          assertThatThrownBy(() -> new ConcurrentRedisLockStore(settings, LockStoreOptions.defaults()).close())
              .isInstanceOf(LockException.class));
    }
  }
}
