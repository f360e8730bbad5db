package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.store.LockStoreConfigException;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.config.SectionReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Redis keys of a {@code lock_store:} section: Rasa's defaults, and every mistake reported at once. */
class RedisConfigTest {

  private static Map<String, Object> section(Object... keyValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put((String) keyValues[i], keyValues[i + 1]);
    }
    return m;
  }

  private static RedisSettings read(Map<String, Object> section) {
    SectionReader r = SectionReader.of("lock_store", section, "endpoints.yml");
    RedisSettings s = RedisSettings.read(r, true);
    r.throwIfProblems();
    return s;
  }

  @Test
  void rasasDefaults() {
    RedisSettings s = read(section("type", "redis"));
    assertThat(s.host()).isEqualTo("localhost");
    assertThat(s.port()).isEqualTo(6379);
    assertThat(s.db()).isEqualTo(1);
    assertThat(s.useSsl()).isFalse();
    assertThat(s.keyPrefix()).isNull();
    assertThat(s.socketTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(s.deploymentMode()).isEqualTo(RedisSettings.DeploymentMode.STANDARD);
    assertThat(s.ticketCounterTtl()).isEqualTo(Duration.ofDays(30));
    assertThat(s.absentTicketGrace()).isEqualTo(Duration.ofSeconds(5));
  }

  @Test
  void typesSelectTheStore() {
    assertThat(LockStores.validate(section("type", "redis"), null).kind()).isEqualTo(LockStores.Kind.REDIS);
    assertThat(LockStores.validate(section("type", "redis", "concurrent_mode", true), null).kind())
        .isEqualTo(LockStores.Kind.CONCURRENT_REDIS);
    assertThat(LockStores.validate(section("type", "concurrent_redis"), null).kind())
        .isEqualTo(LockStores.Kind.CONCURRENT_REDIS);
    for (String alias : LockStores.RASA_CONCURRENT_ALIASES) {
      assertThat(LockStores.validate(section("type", alias), null).kind()).isEqualTo(LockStores.Kind.CONCURRENT_REDIS);
    }
  }

  @Test
  void absentTicketGraceIsAConcurrentStoreSettingInSeconds() {
    assertThat(read(section("type", "concurrent_redis", "absent_ticket_grace", 2.5)).absentTicketGrace())
        .isEqualTo(Duration.ofMillis(2500));
    assertThat(LockStores.validate(section("type", "concurrent_redis", "absent_ticket_grace", 0), "endpoints.yml")
        .problems()).anySatisfy(p -> assertThat(p).contains("lock_store.absent_ticket_grace was '0'"));
    assertThat(LockStores.validate(section("type", "redis", "absent_ticket_grace", 2), "endpoints.yml").warnings())
        .anySatisfy(w -> assertThat(w).contains("absent_ticket_grace"));
  }

  @Test
  void urlNamesTheHostOfTheRedisStoreAsInRasasDocs() {
    Map<String, Object> s = section("type", "redis", "url", "redis.internal");
    assertThat(read(s).host()).isEqualTo("redis.internal");
    assertThat(LockStores.validate(s, "endpoints.yml").warnings()).isEmpty();
  }

  @Test
  void urlOfTheConcurrentStoreWorksWithRasasMigrationNote() {
    Map<String, Object> s = section("type", "concurrent_redis", "url", "redis.internal");
    assertThat(read(s).host()).isEqualTo("redis.internal");
    assertThat(LockStores.validate(s, "endpoints.yml").warnings())
        .anySatisfy(w -> assertThat(w).contains("rename it to 'host'").contains("endpoints.yml"));
  }

  @Test
  void urlAndHostTogetherAreAnError() {
    for (String type : List.of("redis", "concurrent_redis")) {
      assertThat(LockStores.validate(section("type", type, "url", "a", "host", "b"), "endpoints.yml").problems())
          .as(type).anySatisfy(p -> assertThat(p).contains("lock_store.url").contains("keep one"));
    }
  }

  @Test
  void everyProblemIsReportedAtOnceWithKeyValueAndFile(@TempDir Path dir) {
    Map<String, Object> s = section(
        "type", "concurrent_redis",
        "host", "a", "url", "b",
        "port", 70000,
        "db", -1,
        "use_ssl", "maybe",
        "ssl_ca_certs", dir.resolve("missing-ca.pem").toString(),
        "socket_timeout", "soon",
        "deployment_mode", "galaxy",
        "endpoints", List.of("nohost"),
        "lock_lifetime", -5);
    LockStores.Validation v = LockStores.validate(s, "endpoints.yml");
    assertThat(v.isValid()).isFalse();
    assertThat(v.problems()).allSatisfy(p -> assertThat(p).startsWith("lock_store").endsWith("(in endpoints.yml)"));
    assertThat(String.join("\n", v.problems()))
        .contains("lock_store.url was 'b' but it cannot be combined with host")
        .contains("lock_store.port was '70000' but it must be between 1 and 65535")
        .contains("lock_store.db was '-1' but it must be between 0")
        .contains("lock_store.use_ssl was 'maybe' but it must be true or false")
        .contains("missing-ca.pem' but it names a file that does not exist")
        .contains("lock_store.socket_timeout was 'soon' but it must be a number of seconds")
        .contains("lock_store.deployment_mode was 'galaxy' but it must be standard, cluster or sentinel")
        .contains("lock_store.endpoints was 'nohost' but it must be host:port")
        .contains("lock_store.lock_lifetime was '-5' but it must be greater than 0 seconds");
    assertThat(v.problems()).hasSize(9);

    assertThatThrownBy(() -> LockStores.create(s, "endpoints.yml"))
        .isInstanceOf(LockStoreConfigException.class)
        .hasMessageContaining("(9 problems)");
  }

  @Test
  void hostMustNotBeAUrl() {
    assertThat(LockStores.validate(section("type", "redis", "host", "redis://x:6379/0"), null).problems())
        .singleElement().asString().contains("must be a host name, not a URL");
  }

  @Test
  void clientCertificateNeedsBothFiles(@TempDir Path dir) throws Exception {
    Path cert = Files.writeString(dir.resolve("c.pem"), "x");
    assertThat(LockStores.validate(section("type", "redis", "use_ssl", true, "ssl_certfile", cert.toString()), null)
        .problems()).singleElement().asString().contains("needs its pair");
  }

  @Test
  void nonAlphanumericKeyPrefixIsRefusedWithAWarningAsRasaDoes() {
    Map<String, Object> s = section("type", "redis", "key_prefix", "my-app");
    assertThat(read(s).keyPrefix()).isNull();
    assertThat(LockStores.validate(s, null).warnings())
        .anySatisfy(w -> assertThat(w).contains("non-alphanumeric key_prefix 'my-app'"));
    assertThat(read(section("type", "redis", "key_prefix", "tenant1")).keyPrefix()).isEqualTo("tenant1");
  }

  @Test
  void sentinelNeedsItsService() {
    assertThat(LockStores.validate(section("type", "redis", "deployment_mode", "sentinel"), null).problems())
        .singleElement().asString().contains("needs sentinel_service");
    RedisSettings s = read(section("type", "redis", "deployment_mode", "sentinel", "sentinel_service", "mymaster",
        "endpoints", List.of("s1:26379", "s2:26379")));
    assertThat(s.effectiveEndpoints()).containsExactly("s1:26379", "s2:26379");
  }

  @Test
  void clusterUsesDatabaseZero() {
    assertThat(read(section("type", "redis", "deployment_mode", "cluster")).db()).isZero();
    assertThat(LockStores.validate(section("type", "redis", "deployment_mode", "cluster", "db", 3), null).problems())
        .singleElement().asString().contains("must be 0 in cluster mode");
  }

  @Test
  void unknownKeysAreWarnedAboutByName() {
    assertThat(LockStores.validate(section("type", "redis", "hots", "x"), null).warnings())
        .anySatisfy(w -> assertThat(w).contains("[hots]"));
  }

  @Test
  void environmentVariablesAreSubstituted() {
    SectionReader r = new SectionReader("lock_store", section("password", "${REDIS_PW}", "host", "${REDIS_HOST}"), null,
        name -> name.equals("REDIS_PW") ? "from-env" : null);
    RedisSettings s = RedisSettings.read(r, false);
    assertThat(s).isNull();
    assertThat(r.problems()).singleElement().asString().contains("${REDIS_HOST}, which is not set");
    assertThat(r.values().get("password")).isEqualTo("from-env");
  }

  @Test
  void passwordNeverShownByToString() {
    RedisSettings s = read(section("type", "redis", "password", "hunter2", "username", "bot"));
    assertThat(s.toString()).doesNotContain("hunter2").contains("****");
  }
}
