package io.ticketgate.store.testing;

import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.backend.LockBackend;
import java.util.Optional;

/** A store over any backend, as the built-in stores are built, for tests that bring their own backend. */
public final class BackendLockStore extends LockStore {

  public BackendLockStore(LockStoreOptions options, LockBackend backend) {
    super(options, backend);
  }

  @Override
  public Optional<TicketLock> getLock(String conversationId) {
    return readLock(conversationId);
  }

  @Override
  public void saveLock(TicketLock lock) {
    writeLock(lock);
  }

  @Override
  public void deleteLock(String conversationId) {
    removeLock(conversationId);
  }
}
