package io.ticketgate.store.redis;

import io.lettuce.core.ScriptOutputType;
import io.ticketgate.store.LockException;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.backend.Issued;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * The backend of {@link RedisLockStore}: Rasa's {@code RedisLockStore} layout, each conversation's
 * whole {@link TicketLock} as one JSON value under {@code lock:<conversation_id>}.
 *
 * <p>Every change reads the value, computes the new one, and swaps it in with a compare-and-set
 * script that fails when anyone (another replica, a Rasa server) changed it meanwhile, then
 * retries, all without blocking a thread: each attempt continues when Redis answers.
 */
final class RedisLockBackend extends RedisBackend {

  /** How long a lock key outlives its last ticket. */
  private static final long GRACE_MILLIS = 60_000;
  private static final int MAX_ATTEMPTS = 1000;

  /** Swaps the lock value only if it is still what the caller read; optionally publishes a release. */
  private static final RedisConnection.Script COMPARE_AND_SET = new RedisConnection.Script("""
      local current = redis.call('GET', KEYS[1])
      if current == false then current = '' end
      if current ~= ARGV[1] then return 0 end
      if ARGV[2] == '' then
        redis.call('DEL', KEYS[1])
      else
        redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
      end
      if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
      return 1
      """);

  private final Clock clock;

  RedisLockBackend(RedisSettings settings, Clock clock) {
    super(settings, RedisLockStore.DEFAULT_KEY_PREFIX);
    this.clock = clock;
  }

  /** The key holding {@code conversationId}'s lock. */
  String key(String conversationId) {
    return keyPrefix + keyId(conversationId);
  }

  @Override
  String conversationOfKey(String keyWithoutPrefix) {
    return conversationOfKeyId(keyWithoutPrefix);
  }

  /**
   * Also a {@code set}: a Rasa server releases by rewriting {@code lock:<id>} without its ticket
   * ({@code SET}, never {@code DEL}) and publishes nothing, so without it a waiter behind a Rasa
   * ticket would get in only at its next recheck. Redis sends {@code set} events only with the
   * {@code $} class in {@code notify-keyspace-events}.
   */
  @Override
  boolean wakesOn(String event) {
    return event.equals("set") || super.wakesOn(event);
  }

