package io.ticketgate.store.redis;

import static io.ticketgate.store.redis.ConcurrentRedisLockStore.ABSENT_SINCE_SUFFIX;
import static io.ticketgate.store.redis.ConcurrentRedisLockStore.FLOOR_SUFFIX;
import static io.ticketgate.store.redis.ConcurrentRedisLockStore.HIGH_WATER_SUFFIX;
import static io.ticketgate.store.redis.ConcurrentRedisLockStore.LAST_ISSUED_SUFFIX;
import static io.ticketgate.store.redis.ConcurrentRedisLockStore.PROGRESS_SUFFIX;

import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SetArgs;
import io.ticketgate.store.LockException;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.backend.Issued;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The backend of {@link ConcurrentRedisLockStore}: Rasa's concurrent layout, one key per ticket
 * (the keys are described on the store). Every step of a turn is one script, atomic and one round
 * trip; no script searches for keys ({@code KEYS}/{@code SCAN}): each checks the numbers between
 * the floor and the ticket, which the shared counter names.
 */
final class ConcurrentRedisBackend extends RedisBackend {

  /**
   * The names of a conversation's keys, from the two bases every step is given (ARGV[1], the
   * ticket keys' base, and ARGV[2], the base of Ticketgate's own keys): the client sends two short
   * strings instead of up to seven keys, which it would otherwise build and encode on every call.
   * KEYS[1] is the ticket or counter key the step is about, declared so that a cluster client
   * routes the step to the conversation's slot (every key of a conversation shares its hash tag).
   */
  private static final String KEY_NAMES = """
      local base, state = ARGV[1], ARGV[2]
      local counterKey, floorKey = base .. '%s', base .. '%s'
      local highWaterKey, absentKey, progressKey = state .. '%s', state .. '%s', state .. '%s'
      local function redisMillis()
        local t = redis.call('TIME')
        return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
      end
      local function num(v) return tonumber(v or '0') or 0 end
      """.formatted(LAST_ISSUED_SUFFIX, FLOOR_SUFFIX, HIGH_WATER_SUFFIX, ABSENT_SINCE_SUFFIX, PROGRESS_SUFFIX);

  /**
   * Whether number {@code i} holds up the numbers after it, and why: 0 when it does not; 1 when its
   * key holds a ticket whose {@code expires} has not passed ({@code nowSec}, the caller's clock,
   * which also wrote Ticketgate's expiries); 3 when its key holds something that is not a ticket
   * (it blocks, so that the caller reports it); 2 when its key is absent but it is in the absent
   * hash and its grace has not run out ({@code nowMs}, Redis's clock, the same for every replica).
   * Returns the kind and, for 1 and 3, the key's value, for 2 the milliseconds left of the grace.
   */
  private static final String BLOCKER = """
      local nowMs = nil
      local function blocker(i, nowSec, graceMs)
        local v = redis.call('GET', base .. i)
        if v then
          redis.call('HDEL', absentKey, i)
          local ok, t = pcall(cjson.decode, v)
          local expires = nil
          if ok and type(t) == 'table' then expires = tonumber(t['expires']) end
          if expires == nil then return 3, v end
          if expires >= nowSec then return 1, v end
          return 0, 0
        end
        local since = tonumber(redis.call('HGET', absentKey, i) or '')
        if since then
          nowMs = nowMs or redisMillis()
          if nowMs < since + graceMs then return 2, since + graceMs - nowMs end
          redis.call('HDEL', absentKey, i)
        end
        return 0, 0
      end
      """;

  /**
   * Where ticket {@code n} stands, from {@code floor} (the floor key's value, read by the caller
   * with whatever else it reads): every number between the floor and {@code n} is checked
   * ({@link #BLOCKER}), none is searched for. Moves the floor up to the first blocking number so
   * the next look starts there. Returns {0, progress} when served ({@code progress}: the progress
   * mark, or false when there is none, read by the caller with the floor), else {1, head, ahead,
   * head's kind, head's value or milliseconds until its grace runs out}.
   */
  private static final String LOOK = BLOCKER + """
      local function look(n, floor, floorTtl, nowSec, graceMs, progress)
        if floor > n or floor < 0 then floor = 0 end
        local head, ahead, headKind, headInfo = -1, 0, 0, 0
        for i = floor, n - 1 do
          local kind, info = blocker(i, nowSec, graceMs)
          if kind > 0 then
            if head < 0 then head, headKind, headInfo = i, kind, info end
            ahead = ahead + 1
          end
        end
        local newFloor = n
        if head >= 0 then newFloor = head end
        if newFloor ~= floor then redis.call('SET', floorKey, newFloor, 'PX', floorTtl) end
        if head >= 0 then return {1, head, ahead, headKind, headInfo} end
        return {0, progress}
      end
      """;

