package io.ticketgate.store.memory;

import io.ticketgate.store.BackedLockStore;
import io.ticketgate.store.LockStoreOptions;
import java.util.Map;

/**
 * Keeps ticket locks in this process's memory: the default store, with no configuration.
 *
 * <p>Only one process can use it: replicas of a gateway each have their own queues and do not
 * coordinate. Every step is atomic per conversation ({@link InMemoryBackend}), and releases wake
 * waiters directly, so a handoff costs no I/O at all.
 */
public class InMemoryLockStore extends BackedLockStore {

  private final InMemoryBackend backend;

  /** Creates a store with {@link LockStoreOptions#defaults()}. */
  public InMemoryLockStore() {
    this(LockStoreOptions.defaults());
  }

  /** Creates a store with {@code options}. */
  public InMemoryLockStore(LockStoreOptions options) {
    this(options, new InMemoryBackend(options.clock()));
  }

  /** Creates a store from a {@code lock_store:} section, as a store named by its class is built. */
  public InMemoryLockStore(Map<String, Object> section) {
    this(LockStoreOptions.of(section));
  }

  private InMemoryLockStore(LockStoreOptions options, InMemoryBackend backend) {
    super(options, backend);
    this.backend = backend;
  }

  /** How many conversations have a lock; for tests and diagnostics. */
  public int size() {
    return backend.size();
  }

  @Override
  public String toString() {
    return "InMemoryLockStore{conversations=" + backend.size() + "}";
  }
}
