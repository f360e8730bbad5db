package io.ticketgate.store.redis;

import io.ticketgate.store.BackedLockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.config.SectionReader;
import java.util.Map;

/**
 * Rasa's {@code RedisLockStore} layout ({@code type: redis}): each conversation's whole
 * {@link TicketLock} is one JSON value under {@code lock:<conversation_id>} (or
 * {@code <key_prefix>:lock:<conversation_id>}), tickets numbered from 0, written byte for byte as a
 * Rasa server writes it.
 *
 * <p>Unlike Rasa, every change is atomic: the store computes the new value from the one it last
 * saw and swaps it in with a compare-and-set script, which swaps nothing when anyone (another
 * replica, a Rasa server) changed it since and answers what is there, and the store computes again
 * from that. Two processes issuing at the same instant never get the same
 * number. Each write also sets a TTL a minute past the last ticket's expiry, so a crashed process
 * leaves no key behind forever.
 *
 * <p>Prefer {@link ConcurrentRedisLockStore} for replicas: it needs no retries under contention and
 * its ticket numbers never repeat. Thread-safe.
 */
public class RedisLockStore extends BackedLockStore {

  /** Rasa's prefix for this layout. */
  public static final String DEFAULT_KEY_PREFIX = "lock:";

  private final RedisLockBackend backend;

  /** Connects to Redis as {@code settings} say. */
  public RedisLockStore(RedisSettings settings, LockStoreOptions options) {
    this(new RedisLockBackend(settings, options.clock()), options);
  }

  /** Builds the store from a {@code lock_store:} section, as a store named by its class is built. */
  public RedisLockStore(Map<String, Object> section) {
    this(settingsOf(section, false), LockStoreOptions.of(section));
  }

  private RedisLockStore(RedisLockBackend backend, LockStoreOptions options) {
    super(options, backend);
    this.backend = backend;
  }

  static RedisSettings settingsOf(Map<String, Object> section, boolean concurrent) {
    SectionReader r = SectionReader.of("lock_store", section, null);
    RedisSettings s = RedisSettings.read(r, concurrent);
    r.throwIfProblems();
    return s;
  }

  /** The key holding {@code conversationId}'s lock. */
  public String key(String conversationId) {
    return backend.key(conversationId);
  }

  @Override
  public String toString() {
    return "RedisLockStore{" + backend.describe() + ", prefix='" + backend.keyPrefix + "'}";
  }
}
