package io.ticketgate.store.testing;

import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreConfigException;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.TicketLock;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Classes that a {@code lock_store.type} can name but that cannot be used as a store, each in its own
 * way. Name them with {@link Class#getName()} (binary names, {@code Outer$Inner}).
 */
public final class BrokenStores {

  private BrokenStores() {}

  /** A store that keeps nothing; the broken ones below extend it. */
  public abstract static class NothingStore extends LockStore {
    protected NothingStore(Map<String, Object> section) {
      super(LockStores.options(section));
    }

    protected NothingStore() {}

    @Override
    public Optional<TicketLock> getLock(String conversationId) {
      return Optional.empty();
    }

    @Override
    public void saveLock(TicketLock lock) {}

    @Override
    public void deleteLock(String conversationId) {}
  }

  /** Has the right constructor but is not a {@link LockStore}. */
  public static final class NotALockStore {
    public NotALockStore(Map<String, Object> section) {}
  }

  /** A {@link LockStore} that is abstract. */
  public abstract static class AbstractStore extends NothingStore {
    public AbstractStore(Map<String, Object> section) {
      super(section);
    }
  }

  /** A {@link LockStore} without a constructor taking the section. */
  public static final class NoMapConstructor extends NothingStore {
    public NoMapConstructor() {}
  }

  /** A {@link LockStore} whose section constructor is not public. */
  public static final class PrivateMapConstructor extends NothingStore {
    private PrivateMapConstructor(Map<String, Object> section) {
      super(section);
    }
  }

  /** A {@link LockStore} whose constructor fails. */
  public static final class ThrowingConstructor extends NothingStore {
    public static final String MESSAGE = "boom from the constructor";

    public ThrowingConstructor(Map<String, Object> section) {
      super(section);
      throw new IllegalStateException(MESSAGE);
    }
  }

  /** A {@link LockStore} whose constructor reports its own configuration problems. */
  public static final class RejectingConstructor extends NothingStore {
    public static final String PROBLEM = "lock_store.flavour was 'sour' but it must be 'sweet'";

    public RejectingConstructor(Map<String, Object> section) {
      super(section);
      throw new LockStoreConfigException(List.of(PROBLEM));
    }
  }

  /** A {@link LockStore} whose class initialization fails (a static field that cannot be set up). */
  public static final class FailingStaticInitializer extends NothingStore {
    static final Object STATE = fail();

    public FailingStaticInitializer(Map<String, Object> section) {
      super(section);
    }

    private static Object fail() {
      throw new IllegalStateException("static state could not be set up");
    }
  }
}