  /**
   * Tells the other processes who is served after a release that someone came after. When the
   * lowest blocking number ({@code head}, of {@link #BLOCKER}'s {@code kind}) is a live ticket, it
   * is served, and the message on the served channel names it with the progress mark it is served
   * with, so its waiter takes the turn without a look of its own. Anything else (a number in its
   * grace, a value that is not a ticket) goes out as a plain release message on the release
   * channel, and waiters look. {@code head} is -1 when nothing blocks: nobody is waiting. A:
   * ARGV[4] the channels' common beginning, ARGV[5] the conversation id.
   */
  private static final String ANNOUNCE = """
      local function announce(head, kind, progress)
        if kind == 1 then
          redis.call('PUBLISH', ARGV[4] .. 'served', cjson.encode({ARGV[5], head, progress}))
        elseif head >= 0 then
          redis.call('PUBLISH', ARGV[4] .. 'released', ARGV[5])
        end
      end
      """;

  /**
   * The lowest blocking number from {@code floor} up to {@code upTo} and its kind ({@link #BLOCKER}),
   * or -1; moves the floor up to it (past {@code upTo} when nothing blocks). The search stops at
   * {@code upTo}, the high-water mark: a number above it was taken by someone else after
   * Ticketgate's last issue and may not be written yet, so it must not be passed over before an
   * issue has noted it in the absent hash.
   */
  private static final String HEAD = """
      local function firstBlocking(floor, upTo, floorTtl, nowSec, graceMs)
        if floor < 0 or floor > upTo + 1 then floor = 0 end
        for i = floor, upTo do
          local kind = blocker(i, nowSec, graceMs)
          if kind > 0 then
            if i ~= floor then redis.call('SET', floorKey, i, 'PX', floorTtl) end
            return i, kind
          end
        end
        if upTo + 1 ~= floor then redis.call('SET', floorKey, upTo + 1, 'PX', floorTtl) end
        return -1, 0
      end
      """;

  /**
   * Takes the next number, writes its ticket and looks where it stands, all in one step: no number
   * of Ticketgate's is issued without its key, and an uncontended turn costs one round trip to take.
   * {@code hw}, {@code last}, {@code floor} and {@code progress} are the high-water mark, the
   * counter, the floor and the progress mark as the caller read them in this script;
   * {@code refreshFloor}, whether the floor key exists and its TTL was not just set: the floor must
   * outlive the counter, or a look would check every number from 0. A counter found below the high-water mark (a Rasa cleanup
   * deleted it; the floor went with it, so the look starts from 0) is raised to it first, and the
   * numbers others took since the last Ticketgate issue whose keys are absent (maybe not written
   * yet) are noted in the absent hash. The new number is the counter plus one, written with SET
   * rather than INCR: the script is atomic either way, and SET sets the TTL in the same command.
   * Returns {n, look...}.
   */
  private static final String ISSUE_FUNCTION = """
      local function issue(hw, last, floor, refreshFloor, expires, lifetimeMs, counterTtl, nowSec, graceMs, progress)
        local from = hw
        if last < hw then
          redis.call('DEL', floorKey)
          last, floor, refreshFloor, from = hw, 0, false, 0
        end
        if from < floor - 1 then from = floor - 1 end
        if from < last then
          local nowMs = string.format('%.0f', redisMillis())
          for i = from + 1, last do
            if redis.call('EXISTS', base .. i) == 0 then redis.call('HSETNX', absentKey, i, nowMs) end
          end
          redis.call('PEXPIRE', absentKey, counterTtl)
        end
        local n = last + 1
        redis.call('SET', counterKey, n, 'PX', counterTtl)
        if refreshFloor then redis.call('PEXPIRE', floorKey, counterTtl) end
        redis.call('SET', highWaterKey, n, 'PX', counterTtl)
        redis.call('SET', base .. n, '{"number": ' .. n .. ', "expires": ' .. expires .. '}', 'PX', lifetimeMs)
        local status = look(n, floor, counterTtl, nowSec, graceMs, progress)
        table.insert(status, 1, n)
        return status
      end
      """;

