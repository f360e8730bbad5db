package io.ticketgate.store;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HeldLock} every store returns.
 *
 * <p>Like {@link Acquisition}, it keeps a lower bound of its ticket's expiry: once that has passed,
 * the number may have been issued to someone else (Rasa's numbering reuses it), so renewing or
 * giving back "ticket N" would renew or remove someone else's ticket. Both are then skipped.
 */
final class RealHeldLock implements HeldLock, Waiters.Renewable {

  private static final Logger log = LoggerFactory.getLogger(LockStore.class);

  private final LockStore store;
  private final Waiters waiters;
  private final Clock clock;
  private final String conversationId;
  private final int ticket;
  private final Duration lifetime;
  private final Duration waited;
  private final boolean aheadExpired;
  private final AtomicBoolean closed = new AtomicBoolean();
  /** Shared with the acquisition that was served, so renewals while waiting count. */
  private final ExpiryBound expiry;
  private volatile boolean lost;

  RealHeldLock(LockStore store, Waiters waiters, String conversationId, int ticket, Duration lifetime, Duration waited,
      boolean aheadExpired, ExpiryBound expiry) {
    this.store = store;
    this.waiters = waiters;
    this.clock = store.options().clock();
    this.conversationId = conversationId;
    this.ticket = ticket;
    this.lifetime = lifetime;
    this.waited = waited;
    this.aheadExpired = aheadExpired;
    this.expiry = expiry;
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
  public boolean aheadExpired() {
    return aheadExpired;
  }

  @Override
  public void renew() {
    if (closed.get()) {
      throw new IllegalStateException("conversation '" + conversationId + "': ticket " + ticket + " was already released");
    }
    long requestedAt = clock.millis();
    if (lost || isLocallyExpired() || !store.renewTicket(conversationId, ticket, lifetime)) {
      lost = true;
      throw new LockException(LockException.Reason.EXPIRED, conversationId,
          "ticket " + ticket + " expired or was removed while held; the turn is lost", null);
    }
    renewed(requestedAt);
  }

  @Override
  public void close() {
    if (closed.compareAndSet(false, true)) {
      waiters.untrack(this);
      if (lost || isLocallyExpired()) {
        // Its number may be someone else's by now, so removing "ticket N" could take their turn;
        // an expired ticket blocks nobody anyway.
        log.debug("conversation '{}': ticket {} had expired when it was released; nothing to give back",
            conversationId, ticket);
        return;
      }
      try {
        giveBack();
      } catch (LockException e) {
        // The caller still hears of the failure; meanwhile the ticket must not block its
        // conversation for a whole lifetime once the store is back.
        waiters.giveBackLater(conversationId, ticket, this::isLocallyExpired, e);
        throw e;
      }
    }
  }

  /**
   * Gives the ticket back. When this process waits on the conversation's next ticket, the release
   * also looks where that ticket stands, so the turn passes inside the process in one store call.
   */
  private void giveBack() {
    Acquisition next = waiters.successor(conversationId, ticket);
    if (next == null) {
      store.cleanup(conversationId, ticket);
      return;
    }
    TicketStatus status = store.releaseAndLook(conversationId, ticket, next.ticket);
    if (status != null) {
      next.offer(status);
      waiters.wakeExcept(conversationId, next); // as after any release: the others look again
    }
  }

  @Override
  public boolean isLocallyExpired() {
    return expiry.hasPassed();
  }

  @Override
  public void renewed(long requestedAtMillis) {
    expiry.renewed(requestedAtMillis);
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
