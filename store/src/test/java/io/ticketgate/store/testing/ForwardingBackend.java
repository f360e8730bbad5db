package io.ticketgate.store.testing;

import io.ticketgate.store.StoreCallObserver;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.backend.Issued;
import io.ticketgate.store.backend.LockBackend;
import io.ticketgate.store.backend.ReleaseListener;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * A backend that forwards every step to another, for tests that change one step (make it fail,
 * hold it, answer late). The combined releases are not forwarded: they fall back to
 * {@link #release}, so a test that changes {@code release} changes every release.
 */
public class ForwardingBackend implements LockBackend {

  protected final LockBackend inner;

  public ForwardingBackend(LockBackend inner) {
    this.inner = inner;
  }

  @Override
  public void open(ReleaseListener listener) {
    inner.open(listener);
  }

  @Override
  public boolean numbersNeverReused() {
    return inner.numbersNeverReused();
  }

  @Override
  public CompletionStage<Issued> issue(String conversationId, Duration lifetime) {
    return inner.issue(conversationId, lifetime);
  }

  @Override
  public CompletionStage<TicketStatus> look(String conversationId, int ticket) {
    return inner.look(conversationId, ticket);
  }

  @Override
  public CompletionStage<Boolean> renew(String conversationId, int ticket, Duration lifetime) {
    return inner.renew(conversationId, ticket, lifetime);
  }

  @Override
  public CompletionStage<Void> release(String conversationId, int ticket, String progress) {
    return inner.release(conversationId, ticket, progress);
  }

  @Override
  public CompletionStage<Issued> releaseAndIssue(String conversationId, int ticket, Duration lifetime,
      String progress) {
    return release(conversationId, ticket, progress).thenCompose(v -> issue(conversationId, lifetime));
  }

  @Override
  public CompletionStage<Optional<TicketLock>> read(String conversationId) {
    return inner.read(conversationId);
  }

  @Override
  public CompletionStage<Void> write(TicketLock lock) {
    return inner.write(lock);
  }

  @Override
  public CompletionStage<Void> delete(String conversationId) {
    return inner.delete(conversationId);
  }

  @Override
  public CompletionStage<Void> ping() {
    return inner.ping();
  }

  @Override
  public StoreCallObserver.Failure failureKind(Throwable cause) {
    return inner.failureKind(cause);
  }

  @Override
  public void close() {
    inner.close();
  }
}
