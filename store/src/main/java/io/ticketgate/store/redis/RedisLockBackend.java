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
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

/**
 * The backend of {@link RedisLockStore}: Rasa's {@code RedisLockStore} layout, each conversation's
 * whole {@link TicketLock} as one JSON value under {@code lock:<conversation_id>}.
 *
 * <p>Every change starts from the value this process last saw, computes the new one, and swaps it
 * in with a compare-and-set script. When anyone (another replica, a Rasa server) changed the value
 * since, or it expired, the script swaps nothing and answers what is there, and the change is
 * computed again from that: one script per change while this process was the last to change the
 * conversation, two when it was not, all without blocking a thread (each attempt continues when
 * Redis answers).
 */
final class RedisLockBackend extends RedisBackend {

  /** How long a lock key outlives its last ticket. */
  private static final long GRACE_MILLIS = 60_000;
  private static final int MAX_ATTEMPTS = 1000;

  /**
   * Swaps the lock value only if the lock and the progress mark are still what the caller expects;
   * optionally publishes a release and records a progress mark. Answers {1} when it swapped, else
   * {0, lock, mark} as they are (nil when absent), so the caller tries again without a read. KEYS:
   * the lock, the progress mark. ARGV: the expected lock ('' for none), the expected mark ('' for
   * none), the new value ('' deletes, ARGV[9] = 'keep' leaves it), TTL ms, channel ('' publishes
   * nothing), message, progress ('' records nothing), progress TTL ms, 'keep' or ''.
   */
  private static final RedisConnection.Script COMPARE_AND_SET = new RedisConnection.Script("""
      local seen = redis.call('MGET', KEYS[1], KEYS[2])
      if (seen[1] or '') ~= ARGV[1] or (seen[2] or '') ~= ARGV[2] then return {0, seen[1], seen[2]} end
      if ARGV[9] ~= 'keep' then
        if ARGV[3] == '' then
          redis.call('DEL', KEYS[1])
        else
          redis.call('SET', KEYS[1], ARGV[3], 'PX', ARGV[4])
        end
      end
      if ARGV[7] ~= '' then redis.call('SET', KEYS[2], ARGV[7], 'PX', ARGV[8]) end
      if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
      return {1}
      """);

  /**
   * Conversations this process remembers at most in {@link #seen}; beyond it a quarter is dropped.
   * An entry holds a lock's JSON and a mark, a few hundred bytes.
   */
  private static final int MAX_SEEN = 16_384;

  /** Prefix of Ticketgate's own per-conversation keys of this layout, outside Rasa's {@code lock:}. */
  static final String STATE_KEY_PREFIX = "lock_ticketgate:";

  private final Clock clock;
  /**
   * What this process last saw of each conversation in Redis: the guess each change starts from.
   * The compare-and-set checks it, so a stale entry costs one more script, never a wrong swap. A
   * conversation without an entry is guessed to have no lock and no mark. Written by whichever
   * thread saw Redis answer; a late write may put back an older value, which is only a worse guess.
   */
  private final ConcurrentHashMap<String, Seen> seen = new ConcurrentHashMap<>();
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
          String mark = values.get(1).getValueOrElse(null);
          TicketStatus status = raw == null ? TicketStatus.gone()
              : TicketStatus.of(parse(conversationId, raw), ticket).withProgress(mark);
          remember(conversationId, new Seen(raw, mark));
          return status;
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
    seen.remove(id);
    return guard(id, "save the lock", redis.async().psetex(key(id), ttlMillis(lock), RasaJson.lock(lock))
        .thenApply(ok -> null));
  }

  @Override
  public CompletionStage<Void> delete(String conversationId) {
    seen.remove(conversationId);
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

  /** A conversation's lock value and progress mark as Redis had them, each null when absent. */
  private record Seen(String raw, String progress) {
    static final Seen NOTHING = new Seen(null, null);
  }

  private void remember(String conversationId, Seen now) {
    if (now.raw() == null && now.progress() == null) {
      seen.remove(conversationId);
      return;
    }
    if (seen.size() >= MAX_SEEN) {
      // Which entries go does not matter for correctness; the map's own order is as good as any.
      int drop = MAX_SEEN / 4;
      for (var it = seen.keySet().iterator(); it.hasNext() && drop-- > 0; ) {
        it.next();
        it.remove();
      }
    }
    seen.put(conversationId, now);
  }

  /**
   * Change, compare-and-set; again from what Redis answered when the lock or the mark was not what
   * this process last saw. The change sees the lock and the conversation's progress mark as they
   * will be once the swap succeeds.
   *
   * @param progress a mark to record with the swap, or null
   */
  private <T> CompletionStage<T> update(String conversationId, String action, String progress,
      BiFunction<TicketLock, String, Change<T>> change) {
    CompletionStage<T> result;
    try {
      result = attempt(conversationId, action, progress, change, 0, null);
    } catch (RuntimeException e) {
      result = CompletableFuture.failedFuture(e); // as when a later attempt fails: through the future
    }
    return guard(conversationId, action, result);
  }

  /** @param known what Redis answered to the last attempt, or null to start from {@link #seen} */
  private <T> CompletionStage<T> attempt(String conversationId, String action, String progress,
      BiFunction<TicketLock, String, Change<T>> change, int attempt, Seen known) {
    if (attempt == MAX_ATTEMPTS) {
      return CompletableFuture.failedFuture(new LockException(conversationId, "could not " + action
          + ": the lock changed under " + MAX_ATTEMPTS + " consecutive attempts"));
    }
    Seen basis = known != null ? known : seen.getOrDefault(conversationId, Seen.NOTHING);
    String raw = basis.raw();
    TicketLock lock;
    try {
      lock = raw == null ? new TicketLock(conversationId, List.of(), clock) : parse(conversationId, raw);
    } catch (LockException e) {
      // Not a lock: forget it, so the store is asked again next time rather than failing from memory.
      seen.remove(conversationId);
      if (known == null) {
        return attempt(conversationId, action, progress, change, attempt, Seen.NOTHING);
      }
      throw e;
    }
    String mark = progress != null ? progress : basis.progress();
    Change<T> c = change.apply(lock, mark);
    boolean lockUnchanged = !c.write || (raw == null && c.delete);
    String next = c.delete || (raw == null && lock.tickets().isEmpty()) ? "" : RasaJson.lock(lock);
    CompletionStage<List<Object>> swap = redis.eval(COMPARE_AND_SET, ScriptOutputType.MULTI,
        new String[] {key(conversationId), progressKey(conversationId)}, orEmpty(raw), orEmpty(basis.progress()), next,
        Long.toString(ttlMillis(lock)), c.publish ? releaseChannel : "", conversationId, orEmpty(progress),
        progressTtlMillis, lockUnchanged ? "keep" : "");
    return swap.thenCompose(reply -> {
      if (Long.valueOf(1L).equals(reply.get(0))) {
        remember(conversationId, new Seen(lockUnchanged ? raw : next.isEmpty() ? null : next, mark));
        return CompletableFuture.completedFuture(c.result);
      }
      Seen actual = new Seen((String) reply.get(1), (String) reply.get(2));
      remember(conversationId, actual);
      return attempt(conversationId, action, progress, change, attempt + 1, actual);
    });
  }

  private static String orEmpty(String s) {
    return s == null ? "" : s;
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
