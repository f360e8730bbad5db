package io.ticketgate.store;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The {@link HeldLock} every store returns. */
final class RealHeldLock implements HeldLock, Waiters.Renewable {

  private static final Logger log = LoggerFactory.getLogger(LockStore.class);

  private final LockStore store;
  private final Waiters waiters;
  private final String conversationId;
  private final int ticket;
  private final Duration lifetime;
  private final Duration waited;
  private final AtomicBoolean closed = new AtomicBoolean();
  private volatile boolean lost;

  RealHeldLock(LockStore store, Waiters waiters, String conversationId, int ticket, Duration lifetime, Duration waited) {
    this.store = store;
    this.waiters = waiters;
    this.conversationId = conversationId;
    this.ticket = ticket;
    this.lifetime = lifetime;
    this.waited = waited;
  }

  @Override
  public String conversationId() {
    return conversationId;
  }

  @Override
  public int ticket() {
    return ticket;
  }

  @Override
  public Duration lifetime() {
    return lifetime;
  }

  @Override
  public Duration waited() {
    return waited;
  }

  @Override
  public void renew() {
    if (closed.get()) {
      throw new IllegalStateException("conversation '" + conversationId + "': ticket " + ticket + " was already released");
    }
    if (lost || !store.renewTicket(conversationId, ticket, lifetime)) {
      lost = true;
      throw new LockException(LockException.Reason.EXPIRED, conversationId,
          "ticket " + ticket + " expired or was removed while held; the turn is lost", null);
    }
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      waiters.untrack(this);
      store.cleanup(conversationId, ticket);
    }
  }

  @Override
  public void lost() {
    if (!lost && !closed.get()) {
      lost = true;
      log.warn("conversation '{}': held ticket {} expired or was removed; another process may be serving the conversation",
          conversationId, ticket);
    }
  }

  @Override
  public String toString() {
    return "HeldLock{conversation='" + conversationId + "', ticket=" + ticket + (closed.get() ? ", released" : "") + '}';
  }
}
