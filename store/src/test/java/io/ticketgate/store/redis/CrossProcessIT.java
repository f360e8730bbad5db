package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.ticketgate.store.testing.ChildJvm;
import io.ticketgate.store.testing.RedisServer;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Two stores on separate connections in this JVM and a third in another JVM hammer one
 * conversation: no two turns ever overlap, every turn happens, and the concurrent store serves
 * tickets in strictly increasing order across all three.
 */
class CrossProcessIT {

  private static final int THREADS = 3;
  private static final int TURNS = 60;

  private static RedisServer server;

  @BeforeAll
  static void startRedis() {
    server = RedisServer.builder().start();
  }

  @AfterAll
  static void stopRedis() {
    server.close();
  }

  @ParameterizedTest
  @ValueSource(strings = {"redis", "concurrent_redis"})
  void turnsNeverOverlapAcrossClientsAndProcesses(String type) throws Exception {
    String id = "hammer-" + UUID.randomUUID();
    String port = Integer.toString(server.port());
    try (ChildJvm child = ChildJvm.start(Hammer.class, server.host(), port, type, id,
        Integer.toString(THREADS), Integer.toString(TURNS))) {
      var here1 = CompletableFuture.supplyAsync(() -> hammer(type, id));
      var here2 = CompletableFuture.supplyAsync(() -> hammer(type, id));
      Hammer.Result a = here1.get();
      Hammer.Result b = here2.get();
      int exit = child.awaitExit(Duration.ofMinutes(5));
      assertThat(exit).as("child JVM exit; output:%n%s", child.describeOutput()).isZero();
      assertThat(child.stdoutLines()).contains("overlaps=0 turns=" + THREADS * TURNS);
      assertThat(a.overlaps() + b.overlaps()).isZero();

      List<String> order = order(id);
      assertThat(order).hasSize(3 * THREADS * TURNS);
      if (type.equals("concurrent_redis")) {
        List<Integer> tickets = order.stream().map(Integer::parseInt).toList();
        assertThat(tickets).isSorted().doesNotHaveDuplicates();
      }
    }
  }

  private static Hammer.Result hammer(String type, String id) {
    try {
      return Hammer.run(server.host(), server.port(), type, id, THREADS, TURNS);
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<String> order(String id) {
    RedisClient client = RedisClient.create(RedisURI.Builder.redis(server.host(), server.port()).withDatabase(1).build());
    try (StatefulRedisConnection<String, String> c = client.connect()) {
      return c.sync().lrange("order:" + id, 0, -1);
    } finally {
      client.shutdown();
    }
  }
}
