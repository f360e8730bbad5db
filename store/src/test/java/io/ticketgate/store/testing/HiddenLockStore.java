package io.ticketgate.store.testing;

import java.util.Map;

/** A store class that is not public, though its constructor is: LockStores cannot instantiate it. */
class HiddenLockStore extends BrokenStores.NothingStore {

  /** The constructor LockStores looks for. */
  public HiddenLockStore(Map<String, Object> section) {
    super(section);
  }

  /** The binary name to put in {@code lock_store.type}. */
  static final String NAME = HiddenLockStore.class.getName();
}
