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
import java.util.function.BiFunction;

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

  /**
   * Swaps the lock value only if it is still what the caller read; optionally publishes a release
   * and records a progress mark. KEYS: the lock, the progress mark. ARGV: the value read ('' for
   * none), the new value ('' deletes, ARGV[8] = 'keep' leaves it), TTL ms, channel ('' publishes
   * nothing), message, progress ('' records nothing), progress TTL ms, 'keep' or ''.
   */
  private static final RedisConnection.Script COMPARE_AND_SET = new RedisConnection.Script("""
      local current = redis.call('GET', KEYS[1])
      if current == false then current = '' end
      if current ~= ARGV[1] then return 0 end
      if ARGV[8] ~= 'keep' then
        if ARGV[2] == '' then
          redis.call('DEL', KEYS[1])
        else
          redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
        end
      end
      if ARGV[6] ~= '' then redis.call('SET', KEYS[2], ARGV[6], 'PX', ARGV[7]) end
      if ARGV[4] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[5]) end
      return 1
      """);

  /** Prefix of Ticketgate's own per-conversation keys of this layout, outside Rasa's {@code lock:}. */
  static final String STATE_KEY_PREFIX = "lock_ticketgate:";

  private final Clock clock;
  /** Everything before the conversation id in Ticketgate's own keys. */
  private final String statePrefix;
  private final String progressTtlMillis;

  RedisLockBackend(RedisSettings settings, Clock clock) {
    super(settings, RedisLockStore.DEFAULT_KEY_PREFIX);
    this.clock = clock;
    this.statePrefix = (settings.keyPrefix() == null ? "" : settings.keyPrefix() + ":") + STATE_KEY_PREFIX;
    this.progressTtlMillis = Long.toString(settings.ticketCounterTtl().toMillis());
  }

  /**
   * The key of the conversation's progress mark: {@code [<key_prefix>:]lock_ticketgate:<id>:progress},
   * outside every key Rasa reads, with the lock key's hash tag in cluster mode.
   */
  String progressKey(String conversationId) {
    return statePrefix + keyId(conversationId) + ":progress";
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
    return update(conversationId, "issue a ticket", null, (lock, progress) -> {
      int ticket = lock.issueTicket(lifetime);
      return Change.write(new Issued(ticket, TicketStatus.of(lock, ticket).withProgress(progress)), false);
    });
  }

  @Override
  public CompletionStage<TicketStatus> look(String conversationId, int ticket) {
    return guard(conversationId, "look up ticket " + ticket, redis.async()
        .mget(key(conversationId), progressKey(conversationId))
        .thenApply(values -> {
          String raw = values.get(0).getValueOrElse(null);
          return raw == null ? TicketStatus.gone()
              : TicketStatus.of(parse(conversationId, raw), ticket).withProgress(values.get(1).getValueOrElse(null));
        }));
  }

  @Override
  public CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime) {
    return update(conversationId, "renew ticket " + ticket, null,
        (lock, progress) -> lock.renewTicket(ticket, lifetime) ? Change.write(true, false) : Change.none(false));
  }

  @Override
  public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
    return update(conversationId, "finish serving ticket " + ticket, progress, (lock, mark) -> {
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
  public CompletionStage<TicketStatus> releaseAndLook(String conversationId, int ticket, int successor,
      String progress) {
    return update(conversationId, "finish serving ticket " + ticket, progress, (lock, mark) -> {
      lock.removeTicketFor(ticket);
      TicketStatus next = TicketStatus.of(lock, successor).withProgress(mark);
      return lock.isSomeoneWaiting() ? Change.write(next, !next.isServed()) : Change.delete(next);
    });
  }

  /**
   * The release and the issue are one compare-and-set, so the new ticket's place comes free with
   * the release; the queue is only published when someone else is ahead of it.
   */
  @Override
  public CompletionStage<Issued> releaseAndIssue(String conversationId, int ticket, Duration lifetime,
      String progress) {
    return update(conversationId, "finish serving ticket " + ticket + " and issue the next", progress,
        (lock, mark) -> {
      int next = lock.issueTicket(lifetime); // before the removal, so Rasa's numbering goes on growing
      lock.removeTicketFor(ticket);
      TicketStatus status = TicketStatus.of(lock, next).withProgress(mark);
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

  /**
   * Read, change, compare-and-set; again when someone else wrote in between. The change sees the
   * lock and the conversation's progress mark as it will be once the swap succeeds.
   *
   * @param progress a mark to record with the swap, or null
   */
  private <T> CompletionStage<T> update(String conversationId, String action, String progress,
      BiFunction<TicketLock, String, Change<T>> change) {
    return guard(conversationId, action, attempt(conversationId, action, progress, change, 0));
  }

  private <T> CompletionStage<T> attempt(String conversationId, String action, String progress,
      BiFunction<TicketLock, String, Change<T>> change, int attempt) {
    if (attempt == MAX_ATTEMPTS) {
      return CompletableFuture.failedFuture(new LockException(conversationId, "could not " + action
          + ": the lock changed under " + MAX_ATTEMPTS + " consecutive attempts"));
    }
    String key = key(conversationId);
    String progressKey = progressKey(conversationId);
    return redis.async().mget(key, progressKey).thenCompose(values -> {
      String raw = values.get(0).getValueOrElse(null);
      TicketLock lock = raw == null ? new TicketLock(conversationId, List.of(), clock) : parse(conversationId, raw);
      Change<T> c = change.apply(lock, progress != null ? progress : values.get(1).getValueOrElse(null));
      boolean lockUnchanged = !c.write || (raw == null && c.delete);
      if (lockUnchanged && progress == null) {
        return CompletableFuture.completedFuture(c.result);
      }
      String next = c.delete || (raw == null && lock.tickets().isEmpty()) ? "" : RasaJson.lock(lock);
      CompletionStage<Long> swap = redis.eval(COMPARE_AND_SET, ScriptOutputType.INTEGER,
          new String[] {key, progressKey}, raw == null ? "" : raw, next, Long.toString(ttlMillis(lock)),
          c.publish ? releaseChannel : "", conversationId, progress == null ? "" : progress, progressTtlMillis,
          lockUnchanged ? "keep" : "");
      return swap.thenCompose(swapped -> swapped != null && swapped == 1L
          ? CompletableFuture.completedFuture(c.result)
          : attempt(conversationId, action, progress, change, attempt + 1));
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