  /**
   * Deletes ticket {@code n}, raises the floor past it when it was the lowest, and tells whether
   * someone came after it (the high-water mark counts as well as the counter: a Rasa cleanup may
   * have deleted the counter). Returns that, and the high-water mark, counter, floor and progress
   * mark as they now stand and whether the floor's TTL wants refreshing (it exists and was not just
   * set), for a step that goes on in the same script.
   */
  private static final String GIVE_BACK = """
      local function giveBack(n, floorTtl)
        redis.call('DEL', base .. n)
        local v = redis.call('MGET', highWaterKey, counterKey, floorKey, progressKey)
        local hw, last, floor = num(v[1]), num(v[2]), num(v[3])
        local refreshFloor = v[3] ~= false
        if floor == n then
          floor, refreshFloor = n + 1, false
          redis.call('SET', floorKey, floor, 'PX', floorTtl)
        end
        return last > n or hw > n, hw, last, floor, refreshFloor, v[4]
      end
      """;

  /** Records the progress mark, unless it is ''. */
  private static final String RECORD = """
      local function record(progress, ttl)
        if progress ~= '' then redis.call('SET', progressKey, progress, 'PX', ttl) end
      end
      """;

  // The steps of a turn, one script each, carrying only the functions it calls: Redis runs a
  // script's body on every call, so a function defined and not used still costs each turn.

  /**
   * Issues a ticket ({@link #ISSUE_FUNCTION}). K: the counter. A: base, state base, expires,
   * lifetime ms, counter TTL ms, now (seconds), grace ms. Returns {n, look...}.
   */
  private static final RedisConnection.Script ISSUE = new RedisConnection.Script(KEY_NAMES + LOOK + ISSUE_FUNCTION
      + """
      local v = redis.call('MGET', highWaterKey, counterKey, floorKey, progressKey)
      return issue(num(v[1]), num(v[2]), num(v[3]), v[3] ~= false, ARGV[3], ARGV[4], ARGV[5], tonumber(ARGV[6]),
          tonumber(ARGV[7]), v[4])
      """);

  /**
   * Where ticket A[3] stands: {-1} when gone, else as {@link #LOOK}. K: the ticket. A: base, state
   * base, number, counter TTL ms, now (seconds), grace ms.
   */
  private static final RedisConnection.Script STATUS = new RedisConnection.Script(KEY_NAMES + LOOK + """
      if redis.call('EXISTS', KEYS[1]) == 0 then return {-1} end
      local v = redis.call('MGET', floorKey, progressKey)
      return look(tonumber(ARGV[3]), num(v[1]), ARGV[4], tonumber(ARGV[5]), tonumber(ARGV[6]), v[2])
      """);

  /**
   * Records the progress mark (when not ''), gives the ticket back and, when someone came after it,
   * tells the others who is served now ({@link #ANNOUNCE}). K: the ticket. A: base, state base,
   * number, channels' beginning, conversation id, counter TTL ms, progress, now (seconds), grace ms.
   * Returns {1}.
   */
  private static final RedisConnection.Script RELEASE = new RedisConnection.Script(KEY_NAMES + BLOCKER + HEAD
      + ANNOUNCE + GIVE_BACK + RECORD + """
      record(ARGV[7], ARGV[6])
      local after, hw, last, floor, refreshFloor, progress = giveBack(tonumber(ARGV[3]), ARGV[6])
      if after then
        local head, kind = firstBlocking(floor, hw, ARGV[6], tonumber(ARGV[8]), tonumber(ARGV[9]))
        announce(head, kind, progress)
      end
      return {1}
      """);

