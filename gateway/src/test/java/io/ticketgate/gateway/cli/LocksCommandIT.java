package io.ticketgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.testing.RedisServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@code ticketgate locks show|clear} against a real Redis, for both Redis layouts: the tickets the
 * command prints are the ones a store holds, and clearing them frees the conversation for everyone.
 */
class LocksCommandIT {

  /** Far longer than any test: a ticket that goes away did so because the command removed it. */
  private static final Duration LIFETIME = Duration.ofMinutes(10);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private static RedisServer redis;

  @TempDir Path dir;

  @BeforeAll
  static void startRedis() {
    redis = RedisServer.builder().start();
  }

  @AfterAll
  static void stopRedis() {
    if (redis != null) {
      redis.close();
    }
  }

  /** What one invocation printed and returned. */
  private record Outcome(int exit, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  private static Outcome run(String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = Main.run(argv, o, e);
    }
    return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static Map<String, Object> section(String type) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("type", type);
    s.put("host", redis.host());
    s.put("port", redis.port());
    s.put("lock_lifetime", LIFETIME.toSeconds());
    return s;
  }

  private Path gatewayYml(String type) throws IOException {
    return Files.writeString(dir.resolve("gateway.yml"), "lock_store: {type: " + type + ", host: '" + redis.host()
        + "', port: " + redis.port() + "}\n");
  }

  private static String conversation() {
    return "conv-" + UUID.randomUUID().toString().substring(0, 8);
  }

