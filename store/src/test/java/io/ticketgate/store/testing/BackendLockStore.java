package io.ticketgate.store.testing;

import io.ticketgate.store.BackedLockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.backend.LockBackend;

/** A store over any backend, as the built-in stores are built, for tests that bring their own backend. */
public final class BackendLockStore extends BackedLockStore {

  public BackendLockStore(LockStoreOptions options, LockBackend backend) {
    super(options, backend);
  }
}
