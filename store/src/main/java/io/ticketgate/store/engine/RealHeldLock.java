package io.ticketgate.store.engine;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link HeldLock} every store returns.
 *
 * <p>Like {@link Acquisition}, it keeps a lower bound of its ticket's expiry: once that has passed,
 * the number may have been issued to someone else (Rasa's numbering reuses it), so renewing or
 * giving back "ticket N" would renew or remove someone else's ticket. Both are then skipped.
 */
final class RealHeldLock implements HeldLock, Renewable {

  private static final Logger log = LoggerFactory.getLogger(RealHeldLock.class);

  private final TurnEngine engine;
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
  /**
   * The request queued behind this turn ({@link io.ticketgate.store.LockStore#requestAfter}), whose ticket the release
   * issues; {@link #RELEASED} once the release has taken it, after which requests are issued at
   * once.
   */
  private final AtomicReference<RealLockRequest> behind = new AtomicReference<>();
  private static final RealLockRequest RELEASED = new RealLockRequest("released", Duration.ofMillis(1), null, false);
  /** What {@link #beginRelease} answers when there is nothing to give back. */
  private static final RealLockRequest NOTHING_TO_RELEASE =
      new RealLockRequest("nothing to release", Duration.ofMillis(1), null, false);
  private static final CompletionStage<Void> DONE = CompletableFuture.completedStage(null);

  /** The conversation's progress mark when this turn was served. */
  private final String progress;
  /**
   * The release of the ticket ahead that the hand-over to this turn had not sent yet, or null: sent
   * before any command of this turn's, so the store sees the two in order.
   */
  private final OwedRelease owedAhead;

  RealHeldLock(TurnEngine engine, String conversationId, int ticket, Duration lifetime, Duration waited,
      boolean aheadExpired, ExpiryBound expiry, String progress, OwedRelease owedAhead) {
    this.progress = progress;
    this.owedAhead = owedAhead;
    this.engine = engine;
    this.clock = engine.clock();
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
    OwedRelease.sendFirst(owedAhead);
    if (lost || isLocallyExpired() || !Await.result(conversationId, "renew ticket " + ticket,
        engine.backend().renew(conversationId, ticket, lifetime))) {
      lost = true;
      throw new LockException(LockException.Reason.EXPIRED, conversationId,
          "ticket " + ticket + " expired or was removed while held; the turn is lost", null);
    }
    renewed(requestedAt);
  }

  /** The engine that served this turn, whose store it belongs to. */
  TurnEngine engine() {
    return engine;
  }

  /**
   * Queues {@code request} to have its ticket issued by this turn's release.
   *
   * @return false when this turn is already released: the caller issues the ticket itself
   * @throws IllegalStateException when another request is already queued behind this turn
   */
  boolean queueBehind(RealLockRequest request) {
    while (true) {
      RealLockRequest current = behind.get();
      if (current == RELEASED) {
        return false;
      }
      if (current != null && !current.isOver()) {
        throw new IllegalStateException("conversation '" + conversationId + "': a request is already queued behind "
            + "ticket " + ticket);
      }
      if (behind.compareAndSet(current, request)) {
        return true;
      }
    }
  }

  @Override
  public String progress() {
    return progress;
  }

  @Override
  public void close() {
    close(null);
  }

  @Override
  public void close(String newProgress) {
    RealLockRequest next = beginRelease();
    if (next == NOTHING_TO_RELEASE) {
      return;
    }
    try {
      engine.release(conversationId, ticket, next, newProgress, progress);
    } catch (LockException e) {
      giveBackLater(e);
      throw e;
    }
  }

  @Override
  public CompletionStage<Void> closeAsync(String newProgress) {
    RealLockRequest next = beginRelease();
    if (next == NOTHING_TO_RELEASE) {
      return DONE;
    }
    CompletionStage<Void> release;
    try {
      release = engine.releaseAsync(conversationId, ticket, next, newProgress, progress);
    } catch (RuntimeException e) {
      release = CompletableFuture.failedFuture(e); // an asynchronous caller hears of it in the stage
    }
    return release.whenComplete((ignored, error) -> {
      if (error != null) {
        giveBackLater(Await.asLockException(conversationId, "could not finish serving ticket " + ticket, error));
      }
    });
  }

  /**
   * The first part of a release, once: this turn is closed and untracked, and a request queued
   * behind it is taken (to be issued by the release).
   *
   * @return that request, or null when none is queued; {@link #NOTHING_TO_RELEASE} when the turn was
   *     closed before, or its ticket may have expired, so there is nothing to give back
   */
  private RealLockRequest beginRelease() {
    if (!closed.compareAndSet(false, true)) {
      return NOTHING_TO_RELEASE;
    }
    engine.untrack(this);
    RealLockRequest next = behind.getAndSet(RELEASED);
    if (next != null && next.isOver()) {
      next = null; // cancelled while it waited behind this turn
    }
    if (lost || isLocallyExpired()) {
      // Its number may be someone else's by now, so removing "ticket N" could take their turn;
      // an expired ticket blocks nobody anyway.
      log.debug("conversation '{}': ticket {} had expired when it was released; nothing to give back",
          conversationId, ticket);
      if (next != null) {
        // Not issued here: this is the releasing holder's thread, and the request's caller, who may
        // have cancelled it meanwhile, is elsewhere. It asks again, and is issued on its own thread.
        next.cancelBeforeStart("ticket " + ticket + " ahead of it had expired when it was released; ask again");
      }
      return NOTHING_TO_RELEASE;
    }
    OwedRelease.sendFirst(owedAhead);
    return next;
  }

  /**
   * The caller hears of a failed release; meanwhile the ticket must not block its conversation for
   * a whole lifetime once the store is back.
   */
  private void giveBackLater(LockException failure) {
    engine.giveBackLater(conversationId, ticket, this::isLocallyExpired, failure);
  }

  @Override
  public boolean isLost() {
    return lost || isLocallyExpired();
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