  /**
   * As {@link #RELEASE}, then looks where the caller's next ticket of the conversation stands, as
   * {@link #STATUS} would right after. When that ticket is served nobody else can be, so no release
   * message is published: the caller's own process serves it without a wake-up or a second look.
   * Otherwise the others are told who is ({@link #ANNOUNCE}): the head the look found, or, when the
   * caller's ticket is gone, the first blocking number. K: the ticket. A: base, state base, number,
   * channels' beginning, conversation id, counter TTL ms, next number, now (seconds), grace ms,
   * progress.
   */
  private static final RedisConnection.Script RELEASE_AND_LOOK = new RedisConnection.Script(KEY_NAMES + LOOK
      + HEAD + ANNOUNCE + GIVE_BACK + RECORD + """
      record(ARGV[10], ARGV[6])
      local after, hw, last, floor, refreshFloor, progress = giveBack(tonumber(ARGV[3]), ARGV[6])
      local status = {-1}
      if redis.call('EXISTS', base .. ARGV[7]) == 1 then
        status = look(tonumber(ARGV[7]), floor, ARGV[6], tonumber(ARGV[8]), tonumber(ARGV[9]), progress)
      end
      if after then
        if status[1] == 1 then
          announce(status[2], status[4], progress)
        elseif status[1] < 0 then
          local head, kind = firstBlocking(floor, hw, ARGV[6], tonumber(ARGV[8]), tonumber(ARGV[9]))
          announce(head, kind, progress)
        end
      end
      return status
      """);

