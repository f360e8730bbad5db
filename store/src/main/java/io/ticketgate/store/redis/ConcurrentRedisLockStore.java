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
 *   <li>{@code <prefix><id>:last_issued_ticket_number}: the counter, Rasa's. It expires
 *       {@link RedisSettings#ticketCounterTtl()} after the last issue, and a Rasa server's cleanup
 *       deletes it with every other key under {@code <prefix><id>:}.
 *   <li>{@code <prefix><id>:<number>}: one ticket, {@code {"number": n, "expires": t}}. Ticketgate
 *       gives it a relative TTL equal to its lifetime; a Rasa server gives it {@code EX int(expires)},
 *       an absolute epoch used as a relative TTL, so its key outlives the ticket by decades. Only the
 *       value's {@code expires} decides whether a ticket still holds its place.
 *   <li>{@code <prefix><id>:serving_floor}: Ticketgate's index, outside the {@code <id>:<digits>}
 *       pattern Rasa reads: every ticket below it is known to be finished.
 * </ul>
 * And outside that prefix, so a Rasa server's cleanup leaves them alone
 * ({@code concurrent_lock_ticketgate:}, a name no Rasa key can start with since Rasa's
 * {@code key_prefix} is alphanumeric):
 * <ul>
 *   <li>{@code ...<id>:high_water}: the highest number Ticketgate issued or saved. When the counter
 *       is found below it (deleted by Rasa's cleanup, or expired), the counter is raised to it
 *       before the next {@code INCR}, so Ticketgate's numbers keep growing and can serve as fencing
 *       tokens.
 *   <li>{@code ...<id>:absent_since}: a hash from a number someone else took (a Rasa server
 *       {@code INCR}s and then {@code SET}s its key in a second command) whose key was absent when a
 *       Ticketgate replica first noticed the number, to that instant by Redis's clock. Such a
 *       number blocks later tickets until its key appears, or for
 *       {@link RedisSettings#absentTicketGrace()} from that instant, after which it counts as
 *       abandoned. Ticketgate's own numbers never go in: it writes a ticket in the same script as
 *       its {@code INCR}.
 * </ul>
 * In cluster mode every key of a conversation carries the conversation's hash tag, so all of them
 * share a slot and each operation stays a single-slot script.
 *
 * <h2>Cost</h2>
 * Whether ticket {@code n} is served is decided by one script that checks the tickets between the
 * floor and {@code n}; the numbers come from the shared counter, so no key is ever searched for
 * ({@code KEYS}/{@code SCAN} are never used) and the cost of an acquire or release does not grow with
 * the size of the database, only with the queue ahead. Tickets issued by a Rasa server sharing the
 * database count as well, since they take their numbers from the same counter. After a Rasa cleanup
 * deleted the floor, the first look checks the numbers from 0 up once.
 *
 * <p>Thread-safe; all operations are single atomic scripts or commands.
 */
public class ConcurrentRedisLockStore extends RedisBackedLockStore {

  /** Rasa's prefix for this layout. */
  public static final String DEFAULT_KEY_PREFIX = "concurrent_lock:";
  /** Prefix of Ticketgate's own per-conversation keys, outside everything Rasa reads or deletes. */
  public static final String STATE_KEY_PREFIX = "concurrent_lock_ticketgate:";
  /** Suffix of the counter key, as Rasa names it. */
  public static final String LAST_ISSUED_SUFFIX = "last_issued_ticket_number";
  /** Suffix of Ticketgate's floor key. */
  public static final String FLOOR_SUFFIX = "serving_floor";
  /** Suffix of Ticketgate's high-water mark, under {@link #STATE_KEY_PREFIX}. */
  public static final String HIGH_WATER_SUFFIX = "high_water";
  /** Suffix of Ticketgate's hash of absent numbers, under {@link #STATE_KEY_PREFIX}. */
  public static final String ABSENT_SINCE_SUFFIX = "absent_since";

  /**
   * Where ticket {@code n} stands, given its key prefix {@code base}: every number between the floor
   * and {@code n} is checked, none is searched for. A number blocks when its ticket's {@code expires}
   * has not passed ({@code nowSec}, the caller's clock, which also wrote Ticketgate's expiries), or
   * when its key is absent but it is in the absent hash and its grace has not run out
   * ({@code nowMs}, Redis's clock, the same for every replica). A value that is not a ticket blocks,
   * so that the caller reports it. Moves the floor up to the first blocking number so the next look
   * starts there. Returns {0} when served, else {1, head, ahead, 1, head's value} or
   * {1, head, ahead, 2, milliseconds until the head's grace runs out}.
   */
  private static final String LOOK = """
      local function redisMillis()
        local t = redis.call('TIME')
        return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      end
      local function look(base, n, floorKey, floorTtl, absentKey, nowSec, graceMs)
        local floor = tonumber(redis.call('GET', floorKey) or '0') or 0
        if floor > n or floor < 0 then floor = 0 end
        local head, ahead, headKind, headInfo = -1, 0, 0, 0
        local nowMs = nil
        for i = floor, n - 1 do
          local kind, info = 0, 0
          local v = redis.call('GET', base .. i)
          if v then
            redis.call('HDEL', absentKey, i)
            local ok, t = pcall(cjson.decode, v)
            local expires = nil
            if ok and type(t) == 'table' then expires = tonumber(t['expires']) end
            if expires == nil or expires >= nowSec then kind, info = 1, v end
          else
            local since = tonumber(redis.call('HGET', absentKey, i) or '')
            if since then
              nowMs = nowMs or redisMillis()
              if nowMs < since + graceMs then
                kind, info = 2, since + graceMs - nowMs
              else
                redis.call('HDEL', absentKey, i)
              end
            end
          end
          if kind > 0 then
            if head < 0 then head, headKind, headInfo = i, kind, info end
            ahead = ahead + 1
          end
        end
        local newFloor = n
        if head >= 0 then newFloor = head end
        if newFloor ~= floor then redis.call('SET', floorKey, newFloor, 'PX', floorTtl) end
        if head < 0 then return {0} end
        return {1, head, ahead, headKind, headInfo}
      end
      """;

  /**
   * INCRs the counter, writes the ticket and looks where it stands, all in one step: no number of
   * Ticketgate's is issued without its key, and an uncontended turn costs one round trip to take.
   * Before the INCR: raises a counter found below the high-water mark (a Rasa cleanup deleted it;
   * the floor went with it, so the look starts from 0), and notes the numbers others took since the
   * last Ticketgate issue whose keys are absent (maybe not written yet) in the absent hash.
   * KEYS: counter, floor, high water, absent hash. ARGV: base, expires, lifetime ms, counter TTL ms,
   * now (seconds), grace ms. Returns {n, look...}.
   */
  private static final String ISSUE_FUNCTION = """
      local function issue(counterKey, floorKey, highWaterKey, absentKey, base, expires, lifetimeMs, counterTtl,
          nowSec, graceMs)
        local hw = tonumber(redis.call('GET', highWaterKey) or '0') or 0
        local last = tonumber(redis.call('GET', counterKey) or '0') or 0
        local from = hw
        if last < hw then
          redis.call('SET', counterKey, hw)
          redis.call('DEL', floorKey)
          from = 0
        end
        local floor = tonumber(redis.call('GET', floorKey) or '0') or 0
        if from < floor - 1 then from = floor - 1 end
        if from < last then
          local nowMs = string.format('%.0f', redisMillis())
          for i = from + 1, last do
            if redis.call('EXISTS', base .. i) == 0 then redis.call('HSETNX', absentKey, i, nowMs) end
          end
          redis.call('PEXPIRE', absentKey, counterTtl)
        end
        local n = redis.call('INCR', counterKey)
        redis.call('PEXPIRE', counterKey, counterTtl)
        redis.call('PEXPIRE', floorKey, counterTtl)
        redis.call('SET', highWaterKey, n, 'PX', counterTtl)
        redis.call('SET', base .. n, '{"number": ' .. n .. ', "expires": ' .. expires .. '}', 'PX', lifetimeMs)
        local status = look(base, n, floorKey, counterTtl, absentKey, nowSec, graceMs)
        table.insert(status, 1, n)
        return status
      end
      """;

  /**
   * INCRs the counter, writes the ticket and looks where it stands, all in one step: no number of
   * Ticketgate's is issued without its key, and an uncontended turn costs one round trip to take.
   * Before the INCR: raises a counter found below the high-water mark (a Rasa cleanup deleted it;
   * the floor went with it, so the look starts from 0), and notes the numbers others took since the
   * last Ticketgate issue whose keys are absent (maybe not written yet) in the absent hash.
   * KEYS: counter, floor, high water, absent hash. ARGV: base, expires, lifetime ms, counter TTL ms,
   * now (seconds), grace ms. Returns {n, look...}.
   */
  private static final RedisConnection.Script ISSUE = new RedisConnection.Script(LOOK + ISSUE_FUNCTION + """
      return issue(KEYS[1], KEYS[2], KEYS[3], KEYS[4], ARGV[1], ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5]),
          tonumber(ARGV[6]))
      """);

  /**
   * Where ticket ARGV[2] stands: {-1} when gone, else as {@link #LOOK}.
   * KEYS: the ticket, floor, absent hash. ARGV: base, number, counter TTL ms, now (seconds), grace ms.
   */
  private static final RedisConnection.Script STATUS = new RedisConnection.Script(LOOK + """
      if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
      return look(ARGV[1], tonumber(ARGV[2]), KEYS[2], ARGV[3], KEYS[3], tonumber(ARGV[4]), tonumber(ARGV[5]))
      """);

  /**
   * Deletes ticket {@code n}, raises the floor past it when it was the lowest, and tells whether
   * someone came after it. The high-water mark counts as well as the counter: a Rasa cleanup may
   * have deleted the counter.
   */
  private static final String GIVE_BACK = """
      local function giveBack(ticketKey, n, floorKey, counterKey, highWaterKey, floorTtl)
        redis.call('DEL', ticketKey)
        local floor = tonumber(redis.call('GET', floorKey) or '0') or 0
        if floor == n then redis.call('SET', floorKey, n + 1, 'PX', floorTtl) end
        local last = tonumber(redis.call('GET', counterKey) or '0') or 0
        local hw = tonumber(redis.call('GET', highWaterKey) or '0') or 0
        return last > n or hw > n
      end
      """;

  /**
   * Gives the ticket back and signals whoever came after it.
   * KEYS: the ticket, floor, counter, high water. ARGV: number, channel, message, counter TTL ms.
   */
  private static final RedisConnection.Script RELEASE = new RedisConnection.Script(GIVE_BACK + """
      if giveBack(KEYS[1], tonumber(ARGV[1]), KEYS[2], KEYS[3], KEYS[4], ARGV[4]) then
        redis.call('PUBLISH', ARGV[2], ARGV[3])
      end
      return 1
      """);

  /**
   * Gives the ticket back and looks where the caller's next ticket of the conversation stands, as
   * {@link #STATUS} would right after. When that ticket is served nobody else can be, so no release
   * message is published: the caller's own process serves it without a wake-up or a second look.
   * KEYS: the ticket, floor, counter, high water, the next ticket, absent hash. ARGV: number,
   * channel, message, counter TTL ms, base, next number, now (seconds), grace ms.
   */
  private static final RedisConnection.Script RELEASE_AND_LOOK = new RedisConnection.Script(LOOK + GIVE_BACK + """
      local after = giveBack(KEYS[1], tonumber(ARGV[1]), KEYS[2], KEYS[3], KEYS[4], ARGV[4])
      local status = {-1}
      if redis.call('EXISTS', KEYS[5]) == 1 then
        status = look(ARGV[5], tonumber(ARGV[6]), KEYS[2], ARGV[4], KEYS[6], tonumber(ARGV[7]), tonumber(ARGV[8]))
      end
      if after and status[1] ~= 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
      return status
      """);

  /**
   * Gives the ticket back and issues the caller's next ticket of the conversation, as {@link #ISSUE}
   * would right after: a turn queued behind the released one in the same process. Publishes the
   * release only when someone came after the old ticket and the new one is not served (then
   * someone else is ahead of it, and may be waiting in another process).
   * KEYS: the ticket, floor, counter, high water, absent hash. ARGV: number, channel, message,
   * counter TTL ms, base, expires, lifetime ms, now (seconds), grace ms. Returns {n, look...}.
   */
  private static final RedisConnection.Script RELEASE_AND_ISSUE = new RedisConnection.Script(LOOK + GIVE_BACK
      + ISSUE_FUNCTION + """
      local after = giveBack(KEYS[1], tonumber(ARGV[1]), KEYS[2], KEYS[3], KEYS[4], ARGV[4])
      local status = issue(KEYS[3], KEYS[2], KEYS[4], KEYS[5], ARGV[5], ARGV[6], ARGV[7], ARGV[4], tonumber(ARGV[8]),
          tonumber(ARGV[9]))
      if after and status[2] ~= 0 then redis.call('PUBLISH', ARGV[2], ARGV[3]) end
      return status
      """);

  /** The ticket values from the floor (0 when unknown: a saved lock may hold ticket 0) to the last issued number. */
  private static final RedisConnection.Script LIVE = new RedisConnection.Script("""
      local last = tonumber(redis.call('GET', KEYS[1]) or '0') or 0
      local hw = tonumber(redis.call('GET', KEYS[3]) or '0') or 0
      if hw > last then last = hw end
      local floor = tonumber(redis.call('GET', KEYS[2]) or '0') or 0
      if floor > last + 1 or floor < 0 then floor = 0 end
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

  /** Raises the counter and the high-water mark to at least ARGV[1], so a saved lock's numbers are never issued again. */
  private static final RedisConnection.Script RAISE_COUNTER = new RedisConnection.Script("""
      for _, key in ipairs(KEYS) do
        local last = tonumber(redis.call('GET', key) or '0') or 0
        if last < tonumber(ARGV[1]) then redis.call('SET', key, ARGV[1], 'PX', ARGV[2]) end
      end
      return 1
      """);

  private final String counterTtlMillis;
  private final String graceMillis;
  /** Everything before the conversation id in Ticketgate's own keys. */
  private final String statePrefix;

  /** Connects to Redis as {@code settings} say. */
  public ConcurrentRedisLockStore(RedisSettings settings, LockStoreOptions options) {
    super(settings, options, DEFAULT_KEY_PREFIX);
    this.counterTtlMillis = Long.toString(settings.ticketCounterTtl().toMillis());
    this.graceMillis = Long.toString(Math.max(1, settings.absentTicketGrace().toMillis()));
    this.statePrefix = (settings.keyPrefix() == null ? "" : settings.keyPrefix() + ":") + STATE_KEY_PREFIX;
  }

  /** Builds the store from a {@code lock_store:} section. */
  public ConcurrentRedisLockStore(Map<String, Object> section) {
    this(RedisLockStore.settingsOf(section, true), LockStores.options(section));
  }

  /** Everything before the ticket number in this conversation's keys: {@code <prefix><id>:}. */
  public String keyBase(String conversationId) {
    return keyPrefix + keyId(conversationId) + ":";
  }

  /**
   * Everything before the suffix in Ticketgate's own keys of this conversation,
   * {@code [<key_prefix>:]concurrent_lock_ticketgate:<id>:}: outside {@link #keyBase}, which a Rasa
   * server's cleanup empties, and with the same hash tag in cluster mode.
   */
  public String stateBase(String conversationId) {
    return statePrefix + keyId(conversationId) + ":";
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
        new String[] {base + LAST_ISSUED_SUFFIX, stateBase(id) + HIGH_WATER_SUFFIX}, Integer.toString(highest),
        counterTtlMillis));
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
    String state = stateBase(conversationId);
    long nowMillis = clock().millis();
    double expires = nowMillis / 1000.0 + lifetime.toMillis() / 1000.0;
    CompletionStage<List<Object>> reply = redis.eval(ISSUE, ScriptOutputType.MULTI,
        new String[] {base + LAST_ISSUED_SUFFIX, base + FLOOR_SUFFIX, state + HIGH_WATER_SUFFIX,
            state + ABSENT_SINCE_SUFFIX},
        base, RasaJson.pythonFloat(expires), Long.toString(Math.max(1, lifetime.toMillis())), counterTtlMillis,
        RasaJson.pythonFloat(nowMillis / 1000.0), graceMillis);
    return guard(conversationId, "issue a ticket", reply.thenApply(r -> issued(conversationId, r)));
  }

  /** Decodes an issue: {n, look...}. */
  private Issued issued(String conversationId, List<Object> r) {
    return new Issued(Math.toIntExact((Long) r.get(0)), status(conversationId, r.subList(1, r.size())));
  }

  @Override
  public void finishServing(String conversationId, int ticket) {
    String base = keyBase(conversationId);
    await(conversationId, "finish serving ticket " + ticket, redis.<Long>eval(RELEASE, ScriptOutputType.INTEGER,
        new String[] {base + ticket, base + FLOOR_SUFFIX, base + LAST_ISSUED_SUFFIX,
            stateBase(conversationId) + HIGH_WATER_SUFFIX},
        Integer.toString(ticket), releaseChannel, conversationId, counterTtlMillis));
    wakeWaiters(conversationId);
  }

  @Override
  protected TicketStatus releaseAndLook(String conversationId, int ticket, int successor) {
    String base = keyBase(conversationId);
    String state = stateBase(conversationId);
    List<Object> reply = await(conversationId, "finish serving ticket " + ticket, redis.<List<Object>>eval(
        RELEASE_AND_LOOK, ScriptOutputType.MULTI,
        new String[] {base + ticket, base + FLOOR_SUFFIX, base + LAST_ISSUED_SUFFIX, state + HIGH_WATER_SUFFIX,
            base + successor, state + ABSENT_SINCE_SUFFIX},
        Integer.toString(ticket), releaseChannel, conversationId, counterTtlMillis, base, Integer.toString(successor),
        RasaJson.pythonFloat(clock().millis() / 1000.0), graceMillis));
    try {
      return status(conversationId, reply);
    } catch (io.ticketgate.store.LockException e) {
      // The ticket is back; what stands ahead is not a ticket. The successor's own look reports it.
      wakeWaiters(conversationId);
      return null;
    }
  }

  @Override
  protected Issued releaseAndIssue(String conversationId, int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    String base = keyBase(conversationId);
    String state = stateBase(conversationId);
    long nowMillis = clock().millis();
    double expires = nowMillis / 1000.0 + lifetime.toMillis() / 1000.0;
    List<Object> reply = await(conversationId, "finish serving ticket " + ticket + " and issue the next",
        redis.<List<Object>>eval(RELEASE_AND_ISSUE, ScriptOutputType.MULTI,
            new String[] {base + ticket, base + FLOOR_SUFFIX, base + LAST_ISSUED_SUFFIX, state + HIGH_WATER_SUFFIX,
                state + ABSENT_SINCE_SUFFIX},
            Integer.toString(ticket), releaseChannel, conversationId, counterTtlMillis, base,
            RasaJson.pythonFloat(expires), Long.toString(Math.max(1, lifetime.toMillis())),
            RasaJson.pythonFloat(nowMillis / 1000.0), graceMillis));
    return issued(conversationId, reply);
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
        new String[] {base + ticket, base + FLOOR_SUFFIX, stateBase(conversationId) + ABSENT_SINCE_SUFFIX},
        base, Integer.toString(ticket), counterTtlMillis, RasaJson.pythonFloat(clock().millis() / 1000.0),
        graceMillis);
    return guard(conversationId, "look up ticket " + ticket, reply.thenApply(r -> status(conversationId, r)));
  }

  /**
   * Decodes a look: {-1} gone, {0} served, {1, head, ahead, 1, head's value} or
   * {1, head, ahead, 2, ms left of its grace} waiting. The head's expiry is the instant its value
   * names, not its key's TTL: a Rasa server's ticket key lives for decades after its ticket expired.
   */
  private TicketStatus status(String conversationId, List<Object> r) {
    long code = (Long) r.get(0);
    if (code < 0) {
      return TicketStatus.gone();
    }
    if (code == 0) {
      return TicketStatus.served();
    }
    int head = Math.toIntExact((Long) r.get(1));
    int ahead = Math.toIntExact((Long) r.get(2));
    long kind = (Long) r.get(3);
    long expiresAt;
    if (kind == 1) {
      Ticket t = parse(conversationId, (String) r.get(4));
      expiresAt = (long) Math.ceil(t.expires() * 1000);
    } else {
      expiresAt = clock().millis() + (Long) r.get(4);
    }
    return TicketStatus.waiting(head, ahead, expiresAt);
  }

  private Ticket parse(String conversationId, String value) {
    try {
      return RasaJson.parseTicket(value);
    } catch (IllegalArgumentException e) {
      throw new io.ticketgate.store.LockException(conversationId,
          "a ticket key under " + keyBase(conversationId) + " does not hold a ticket: " + e.getMessage(), e);
    }
  }

  private List<Ticket> live(String conversationId, boolean delete, String action) {
    String base = keyBase(conversationId);
    List<String> values = await(conversationId, action, redis.<List<String>>eval(LIVE, ScriptOutputType.MULTI,
        new String[] {base + LAST_ISSUED_SUFFIX, base + FLOOR_SUFFIX, stateBase(conversationId) + HIGH_WATER_SUFFIX},
        base, delete ? "delete" : "read"));
    List<Ticket> tickets = new ArrayList<>(values.size());
    double now = clock().millis() / 1000.0;
    for (String v : values) {
      Ticket t = parse(conversationId, v);
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
