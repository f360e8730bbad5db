package io.ticketgate.store.testing;

/** Names of fixture classes that tests outside this package cannot reference directly. */
public final class Fixtures {

  private Fixtures() {}

  /** The name of a {@code LockStore} subclass that is not public. */
  public static String hiddenLockStoreName() {
    return HiddenLockStore.NAME;
  }
}
