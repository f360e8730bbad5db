package io.ticketgate.store.redis;

import io.lettuce.core.SetArgs;
import io.lettuce.core.api.sync.RedisCommands;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * A Rasa server on the tests' Redis, played by the commands Rasa's lock stores send through
 * redis-py, one for one and in Rasa's order, so that a test shows what Ticketgate meets when a
 * real Rasa server shares the database. Each method names the Rasa method it plays.
 *
 * <p>Concurrent layout ({@code ConcurrentRedisLockStore}): {@code issue_ticket} reads the lock
 * ({@code KEYS <base>[0-9]*}, then {@code GET} of each), takes a number ({@code INCR} of
 * {@code <base>last_issued_ticket_number}) and writes its ticket with
 * {@code SET key value EX int(expires)}, an epoch passed as a relative TTL, so the key outlives its
 * ticket by decades; {@code finish_serving} is a {@code DEL} of the ticket key. Redis layout
 * ({@code RedisLockStore}): every change is a {@code GET} of {@code lock:<id>}, the change in the
 * process, and a {@code SET} of the whole lock without a TTL; a release is such a rewrite without
 * the ticket, never a {@code DEL}, while someone still waits. Rasa publishes nothing on either.
 */
final class RasaServer {

  private final RedisCommands<String, String> raw;

  RasaServer(RedisCommands<String, String> raw) {
    this.raw = raw;
  }

  /** Rasa's wall clock: {@code time.time()}. */
  static double epochSeconds() {
    return System.currentTimeMillis() / 1000.0;
  }

  // ------------------------------------------------------------------ concurrent layout

  /** Rasa's {@code increment_ticket_number}: {@code INCR} of the conversation's counter. */
  long takeNumber(String base) {
    return raw.incr(base + ConcurrentRedisLockStore.LAST_ISSUED_SUFFIX);
  }

  /** Rasa's concurrent {@code save_lock} of its new ticket: {@code SET key value EX int(expires)}. */
  void writeTicket(String base, long number, double expires) {
    raw.set(base + number, RasaJson.ticket(number, expires), SetArgs.Builder.ex((long) expires));
  }

  /** Rasa's concurrent {@code issue_ticket}: the lock read, the number taken, the ticket written. */
  long issueTicket(String base, Duration lifetime) {
    tickets(base);
    long number = takeNumber(base);
    writeTicket(base, number, epochSeconds() + lifetime.toMillis() / 1000.0);
    return number;
  }

  /**
   * Rasa's concurrent {@code get_lock}: the ticket keys under {@code <base>[0-9]*}, each read and
   * sorted by number, expired ones included (Rasa drops them only when it issues).
   */
  List<Ticket> tickets(String base) {
    List<Ticket> tickets = new ArrayList<>();
    for (String key : raw.keys(base + "[0-9]*")) {
      String value = raw.get(key);
      if (value != null) {
        tickets.add(RasaJson.parseTicket(value));
      }
    }
    tickets.sort(Comparator.comparingInt(Ticket::number));
    return tickets;
  }

  /**
   * The ticket Rasa's {@code _acquire_lock} finds served ({@code now_serving}): the lowest live
   * number {@link #tickets} reads, or -1 when there is none.
   */
  int nowServing(String base) {
    double now = epochSeconds();
    return tickets(base).stream().filter(t -> !t.hasExpiredAt(now)).mapToInt(Ticket::number).findFirst().orElse(-1);
  }

  /**
   * Rasa's {@code cleanup} after its turn: {@code finish_serving} ({@code DEL} of the ticket key,
   * nothing published), then {@code is_someone_waiting} (the lock read again) and, when no ticket
   * key is left, {@code delete_lock} ({@code KEYS <base>*} and {@code DEL} of every match).
   */
  void cleanup(String base, long number) {
    raw.del(base + number);
    if (tickets(base).isEmpty()) {
      List<String> keys = raw.keys(base + "*");
      if (!keys.isEmpty()) {
        raw.del(keys.toArray(String[]::new));
      }
    }
  }

  // ------------------------------------------------------------------ redis layout

  /** Rasa's {@code RedisLockStore.get_lock}: {@code GET} of the whole lock, null when there is none. */
  TicketLock lock(String key, String conversationId) {
    String value = raw.get(key);
    return value == null ? null : RasaJson.parseLock(conversationId, value, Clock.systemUTC());
  }

  /**
   * Rasa's {@code issue_ticket} on the redis layout: the lock read, its expired tickets dropped, a
   * ticket numbered one past the last appended, and the whole lock written back blindly.
   */
  int issueTicketInLock(String key, String conversationId, Duration lifetime) {
    TicketLock lock = lock(key, conversationId);
    if (lock == null) {
      lock = new TicketLock(conversationId);
    }
    int number = lock.issueTicket(lifetime);
    raw.set(key, RasaJson.lock(lock));
    return number;
  }

  /**
   * Rasa's {@code cleanup} on the redis layout: {@code finish_serving} (the lock read, its expired
   * tickets and this one dropped, the rest written back), then {@code is_someone_waiting} (the lock
   * read again) and, when it holds no ticket, {@code delete_lock} ({@code DEL}).
   */
  void cleanupInLock(String key, String conversationId, int number) {
    TicketLock lock = lock(key, conversationId);
    if (lock != null) {
      lock.removeExpiredTickets();
      lock.removeTicketFor(number);
      raw.set(key, RasaJson.lock(lock));
    }
    TicketLock left = lock(key, conversationId);
    if (left == null || left.tickets().isEmpty()) {
      raw.del(key);
    }
  }
}