  private static void assertRow(List<String> lines, int ticket, String state) {
    assertThat(lines).as("a row for ticket %d %s", ticket, state)
        .anySatisfy(l -> assertThat(l).matches("\\s+ticket " + ticket + "\\s+" + state + "\\s+expires .*"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"concurrent_redis", "redis"})
  void showPrintsTheServingAndTheWaitingTicketAndClearRemovesThem(String type) throws Exception {
    String config = gatewayYml(type).toString();
    String id = conversation();
    try (LockStore store = LockStores.create(section(type));
        LockStore replica = LockStores.create(section(type))) {
      HeldLock holder = store.lock(id);

      Outcome alone = run("locks", "show", id, "--config", config);
      assertThat(alone.exit()).as(alone.err()).isZero();
      assertThat(alone.lines()).contains("conversation '" + id + "': 1 ticket(s)");
      assertRow(alone.lines(), holder.ticket(), "serving");
      assertThat(alone.lines()).anySatisfy(l -> assertThat(l).startsWith("lock store: ")
          .contains(String.valueOf(redis.port())));

      // Another replica's message waits behind the holder.
      LockRequest waiter = replica.request(id, LIFETIME, null);
      int waiting = waiter.issued().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);

      Outcome both = run("locks", "show", id, "--config", config);
      assertThat(both.exit()).as(both.err()).isZero();
      assertThat(both.lines()).contains("conversation '" + id + "': 2 ticket(s)");
      assertRow(both.lines(), holder.ticket(), "serving");
      assertRow(both.lines(), waiting, "waiting");
      assertThat(waiter.served()).isNotDone();

      Outcome clear = run("locks", "clear", id, "--config", config);
      assertThat(clear.exit()).as(clear.err()).isZero();
      assertRow(clear.lines(), holder.ticket(), "serving");
      assertThat(clear.lines()).contains("cleared 2 ticket(s) of conversation '" + id + "'");

      assertThat(store.getLock(id)).isEmpty();
      assertThat(replica.getLock(id)).isEmpty();
      // The waiter's ticket went with the holder's: it learns it lost its place instead of waiting
      // out the holder's ten minutes.
      assertThatThrownBy(() -> waiter.served().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .cause().isInstanceOfSatisfying(LockException.class,
              e -> assertThat(e.reason()).isEqualTo(LockException.Reason.EXPIRED));

      Outcome after = run("locks", "show", id, "--config", config);
      assertThat(after.lines()).contains("conversation '" + id + "': no tickets");

      // The conversation is free: a new turn is served at once, not after the cleared holder's lifetime.
      try (HeldLock next = replica.lock(id, LIFETIME, TIMEOUT)) {
        assertThat(next.conversationId()).isEqualTo(id);
      }
      holder.close();
    }
  }

  @Test
  void aStaleHolderReleasingAfterAClearDoesNotFreeTheNextHoldersTurn() throws Exception {
    // The concurrent layout never reuses a number, so the cleared holder's late release cannot touch
    // the ticket issued after the clear.
    String config = gatewayYml("concurrent_redis").toString();
    String id = conversation();
    try (LockStore store = LockStores.create(section("concurrent_redis"))) {
      HeldLock stale = store.lock(id);
      assertThat(run("locks", "clear", id, "--config", config).exit()).isZero();

      HeldLock next = store.lock(id, LIFETIME, TIMEOUT);
      assertThat(next.ticket()).isGreaterThan(stale.ticket());
      stale.close();

      assertThat(store.getLock(id)).hasValueSatisfying(l ->
          assertThat(l.tickets()).extracting(Ticket::number).containsExactly(next.ticket()));
      LockRequest behind = store.request(id, LIFETIME, null);
      assertThat(behind.issued().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)).isGreaterThan(next.ticket());
      assertThat(behind.served()).as("still behind the live holder").isNotDone();
      next.close();
      try (HeldLock served = behind.served().get(TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        assertThat(served.conversationId()).isEqualTo(id);
      }
    }
  }

  @Test
  void clearCountsTheTicketsItListedExpiredOnesIncluded() throws Exception {
    String config = gatewayYml("redis").toString();
    String id = conversation();
    try (LockStore store = LockStores.create(section("redis"))) {
      double now = System.currentTimeMillis() / 1000.0;
      // Rasa's layout keeps an expired ticket in the lock until someone rewrites it.
      store.saveLock(new TicketLock(id, List.of(new Ticket(0, now - 5), new Ticket(1, now + 60),
          new Ticket(2, now + 60)), java.time.Clock.systemUTC()));

      Outcome clear = run("locks", "clear", id, "--config", config);

      assertThat(clear.exit()).as(clear.err()).isZero();
      assertThat(clear.lines()).contains("conversation '" + id + "': 3 ticket(s)")
          .contains("cleared 3 ticket(s) of conversation '" + id + "'");
      assertRow(clear.lines(), 0, "expired");
      assertThat(store.getLock(id)).isEmpty();
    }
  }

  @Test
  void theLockStoreMayComeFromRasasEndpointsFile() throws Exception {
    Path endpoints = Files.writeString(dir.resolve("endpoints.yml"), """
        action_endpoint:
          url: "http://localhost:5055/webhook"
        lock_store:
          type: concurrent_redis
          host: %s
          port: %d
        """.formatted(redis.host(), redis.port()));
    String id = conversation();
    try (LockStore store = LockStores.create(section("concurrent_redis"));
        HeldLock holder = store.lock(id)) {
      Outcome show = run("locks", "show", id, "--endpoints", endpoints.toString());

      assertThat(show.exit()).as(show.err()).isZero();
      assertRow(show.lines(), holder.ticket(), "serving");
    }
  }

  @Test
  void anUnknownConversationHasNoTickets() throws Exception {
    String id = conversation();

    Outcome show = run("locks", "show", id, "--config", gatewayYml("concurrent_redis").toString());

    assertThat(show.exit()).isZero();
    assertThat(show.lines()).contains("conversation '" + id + "': no tickets");
  }

  @Test
  void anUnreachableStoreFailsWithExitOne() throws Exception {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort(); // closed again: nothing listens there
    }
    Path config = Files.writeString(dir.resolve("down.yml"),
        "lock_store: {type: concurrent_redis, host: 127.0.0.1, port: " + port + ", socket_timeout: 2}\n");

    Outcome show = run("locks", "show", "c1", "--config", config.toString());

    assertThat(show.exit()).isEqualTo(1);
    assertThat(show.err()).startsWith("ticketgate: ");
  }
}
