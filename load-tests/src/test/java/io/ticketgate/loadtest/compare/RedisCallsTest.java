package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

class RedisCallsTest {

  private static final String INFO = """
      # Commandstats\r
      cmdstat_evalsha:calls=300,usec=900,usec_per_call=3.00,rejected_calls=0,failed_calls=0\r
      cmdstat_mget:calls=700,usec=70,usec_per_call=0.10,rejected_calls=0,failed_calls=0\r
      cmdstat_publish:calls=20,usec=20,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r
      cmdstat_info:calls=9,usec=90,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r
      cmdstat_config|resetstat:calls=1,usec=5,usec_per_call=5.00,rejected_calls=0,failed_calls=0\r
      """;

  /** Commands of the connections' setup and upkeep, the harness's and the store's, and its probes. */
  private static final String CONNECTIONS = """
      cmdstat_hello:calls=6,usec=60,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r
      cmdstat_client|setinfo:calls=12,usec=12,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r
      cmdstat_select:calls=4,usec=4,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r
      cmdstat_ping:calls=3,usec=3,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r
      cmdstat_subscribe:calls=2,usec=2,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r
      cmdstat_psubscribe:calls=2,usec=2,usec_per_call=1.00,rejected_calls=0,failed_calls=0\r
      """;

  @Test
  void parsesCallsAndLeavesOutTheHarnessesOwnCommandsAndConnectionUpkeep() {
    assertThat(RedisCalls.parse(INFO)).isEqualTo(Map.of("evalsha", 300L, "mget", 700L, "publish", 20L));
    assertThat(RedisCalls.parse(INFO + CONNECTIONS)).isEqualTo(Map.of("evalsha", 300L, "mget", 700L, "publish", 20L));
  }

  @Test
  void roundTripsAreTheStoresStepsOnTheConcurrentLayoutAndMgetsOnTheRedisLayout() {
    Map<String, Long> before = Map.of("evalsha", 100L, "mget", 200L);
    Map<String, Long> after = RedisCalls.parse(INFO);

    // 200 scripts and 10 keep-alive renewals: a renewal's SET is counted by Redis with the scripts' own SETs.
    RedisCalls concurrent = RedisCalls.between(before, after, "concurrent_redis", 210);
    assertThat(concurrent).isEqualTo(new RedisCalls(210, 200, 20, 720));
    RedisCalls redis = RedisCalls.between(before, after, "redis", 180);
    assertThat(redis.roundTrips()).as("MGETs, whatever the steps").isEqualTo(500);
    assertThat(redis.toMap(250)).containsEntry("round_trips_per_message", 2.0).containsEntry("publishes_per_message",
        0.08);
    assertThatThrownBy(() -> RedisCalls.between(before, after, "in_memory", 0)).hasMessageContaining("in_memory");
  }

  @Test
  void scriptsResentAfterNoscriptAreRequestsOfTheirOwn() {
    Map<String, Long> after = RedisCalls.parse(INFO
        + "cmdstat_eval:calls=4,usec=40,usec_per_call=10.00,rejected_calls=0,failed_calls=0\r\n");

    // The step's EVALSHA was refused and counted as the step; its EVAL is one request more.
    assertThat(RedisCalls.between(Map.of(), after, "concurrent_redis", 300).roundTrips()).isEqualTo(304);
    // The refused EVALSHA ran no MGET; the EVAL that followed it ran one.
    assertThat(RedisCalls.between(Map.of(), after, "redis", -1).roundTrips()).isEqualTo(704);
    assertThat(RedisCalls.between(Map.of(), after, "redis", -1).scripts()).isEqualTo(304);
  }

  @Test
  void concurrentRoundTripsAreUnknownWithoutTheArmsStepCount() {
    RedisCalls calls = RedisCalls.between(Map.of(), RedisCalls.parse(INFO), "concurrent_redis", -1);
    assertThat(calls.roundTrips()).isEqualTo(-1);
    assertThat(calls.roundTripsPerMessage(100)).isNull();
    assertThat(calls.toMap(100)).containsEntry("round_trips_per_message", null).containsEntry("scripts", 300L);
  }
}
