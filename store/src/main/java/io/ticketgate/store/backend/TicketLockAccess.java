package io.ticketgate.store.backend;

import io.ticketgate.store.TicketLock;
import java.util.Optional;

/**
 * Rasa's three lock-store primitives, which a custom store implements: read, write and delete a
 * conversation's whole {@link TicketLock}. {@link PrimitivesBackend} builds a {@link LockBackend}
 * on them.
 */
public interface TicketLockAccess {

  /** Reads the lock of {@code conversationId}, or empty when the store holds none. */
  Optional<TicketLock> getLock(String conversationId);

  /** Writes {@code lock}, replacing what the store held for its conversation. */
  void saveLock(TicketLock lock);

  /** Removes every ticket of {@code conversationId}. */
  void deleteLock(String conversationId);
}
