package io.ticketgate.store;

import io.ticketgate.store.backend.LockBackend;
import io.ticketgate.store.engine.Await;
import java.util.Optional;

/**
 * A store whose tickets live in a {@link LockBackend} of its own, with atomic steps: how the
 * built-in stores are made, and how a custom store shared by several processes should be. Rasa's
 * three primitives read, write and delete the whole lock in the backend; turns never use them.
 *
 * <p>A store on Rasa's three primitives alone extends {@link LockStore} directly instead.
 */
public abstract class BackedLockStore extends LockStore {

  /**
   * Creates a store whose turns are taken in {@code backend}. The store owns the backend from now
   * on and closes it.
   *
   * @throws LockException when the backend cannot be opened; it is closed then
   */
  protected BackedLockStore(LockStoreOptions options, LockBackend backend) {
    super(options, backend);
  }

  @Override
  public final Optional<TicketLock> getLock(String conversationId) {
    return Await.result(conversationId, "read the lock", backend().read(conversationId));
  }

  /** Writes the lock to the backend and wakes this process's waiters of its conversation. */
  @Override
  public final void saveLock(TicketLock lock) {
    Await.result(lock.conversationId(), "save the lock", backend().write(lock));
    wake(lock.conversationId());
  }

  /** Deletes the lock in the backend and wakes this process's waiters of its conversation. */
  @Override
  public final void deleteLock(String conversationId) {
    Await.result(conversationId, "delete the lock", backend().delete(conversationId));
    wake(conversationId);
  }
}