  /**
   * As {@link #RELEASE}, then issues the caller's next ticket of the conversation, as
   * {@link #ISSUE} would right after: a turn queued behind the released one in the same process.
   * Announces who is served ({@link #ANNOUNCE}) only when someone came after the old ticket and the
   * new one is not served (then someone else is ahead of it, and may be waiting in another
   * process): the head the new ticket's look found. K: the ticket. A: base, state base, number,
   * channels' beginning, conversation id, counter TTL ms, expires, lifetime ms, now (seconds),
   * grace ms, progress. Returns {n, look...}.
   */
  private static final RedisConnection.Script RELEASE_AND_ISSUE = new RedisConnection.Script(KEY_NAMES + LOOK
      + ANNOUNCE + GIVE_BACK + ISSUE_FUNCTION + RECORD + """
      record(ARGV[11], ARGV[6])
      local after, hw, last, floor, refreshFloor, progress = giveBack(tonumber(ARGV[3]), ARGV[6])
      local status = issue(hw, last, floor, refreshFloor, ARGV[7], ARGV[8], ARGV[6], tonumber(ARGV[9]),
          tonumber(ARGV[10]), progress)
      if after and status[2] ~= 0 then announce(status[3], status[5], progress) end
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

  private final Clock clock;
  private final String counterTtlMillis;
  private final String graceMillis;
  /** Everything before the conversation id in Ticketgate's own keys. */
  private final String statePrefix;

  ConcurrentRedisBackend(RedisSettings settings, Clock clock) {
    super(settings, ConcurrentRedisLockStore.DEFAULT_KEY_PREFIX);
    this.clock = clock;
    this.counterTtlMillis = Long.toString(settings.ticketCounterTtl().toMillis());
    this.graceMillis = Long.toString(Math.max(1, settings.absentTicketGrace().toMillis()));
    this.statePrefix = (settings.keyPrefix() == null ? "" : settings.keyPrefix() + ":")
        + ConcurrentRedisLockStore.STATE_KEY_PREFIX;
  }

  /** Everything before the ticket number in this conversation's keys: {@code <prefix><id>:}. */
  String keyBase(String conversationId) {
    return keyPrefix + keyId(conversationId) + ":";
  }

  /** Everything before the suffix in Ticketgate's own keys of this conversation. */
  String stateBase(String conversationId) {
    return statePrefix + keyId(conversationId) + ":";
  }

  @Override
  String conversationOfKey(String keyWithoutPrefix) {
    int colon = keyWithoutPrefix.lastIndexOf(':');
    return colon <= 0 ? null : conversationOfKeyId(keyWithoutPrefix.substring(0, colon));
  }

  // ---------------------------------------------------------------- the steps of a turn

  /** Numbers come from the counter's increments, and the high-water mark keeps them growing after a Rasa cleanup. */
  @Override
  public boolean numbersNeverReused() {
    return true;
  }

  @Override
  public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
    String base = keyBase(conversationId);
    long nowMillis = clock.millis();
    double expires = nowMillis / 1000.0 + lifetime.toMillis() / 1000.0;
    CompletionStage<Object> reply = run(ISSUE, base + LAST_ISSUED_SUFFIX,
        base, stateBase(conversationId), RasaJson.pythonFloat(expires), Long.toString(Math.max(1, lifetime.toMillis())),
        counterTtlMillis, RasaJson.pythonFloat(nowMillis / 1000.0), graceMillis);
    return guard(conversationId, "issue a ticket", reply.thenApply(r -> issued(conversationId, list(r))));
  }

  /** Decodes an issue: {n, look...}. */
  private Issued issued(String conversationId, List<Object> r) {
    return new Issued(Math.toIntExact((Long) r.get(0)), status(conversationId, r.subList(1, r.size())));
  }

  @Override
  public CompletionStage<TicketStatus> look(String conversationId, int ticket) {
    String base = keyBase(conversationId);
    String number = Integer.toString(ticket);
    CompletionStage<Object> reply = run(STATUS, base + number,
        base, stateBase(conversationId), number, counterTtlMillis, RasaJson.pythonFloat(clock.millis() / 1000.0),
        graceMillis);
    return guard(conversationId, "look up ticket " + ticket, reply.thenApply(r -> status(conversationId, list(r))));
  }

  @Override
  public CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime) {
    double expires = clock.millis() / 1000.0 + lifetime.toMillis() / 1000.0;
    // XX: renew only a ticket that still exists; an expired one must not come back to life.
    return guard(conversationId, "renew ticket " + ticket, redis.async()
        .set(keyBase(conversationId) + ticket, RasaJson.ticket(ticket, expires),
            SetArgs.Builder.xx().px(Math.max(1, lifetime.toMillis())))
        .thenApply("OK"::equals));
  }

  /** Tickets are separate keys, so there is no lock left to delete once the last one is gone. */
  @Override
  public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
    String base = keyBase(conversationId);
    String number = Integer.toString(ticket);
    CompletionStage<Object> reply = run(RELEASE, base + number,
        base, stateBase(conversationId), number, channelBase, conversationId, counterTtlMillis, orEmpty(progress),
        RasaJson.pythonFloat(clock.millis() / 1000.0), graceMillis);
    return guard(conversationId, "finish serving ticket " + ticket, reply.thenApply(r -> null));
  }

  @Override
  public CompletionStage<TicketStatus> releaseAndLook(String conversationId, int ticket, int successor,
      String progress) {
    String base = keyBase(conversationId);
    String number = Integer.toString(ticket);
    CompletionStage<Object> reply = run(RELEASE_AND_LOOK, base + number,
        base, stateBase(conversationId), number, channelBase, conversationId, counterTtlMillis,
        Integer.toString(successor), RasaJson.pythonFloat(clock.millis() / 1000.0), graceMillis, orEmpty(progress));
    return guard(conversationId, "finish serving ticket " + ticket, reply.thenApply(r -> {
      try {
        return status(conversationId, list(r));
      } catch (LockException e) {
        // The ticket is back; what stands ahead is not a ticket. The successor's own look reports it.
        return null;
      }
    }));
  }

  @Override
  public CompletionStage<Issued> releaseAndIssue(String conversationId, int ticket, Duration lifetime,
      String progress) {
    String base = keyBase(conversationId);
    String number = Integer.toString(ticket);
    long nowMillis = clock.millis();
    double expires = nowMillis / 1000.0 + lifetime.toMillis() / 1000.0;
    CompletionStage<Object> reply = run(RELEASE_AND_ISSUE, base + number,
        base, stateBase(conversationId), number, channelBase, conversationId, counterTtlMillis,
        RasaJson.pythonFloat(expires), Long.toString(Math.max(1, lifetime.toMillis())),
        RasaJson.pythonFloat(nowMillis / 1000.0), graceMillis, orEmpty(progress));
    return guard(conversationId, "finish serving ticket " + ticket + " and issue the next",
        reply.thenApply(r -> issued(conversationId, list(r))));
  }

  /** Runs one step, declaring {@code key} (the ticket or counter the step is about) for cluster routing. */
  private CompletionStage<Object> run(RedisConnection.Script step, String key, String... args) {
    return redis.eval(step, ScriptOutputType.MULTI, new String[] {key}, args);
  }

  // ---------------------------------------------------------------- whole locks

  @Override
  public CompletionStage<Optional<TicketLock>> read(String conversationId) {
    return live(conversationId, false, "read the lock").thenApply(tickets -> tickets.isEmpty()
        ? Optional.empty() : Optional.of(new TicketLock(conversationId, tickets, clock)));
  }

  /**
   * Writes every ticket of {@code lock} with a TTL until its expiry, removes live tickets the lock
   * no longer holds, and raises the counter past the highest number. Not atomic as a whole; turns
   * never use it.
   */
  @Override
  public CompletionStage<Void> write(TicketLock lock) {
    String id = lock.conversationId();
    String base = keyBase(id);
    return live(id, false, "read the lock").thenCompose(before -> {
      long nowMillis = clock.millis();
      List<CompletableFuture<?>> writes = new ArrayList<>();
      int highest = 0;
      for (Ticket t : before) {
        if (lock.ticketFor(t.number()) == null) {
          writes.add(redis.async().del(base + t.number()).toCompletableFuture());
        }
      }
      for (Ticket t : lock.tickets()) {
        long ttl = (long) Math.floor(t.expires() * 1000) - nowMillis;
        if (ttl > 0) {
          writes.add(redis.async().set(base + t.number(), RasaJson.ticket(t), SetArgs.Builder.px(ttl))
              .toCompletableFuture());
        }
        highest = Math.max(highest, t.number());
      }
      writes.add(redis.<Long>eval(RAISE_COUNTER, ScriptOutputType.INTEGER,
          new String[] {base + LAST_ISSUED_SUFFIX, stateBase(id) + HIGH_WATER_SUFFIX}, Integer.toString(highest),
          counterTtlMillis).toCompletableFuture());
      return guard(id, "save the lock", CompletableFuture.allOf(writes.toArray(CompletableFuture[]::new)));
    });
  }

  /** Removes every ticket of the conversation; the counter stays, so numbers are never reused. */
  @Override
  public CompletionStage<Void> delete(String conversationId) {
    return live(conversationId, true, "delete the lock")
        .thenCompose(deleted -> guard(conversationId, "announce the deletion",
            redis.async().publish(releaseChannel, conversationId)))
        .thenApply(n -> null);
  }

  /** A progress mark as the scripts take it: '' records nothing. */
  private static String orEmpty(String progress) {
    return progress == null ? "" : progress;
  }

  @SuppressWarnings("unchecked")
  private static List<Object> list(Object reply) {
    return (List<Object>) reply;
  }

  /**
   * Decodes a look: {-1} gone, {0, progress mark or nil} served, {1, head, ahead, 1 or 3, head's
   * value} or {1, head, ahead, 2, ms left of its grace} waiting. The head's expiry is the instant its value
   * names, not its key's TTL: a Rasa server's ticket key lives for decades after its ticket expired.
   */
  private TicketStatus status(String conversationId, List<Object> r) {
    long code = (Long) r.get(0);
    if (code < 0) {
      return TicketStatus.gone();
    }
    if (code == 0) {
      return TicketStatus.served(r.size() > 1 ? (String) r.get(1) : null);
    }
    int head = Math.toIntExact((Long) r.get(1));
    int ahead = Math.toIntExact((Long) r.get(2));
    long kind = (Long) r.get(3);
    long expiresAt;
    if (kind == 2) {
      expiresAt = clock.millis() + (Long) r.get(4);
    } else {
      Ticket t = parse(conversationId, (String) r.get(4)); // kind 3, not a ticket, fails here
      expiresAt = (long) Math.ceil(t.expires() * 1000);
    }
    return TicketStatus.waiting(head, ahead, expiresAt);
  }

  private Ticket parse(String conversationId, String value) {
    try {
      return RasaJson.parseTicket(value);
    } catch (IllegalArgumentException e) {
      throw new LockException(conversationId,
          "a ticket key under " + keyBase(conversationId) + " does not hold a ticket: " + e.getMessage(), e);
    }
  }

  /** The live tickets from the floor to the last issued number; with {@code delete}, deleted as they are read. */
  private CompletionStage<List<Ticket>> live(String conversationId, boolean delete, String action) {
    String base = keyBase(conversationId);
    CompletionStage<List<String>> reply = redis.eval(LIVE, ScriptOutputType.MULTI,
        new String[] {base + LAST_ISSUED_SUFFIX, base + FLOOR_SUFFIX, stateBase(conversationId) + HIGH_WATER_SUFFIX},
        base, delete ? "delete" : "read");
    return guard(conversationId, action, reply.thenApply(values -> {
      List<Ticket> tickets = new ArrayList<>(values.size());
      double now = clock.millis() / 1000.0;
      for (String v : values) {
        Ticket t = parse(conversationId, v);
        if (!t.hasExpiredAt(now)) {
          tickets.add(t);
        }
      }
      return tickets;
    }));
  }
}
