package io.ticketgate.store.redis;

import io.ticketgate.store.BackedLockStore;
import io.ticketgate.store.LockStoreOptions;
import java.util.Map;

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
 *   <li>{@code ...<id>:progress}: the progress mark the conversation's last release recorded
 *       ({@link io.ticketgate.store.HeldLock#close(String)}), written in the release's script and
 *       read by the script that serves the next turn; it lives {@link RedisSettings#ticketCounterTtl()}.
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
public class ConcurrentRedisLockStore extends BackedLockStore {

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
  /** Suffix of the conversation's progress mark ({@link io.ticketgate.store.HeldLock#close(String)}), under {@link #STATE_KEY_PREFIX}. */
  public static final String PROGRESS_SUFFIX = "progress";

  private final ConcurrentRedisBackend backend;

  /** Connects to Redis as {@code settings} say. */
  public ConcurrentRedisLockStore(RedisSettings settings, LockStoreOptions options) {
    this(new ConcurrentRedisBackend(settings, options.clock()), options);
  }

  /** Builds the store from a {@code lock_store:} section, as a store named by its class is built. */
  public ConcurrentRedisLockStore(Map<String, Object> section) {
    this(RedisLockStore.settingsOf(section, true), LockStoreOptions.of(section));
  }

  private ConcurrentRedisLockStore(ConcurrentRedisBackend backend, LockStoreOptions options) {
    super(options, backend);
    this.backend = backend;
  }

  /** Everything before the ticket number in this conversation's keys: {@code <prefix><id>:}. */
  public String keyBase(String conversationId) {
    return backend.keyBase(conversationId);
  }

  /**
   * Everything before the suffix in Ticketgate's own keys of this conversation,
   * {@code [<key_prefix>:]concurrent_lock_ticketgate:<id>:}: outside {@link #keyBase}, which a Rasa
   * server's cleanup empties, and with the same hash tag in cluster mode.
   */
  public String stateBase(String conversationId) {
    return backend.stateBase(conversationId);
  }

  @Override
  public String toString() {
    return "ConcurrentRedisLockStore{" + backend.describe() + ", prefix='" + backend.keyPrefix + "'}";
  }
}
