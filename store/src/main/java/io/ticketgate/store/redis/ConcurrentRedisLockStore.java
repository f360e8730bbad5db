package io.ticketgate.store.redis;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.internal.Checks;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * Rasa's concurrent lock store layout, the recommended store for replicas: one key per ticket,
 * numbered from 1 by an atomic {@code INCR}, never reused.
 *
 * <h2>Keys</h2>
 * With prefix {@code concurrent_lock:} (or {@code <key_prefix>:concurrent_lock:}):
 * <ul>
 *   <li>{@code <prefix><id>:last_issued_ticket_number}: the counter. Cleanup does not delete it (it
 *       expires {@link RedisSettings#ticketCounterTtl()} after the last issue), so a conversation's
 *       ticket numbers keep growing across idle periods and can serve as fencing tokens.
 *   <li>{@code <prefix><id>:<number>}: one ticket, {@code {"number": n, "expires": t}}, with a
 *       relative TTL equal to its lifetime, so Redis itself removes an expired ticket.
 *   <li>{@code <prefix><id>:serving_floor}: Ticketgate's own index, outside the
 *       {@code <id>:<digits>} pattern Rasa reads: every ticket below it is known to be finished.
 * </ul>
 *
 * <h2>Cost</h2>
 * Whether ticket {@code n} is served is decided by one script that checks the tickets between the
 * floor and {@code n}; the numbers come from the shared counter, so no key is ever searched for
 * ({@code KEYS}/{@code SCAN} are never used) and the cost of an acquire or release does not grow with
 * the size of the database, only with the queue ahead. Tickets issued by a Rasa server sharing the
 * database count as well, since they take their numbers from the same counter.
 *
 * <p>Thread-safe; all operations are single atomic scripts or commands.
 */
public class ConcurrentRedisLockStore extends RedisBackedLockStore {

  /** Rasa's prefix for this layout. */
  public static final String DEFAULT_KEY_PREFIX = "concurrent_lock:";
  /** Suffix of the counter key, as Rasa names it. */
  public static final String LAST_ISSUED_SUFFIX = "last_issued_ticket_number";
  /** Suffix of Ticketgate's floor key. */
  public static final String FLOOR_SUFFIX = "serving_floor";

  /**
   * Where ticket {@code n} stands, given its key prefix {@code base} and the floor key: every ticket
   * between the floor and {@code n} is checked by number, none is searched for. Moves the floor up to
   * the first live ticket so the next look starts there. Returns {0} when served, else
   * {head, ahead, head's PTTL}.
   */
  private static final String LOOK = """
      local function look(base, n, floorKey, floorTtl)
        local floor = tonumber(redis.call('GET', floorKey) or '1') or 1
        if floor > n or floor < 1 then floor = 1 end
        local head = 0
        local ahead = 0
        for i = floor, n - 1 do
          if redis.call('EXISTS', base .. i) == 1 then
            if head == 0 then head = i end
            ahead = ahead + 1
          end
        end
        local newFloor = n
        if head > 0 then newFloor = head end
        if newFloor ~= floor then redis.call('SET', floorKey, newFloor, 'PX', floorTtl) end
        if head == 0 then return {0} end
        return {head, ahead, redis.call('PTTL', base .. head)}
      end
      """;

  /**
   * INCRs the counter, writes the ticket and looks where it stands, all in one step: no number is
   * issued without its key, and an uncontended turn costs one round trip to take.
   * Returns {n, look...}.
   */
  private static final RedisConnection.Script ISSUE = new RedisConnection.Script(LOOK + """
      local n = redis.call('INCR', KEYS[1])
      redis.call('PEXPIRE', KEYS[1], ARGV[4])
      redis.call('PEXPIRE', KEYS[2], ARGV[4])
      redis.call('SET', ARGV[1] .. n, '{"number": ' .. n .. ', "expires": ' .. ARGV[2] .. '}', 'PX', ARGV[3])
      local status = look(ARGV[1], n, KEYS[2], ARGV[4])
      table.insert(status, 1, n)
      return status
      """);

  /** Where ticket ARGV[2] stands: {-1} when gone, else as {@link #LOOK}. */
  private static final RedisConnection.Script STATUS = new RedisConnection.Script(LOOK + """
      if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
      return look(ARGV[1], tonumber(ARGV[2]), KEYS[2], ARGV[3])
      """);

  /** Deletes the ticket, raises the floor past it when it was the lowest, and signals whoever came after it. */
  private static final RedisConnection.Script RELEASE = new RedisConnection.Script("""
      local n = tonumber(ARGV[1])
      redis.call('DEL', KEYS[1])
      local floor = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
      if floor == n then redis.call('SET', KEYS[2], n + 1, 'PX', ARGV[4]) end
      local last = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
      if last > n then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
      return 1
      """);

  /** The live tickets' values from the floor to the last issued number. */
  private static final RedisConnection.Script LIVE = new RedisConnection.Script("""
      local last = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
      local floor = tonumber(redis.call('GET', KEYS[2]) or '1') or 1
      if floor > last + 1 or floor < 1 then floor = 1 end
      local out = {}
      for i = floor, last do
        local v = redis.call('GET', ARGV[1] .. i)
        if v then
          if ARGV[2] == 'delete' then redis.call('DEL', ARGV[1] .. i) end
          out[#out + 1] = v
        end
      end
      return out
      """);

  /** Raises the counter to at least ARGV[1], so a saved lock's numbers are never issued again. */
  private static final RedisConnection.Script RAISE_COUNTER = new RedisConnection.Script("""
      local last = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
      if last < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
      return 1
      """);

  private final String counterTtlMillis;

  /** Connects to Redis as {@code settings} say. */
  public ConcurrentRedisLockStore(RedisSettings settings, LockStoreOptions options) {
    super(settings, options, DEFAULT_KEY_PREFIX);
    this.counterTtlMillis = Long.toString(settings.ticketCounterTtl().toMillis());
  }

  /** Builds the store from a {@code lock_store:} section. */
  public ConcurrentRedisLockStore(Map<String, Object> section) {
    this(RedisLockStore.settingsOf(section, true), LockStores.options(section));
  }

  /** Everything before the ticket number in this conversation's keys: {@code <prefix><id>:}. */
  public String keyBase(String conversationId) {
    return keyPrefix + keyId(conversationId) + ":";
  }

  @Override
  String conversationOfKey(String keyWithoutPrefix) {
    int colon = keyWithoutPrefix.lastIndexOf(':');
    return colon <= 0 ? null : conversationOfKeyId(keyWithoutPrefix.substring(0, colon));
  }

  // ---------------------------------------------------------------- the three primitives

  @Override
  public Optional<TicketLock> getLock(String conversationId) {
    List<Ticket> tickets = live(conversationId, false, "read the lock");
    return tickets.isEmpty() ? Optional.empty() : Optional.of(new TicketLock(conversationId, tickets, clock()));
  }

  /**
   * Writes every ticket of {@code lock} with a TTL until its expiry and removes live tickets the lock
   * no longer holds. Not atomic as a whole; the gateway's hot path never uses it.
   */
  @Override
  public void saveLock(TicketLock lock) {
    String id = lock.conversationId();
    String base = keyBase(id);
    List<Ticket> before = live(id, false, "read the lock");
    long nowMillis = clock().millis();
    int highest = 0;
    for (Ticket t : before) {
      if (lock.ticketFor(t.number()) == null) {
        await(id, "save the lock", redis.async().del(base + t.number()));
      }
    }
    for (Ticket t : lock.tickets()) {
      long ttl = (long) Math.floor(t.expires() * 1000) - nowMillis;
      if (ttl > 0) {
        await(id, "save the lock", redis.async().set(base + t.number(), RasaJson.ticket(t), SetArgs.Builder.px(ttl)));
      }
      highest = Math.max(highest, t.number());
    }
    await(id, "save the lock", redis.<Long>eval(RAISE_COUNTER, ScriptOutputType.INTEGER,
        new String[] {base + LAST_ISSUED_SUFFIX}, Integer.toString(highest), counterTtlMillis));
    wakeWaiters(id);
  }

  /** Removes every ticket of the conversation; the counter stays, so numbers are never reused. */
  @Override
  public void deleteLock(String conversationId) {
    live(conversationId, true, "delete the lock");
    redis.async().publish(releaseChannel, conversationId);
    wakeWaiters(conversationId);
  }

  // ---------------------------------------------------------------- atomic operations

  @Override
  public int issueTicket(String conversationId, Duration lifetime) {
    return await(conversationId, "issue a ticket", issueTicketAsync(conversationId, lifetime));
  }

  @Override
  protected CompletionStage<Integer> issueTicketAsync(String conversationId, Duration lifetime) {
    return issueAndLookAsync(conversationId, lifetime).thenApply(Issued::ticket);
  }

  @Override
  protected CompletionStage<Issued> issueAndLookAsync(String conversationId, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    String base = keyBase(conversationId);
    double expires = clock().millis() / 1000.0 + lifetime.toMillis() / 1000.0;
    CompletionStage<List<Object>> reply = redis.eval(ISSUE, ScriptOutputType.MULTI,
        new String[] {base + LAST_ISSUED_SUFFIX, base + FLOOR_SUFFIX},
        base, RasaJson.pythonFloat(expires), Long.toString(Math.max(1, lifetime.toMillis())), counterTtlMillis);
    return guard(conversationId, "issue a ticket", reply.thenApply(r ->
        new Issued(Math.toIntExact((Long) r.get(0)), status(r.subList(1, r.size())))));
  }

  @Override
  public void finishServing(String conversationId, int ticket) {
    String base = keyBase(conversationId);
    await(conversationId, "finish serving ticket " + ticket, redis.<Long>eval(RELEASE, ScriptOutputType.INTEGER,
        new String[] {base + ticket, base + FLOOR_SUFFIX, base + LAST_ISSUED_SUFFIX},
        Integer.toString(ticket), releaseChannel, conversationId, counterTtlMillis));
    wakeWaiters(conversationId);
  }

  /** Same as {@link #finishServing}: tickets are separate keys, so there is no lock left to delete. */
  @Override
  public void cleanup(String conversationId, int ticket) {
    finishServing(conversationId, ticket);
  }

  @Override
  public boolean isSomeoneWaiting(String conversationId) {
    return !live(conversationId, false, "read the lock").isEmpty();
  }

  @Override
  public boolean renewTicket(String conversationId, int ticket, Duration lifetime) {
    return await(conversationId, "renew ticket " + ticket, renewTicketAsync(conversationId, ticket, lifetime));
  }

  @Override
  protected CompletionStage<Boolean> renewTicketAsync(String conversationId, int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    double expires = clock().millis() / 1000.0 + lifetime.toMillis() / 1000.0;
    // XX: renew only a ticket that still exists; an expired one must not come back to life.
    return guard(conversationId, "renew ticket " + ticket, redis.async()
        .set(keyBase(conversationId) + ticket, RasaJson.ticket(ticket, expires),
            SetArgs.Builder.xx().px(Math.max(1, lifetime.toMillis())))
        .thenApply("OK"::equals));
  }

  @Override
  public TicketStatus ticketStatus(String conversationId, int ticket) {
    return await(conversationId, "look up ticket " + ticket, ticketStatusAsync(conversationId, ticket));
  }

  @Override
  protected CompletionStage<TicketStatus> ticketStatusAsync(String conversationId, int ticket) {
    String base = keyBase(conversationId);
    CompletionStage<List<Object>> reply = redis.eval(STATUS, ScriptOutputType.MULTI,
        new String[] {base + ticket, base + FLOOR_SUFFIX}, base, Integer.toString(ticket), counterTtlMillis);
    return guard(conversationId, "look up ticket " + ticket, reply.thenApply(this::status));
  }

  /** Decodes a look: {-1} gone, {0} served, {head, ahead, head's PTTL} waiting. */
  private TicketStatus status(List<Object> r) {
    long code = (Long) r.get(0);
    if (code < 0) {
      return TicketStatus.gone();
    }
    if (code == 0) {
      return TicketStatus.served();
    }
    long pttl = (Long) r.get(2);
    long expiresAt = pttl > 0 ? clock().millis() + pttl : 0;
    return TicketStatus.waiting((int) code, ((Long) r.get(1)).intValue(), expiresAt);
  }

  private List<Ticket> live(String conversationId, boolean delete, String action) {
    String base = keyBase(conversationId);
    List<String> values = await(conversationId, action, redis.<List<String>>eval(LIVE, ScriptOutputType.MULTI,
        new String[] {base + LAST_ISSUED_SUFFIX, base + FLOOR_SUFFIX}, base, delete ? "delete" : "read"));
    List<Ticket> tickets = new ArrayList<>(values.size());
    double now = clock().millis() / 1000.0;
    for (String v : values) {
      Ticket t;
      try {
        t = RasaJson.parseTicket(v);
      } catch (IllegalArgumentException e) {
        throw new io.ticketgate.store.LockException(conversationId,
            "a ticket key under " + base + " does not hold a ticket: " + e.getMessage(), e);
      }
      if (!t.hasExpiredAt(now)) {
        tickets.add(t);
      }
    }
    return tickets;
  }

  @Override
  public String toString() {
    return "ConcurrentRedisLockStore{" + redis.describe() + ", prefix='" + keyPrefix + "'}";
  }
}
