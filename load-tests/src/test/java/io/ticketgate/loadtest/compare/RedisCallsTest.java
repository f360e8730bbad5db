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

  @Test
  void parsesCallsAndLeavesOutTheHarnessesOwnCommands() {
    assertThat(RedisCalls.parse(INFO)).isEqualTo(Map.of("evalsha", 300L, "mget", 700L, "publish", 20L));
  }

  @Test
  void roundTripsAreScriptsOnTheConcurrentLayoutAndMgetsOnTheRedisLayout() {
    Map<String, Long> before = Map.of("evalsha", 100L, "mget", 200L);
    Map<String, Long> after = RedisCalls.parse(INFO);

    RedisCalls concurrent = RedisCalls.between(before, after, "concurrent_redis");
    assertThat(concurrent).isEqualTo(new RedisCalls(200, 200, 20, 720));
    RedisCalls redis = RedisCalls.between(before, after, "redis");
    assertThat(redis.roundTrips()).isEqualTo(500);
    assertThat(redis.toMap(250)).containsEntry("round_trips_per_message", 2.0).containsEntry("publishes_per_message",
        0.08);
    assertThatThrownBy(() -> RedisCalls.between(before, after, "in_memory")).hasMessageContaining("in_memory");
  }
}