  /** The queue just written is the queue at the instant of the swap, so the first look is free. */
  @Override
  public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
    return update(conversationId, "issue a ticket", lock -> {
      int ticket = lock.issueTicket(lifetime);
      return Change.write(new Issued(ticket, TicketStatus.of(lock, ticket)), false);
    });
  }

  @Override
  public CompletionStage<TicketStatus> look(String conversationId, int ticket) {
    return guard(conversationId, "look up ticket " + ticket, redis.async().get(key(conversationId))
        .thenApply(raw -> raw == null ? TicketStatus.gone() : TicketStatus.of(parse(conversationId, raw), ticket)));
  }

  @Override
  public CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime) {
    return update(conversationId, "renew ticket " + ticket,
        lock -> lock.renewTicket(ticket, lifetime) ? Change.write(true, false) : Change.none(false));
  }

  @Override
  public CompletionStage<Void> release(String conversationId, int ticket) {
    return update(conversationId, "finish serving ticket " + ticket, lock -> {
      boolean held = lock.ticketFor(ticket) != null;
      lock.removeTicketFor(ticket);
      if (!lock.isSomeoneWaiting()) {
        return Change.delete(null);
      }
      return held ? Change.write(null, true) : Change.none(null);
    });
  }

  /**
   * The lock written without the ticket is the queue at the instant of the swap, so where the
   * successor stands comes free with the release; when it is served nobody else can be, and
   * nothing is published.
   */
  @Override
  public CompletionStage<TicketStatus> releaseAndLook(String conversationId, int ticket, int successor) {
    return update(conversationId, "finish serving ticket " + ticket, lock -> {
      lock.removeTicketFor(ticket);
      TicketStatus next = TicketStatus.of(lock, successor);
      return lock.isSomeoneWaiting() ? Change.write(next, !next.isServed()) : Change.delete(next);
    });
  }

  /**
   * The release and the issue are one compare-and-set, so the new ticket's place comes free with
   * the release; the queue is only published when someone else is ahead of it.
   */
  @Override
  public CompletionStage<Issued> releaseAndIssue(String conversationId, int ticket, Duration lifetime) {
    return update(conversationId, "finish serving ticket " + ticket + " and issue the next", lock -> {
      int next = lock.issueTicket(lifetime); // before the removal, so Rasa's numbering goes on growing
      lock.removeTicketFor(ticket);
      TicketStatus status = TicketStatus.of(lock, next);
      return Change.write(new Issued(next, status), !status.isServed());
    });
  }

  @Override
  public CompletionStage<Optional<TicketLock>> read(String conversationId) {
    return guard(conversationId, "read the lock", redis.async().get(key(conversationId))
        .thenApply(raw -> Optional.ofNullable(raw == null ? null : parse(conversationId, raw))));
  }

  @Override
  public CompletionStage<Void> write(TicketLock lock) {
    String id = lock.conversationId();
    return guard(id, "save the lock", redis.async().psetex(key(id), ttlMillis(lock), RasaJson.lock(lock))
        .thenApply(ok -> null));
  }

  @Override
  public CompletionStage<Void> delete(String conversationId) {
    // Published, since waiters in other processes would otherwise notice only at their next recheck.
    return guard(conversationId, "delete the lock", redis.async().del(key(conversationId))
        .thenCompose(n -> redis.async().publish(releaseChannel, conversationId))
        .thenApply(n -> null));
  }

  /** What an update decided: its result, and whether and how to write the lock back. */
  private record Change<T>(T result, boolean write, boolean delete, boolean publish) {
    static <T> Change<T> none(T result) {
      return new Change<>(result, false, false, false);
    }

    static <T> Change<T> write(T result, boolean publish) {
      return new Change<>(result, true, false, publish);
    }

    static <T> Change<T> delete(T result) {
      return new Change<>(result, true, true, false);
    }
  }

  /** Read, change, compare-and-set; again when someone else wrote in between. */
  private <T> CompletionStage<T> update(String conversationId, String action, Function<TicketLock, Change<T>> change) {
    return guard(conversationId, action, attempt(conversationId, action, change, 0));
  }

  private <T> CompletionStage<T> attempt(String conversationId, String action, Function<TicketLock, Change<T>> change,
      int attempt) {
    if (attempt == MAX_ATTEMPTS) {
      return CompletableFuture.failedFuture(new LockException(conversationId, "could not " + action
          + ": the lock changed under " + MAX_ATTEMPTS + " consecutive attempts"));
    }
    String key = key(conversationId);
    return redis.async().get(key).thenCompose(raw -> {
      TicketLock lock = raw == null ? new TicketLock(conversationId, List.of(), clock) : parse(conversationId, raw);
      Change<T> c = change.apply(lock);
      if (!c.write || (raw == null && c.delete)) {
        return CompletableFuture.completedFuture(c.result);
      }
      String next = c.delete || (raw == null && lock.tickets().isEmpty()) ? "" : RasaJson.lock(lock);
      CompletionStage<Long> swap = redis.eval(COMPARE_AND_SET, ScriptOutputType.INTEGER, new String[] {key},
          raw == null ? "" : raw, next, Long.toString(ttlMillis(lock)), c.publish ? releaseChannel : "",
          conversationId);
      return swap.thenCompose(swapped -> swapped != null && swapped == 1L
          ? CompletableFuture.completedFuture(c.result)
          : attempt(conversationId, action, change, attempt + 1));
    });
  }

  private long ttlMillis(TicketLock lock) {
    double latest = 0;
    for (Ticket t : lock.tickets()) {
      latest = Math.max(latest, t.expires());
    }
    long untilLast = (long) Math.ceil((latest - clock.millis() / 1000.0) * 1000);
    return Math.max(0, untilLast) + GRACE_MILLIS;
  }

  private TicketLock parse(String conversationId, String raw) {
    try {
      return RasaJson.parseLock(conversationId, raw, clock);
    } catch (IllegalArgumentException e) {
      throw new LockException(conversationId, "key " + key(conversationId) + " does not hold a ticket lock: "
          + e.getMessage(), e);
    }
  }
}
