package io.ticketgate.store.redis;

import io.ticketgate.store.internal.Checks;
import io.lettuce.core.ScriptOutputType;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.internal.SectionReader;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/**
 * Rasa's {@code RedisLockStore} layout ({@code type: redis}): each conversation's whole
 * {@link TicketLock} is one JSON value under {@code lock:<conversation_id>} (or
 * {@code <key_prefix>:lock:<conversation_id>}), tickets numbered from 0, written byte for byte as a
 * Rasa server writes it.
 *
 * <p>Unlike Rasa, every change is atomic: the store reads the value, computes the new one, and
 * swaps it in with a compare-and-set script that fails when anyone (another replica, a Rasa server)
 * changed it meanwhile, then retries. Two processes issuing at the same instant never get the same
 * number. Each write also sets a TTL a minute past the last ticket's expiry, so a crashed process
 * leaves no key behind forever.
 *
 * <p>Prefer {@link ConcurrentRedisLockStore} for replicas: it needs no retries under contention and
 * its ticket numbers never repeat. Thread-safe.
 */
public class RedisLockStore extends RedisBackedLockStore {

  /** Rasa's prefix for this layout. */
  public static final String DEFAULT_KEY_PREFIX = "lock:";

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

  /** Connects to Redis as {@code settings} say. */
  public RedisLockStore(RedisSettings settings, LockStoreOptions options) {
    super(settings, options, DEFAULT_KEY_PREFIX);
  }

  /** Builds the store from a {@code lock_store:} section. */
  public RedisLockStore(Map<String, Object> section) {
    this(settingsOf(section, false), LockStores.options(section));
  }

  static RedisSettings settingsOf(Map<String, Object> section, boolean concurrent) {
    SectionReader r = SectionReader.of("lock_store", section, null);
    RedisSettings s = RedisSettings.read(r, concurrent);
    r.throwIfProblems();
    return s;
  }

  /** The key holding {@code conversationId}'s lock. */
  public String key(String conversationId) {
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

  @Override
  public Optional<TicketLock> getLock(String conversationId) {
    String raw = await(conversationId, "read the lock", redis.async().get(key(conversationId)));
    return Optional.ofNullable(raw == null ? null : parse(conversationId, raw));
  }

  @Override
  public void saveLock(TicketLock lock) {
    String id = lock.conversationId();
    await(id, "save the lock", redis.async().psetex(key(id), ttlMillis(lock), RasaJson.lock(lock)));
  }

  @Override
  public void deleteLock(String conversationId) {
    await(conversationId, "delete the lock", redis.async().del(key(conversationId)));
    // Waiters in other processes would otherwise notice only at their next recheck.
    await(conversationId, "announce the deletion", redis.async().publish(releaseChannel, conversationId));
    wakeWaiters(conversationId);
  }

  @Override
  public int issueTicket(String conversationId, Duration lifetime) {
    return issueAndLook(conversationId, lifetime).ticket();
  }

  /** The queue just written is the queue at the instant of the swap, so the first look is free. */
  private Issued issueAndLook(String conversationId, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    return update(conversationId, "issue a ticket", lock -> {
      int ticket = lock.issueTicket(lifetime);
      return Change.write(new Issued(ticket, TicketStatus.of(lock, ticket)), false);
    });
  }

  @Override
  protected CompletionStage<Issued> issueAndLookAsync(String conversationId, Duration lifetime) {
    return CompletableFuture.supplyAsync(() -> issueAndLook(conversationId, lifetime), blockingExecutor());
  }

  @Override
  public void finishServing(String conversationId, int ticket) {
    update(conversationId, "finish serving ticket " + ticket, lock -> {
      if (lock.ticketFor(ticket) == null) {
        return Change.none(null);
      }
      lock.removeTicketFor(ticket);
      return Change.write(null, lock.isSomeoneWaiting());
    });
    wakeWaiters(conversationId);
  }

  @Override
  public void cleanup(String conversationId, int ticket) {
    update(conversationId, "clean up ticket " + ticket, lock -> {
      lock.removeTicketFor(ticket);
      return lock.isSomeoneWaiting() ? Change.write(null, true) : Change.delete(null);
    });
    wakeWaiters(conversationId);
  }

  /**
   * The lock written without the ticket is the queue at the instant of the swap, so where the
   * successor stands comes free with the release; when it is served nobody else can be, and
   * nothing is published.
   */
  @Override
  protected TicketStatus releaseAndLook(String conversationId, int ticket, int successor) {
    return update(conversationId, "clean up ticket " + ticket, lock -> {
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
  protected Issued releaseAndIssue(String conversationId, int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    return update(conversationId, "finish serving ticket " + ticket + " and issue the next", lock -> {
      int next = lock.issueTicket(lifetime); // before the removal, so Rasa's numbering goes on growing
      lock.removeTicketFor(ticket);
      TicketStatus status = TicketStatus.of(lock, next);
      return Change.write(new Issued(next, status), !status.isServed());
    });
  }

  @Override
  public boolean renewTicket(String conversationId, int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    return update(conversationId, "renew ticket " + ticket,
        lock -> lock.renewTicket(ticket, lifetime) ? Change.write(true, false) : Change.none(false));
  }

  @Override
  protected CompletionStage<TicketStatus> ticketStatusAsync(String conversationId, int ticket) {
    return guard(conversationId, "look up ticket " + ticket, redis.async().get(key(conversationId))
        .thenApply(raw -> raw == null ? TicketStatus.gone() : TicketStatus.of(parse(conversationId, raw), ticket)));
  }

  @Override
  public TicketStatus ticketStatus(String conversationId, int ticket) {
    return await(conversationId, "look up ticket " + ticket, ticketStatusAsync(conversationId, ticket));
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
  private <T> T update(String conversationId, String action, Function<TicketLock, Change<T>> change) {
    String key = key(conversationId);
    for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      String raw = await(conversationId, action, redis.async().get(key));
      TicketLock lock = raw == null ? createLock(conversationId) : parse(conversationId, raw);
      Change<T> c = change.apply(lock);
      if (!c.write || (raw == null && c.delete)) {
        return c.result;
      }
      String next = c.delete || (raw == null && lock.tickets().isEmpty()) ? "" : RasaJson.lock(lock);
      Long swapped = await(conversationId, action, redis.<Long>eval(COMPARE_AND_SET, ScriptOutputType.INTEGER,
          new String[] {key}, raw == null ? "" : raw, next, Long.toString(ttlMillis(lock)),
          c.publish ? releaseChannel : "", conversationId));
      if (swapped != null && swapped == 1L) {
        return c.result;
      }
      Thread.onSpinWait();
    }
    throw new LockException(conversationId, "could not " + action + ": the lock changed under " + MAX_ATTEMPTS
        + " consecutive attempts");
  }

  private long ttlMillis(TicketLock lock) {
    double latest = 0;
    for (Ticket t : lock.tickets()) {
      latest = Math.max(latest, t.expires());
    }
    long untilLast = (long) Math.ceil((latest - clock().millis() / 1000.0) * 1000);
    return Math.max(0, untilLast) + GRACE_MILLIS;
  }

  private TicketLock parse(String conversationId, String raw) {
    try {
      return RasaJson.parseLock(conversationId, raw, clock());
    } catch (IllegalArgumentException e) {
      throw new LockException(conversationId, "key " + key(conversationId) + " does not hold a ticket lock: "
          + e.getMessage(), e);
    }
  }

  @Override
  public String toString() {
    return "RedisLockStore{" + redis.describe() + ", prefix='" + keyPrefix + "'}";
  }
}
