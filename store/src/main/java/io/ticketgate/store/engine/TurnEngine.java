package io.ticketgate.store.engine;

import io.ticketgate.store.HeldLock;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockRequest;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.StoreCallObserver;
import io.ticketgate.store.TicketStatus;
import io.ticketgate.store.backend.Issued;
import io.ticketgate.store.backend.LockBackend;
import io.ticketgate.store.backend.ReleaseListener;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The waiting engine of one store: it turns requests for a turn into tickets of a
 * {@link LockBackend}, waits until they are served, hands turns over between this process's
 * holders, keeps tickets alive and gives them back. Internal to the store; {@code LockStore} is
 * the API over it.
 *
 * <p>Its parts each do one job: {@link WaiterRegistry} (whom a release wakes), {@link KeepAlive}
 * (renewals), {@link GiveBack} (releases nobody waits on, and their retries), {@link EngineThreads}
 * (the timer and virtual threads); {@link Acquisition} is one wait, {@link RealHeldLock} one turn.
 * This class wires them to the backend and decides how a release passes the turn on. It never
 * calls a store subclass: everything it needs from the store is the backend.
 *
 * <p>Threads: see {@code docs/concurrency.md}. In short, requests and releases run on their
 * callers' threads; backend answers complete on whatever thread the backend answers on, so
 * nothing that runs on them blocks; turns are handed to their waiters on virtual threads.
 */
public final class TurnEngine implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(TurnEngine.class);

  private final ObservedBackend backend;
  private final LockStoreOptions options;
  private final WaiterRegistry waiters = new WaiterRegistry();
  private final EngineThreads threads = new EngineThreads();
  private final KeepAlive keepAlive = new KeepAlive(threads::timer, this::renew, System::nanoTime);
  private final AtomicBoolean closed = new AtomicBoolean();
  private final GiveBack giveBack;

  /**
   * Opens {@code backend} and starts serving turns from it.
   *
   * @throws LockException when the backend cannot be opened; it is closed again then
   */
  public TurnEngine(LockBackend backend, LockStoreOptions options) {
    this.backend = new ObservedBackend(backend);
    this.options = options;
    this.giveBack = new GiveBack(backend, threads, closed::get, this::wake);
    try {
      backend.open(new ReleaseListener() {
        @Override
        public void released(String conversationId) {
          wake(conversationId);
        }

        @Override
        public void served(String conversationId, int ticket, String progress) {
          waiters.served(conversationId, ticket, TicketStatus.served(progress));
        }
      });
    } catch (RuntimeException e) {
      backend.close();
      throw e;
    }
  }

  /**
   * Issues a ticket now and waits for it to be served, as {@code LockStore.request} promises.
   *
   * @param onServingThread hand the turn over on whatever thread served it, the Redis client's I/O
   *     thread included, instead of on a virtual thread ({@link #handOver}): for a caller that only
   *     blocks on {@link LockRequest#served()} or attaches nothing that blocks
   *     ({@link LockRequest.Completion#SERVING_THREAD})
   */
  public LockRequest request(String conversationId, Duration lifetime, Duration maxWait, boolean onServingThread) {
    RealLockRequest request = new RealLockRequest(conversationId, lifetime, maxWait, onServingThread);
    start(request);
    return request;
  }

  /**
   * Queues a request behind {@code ahead}: its ticket is issued by the release of {@code ahead}, or
   * now when {@code ahead} is already released.
   *
   * @param onServingThread as for {@link #request}
   * @throws IllegalArgumentException when {@code ahead} is not a turn of this engine
   * @throws IllegalStateException when another request is already queued behind {@code ahead}
   */
  public LockRequest requestAfter(HeldLock ahead, Duration lifetime, Duration maxWait, boolean onServingThread) {
    if (!(ahead instanceof RealHeldLock held) || held.engine() != this) {
      throw new IllegalArgumentException("ahead must be a turn of this store but was " + ahead);
    }
    RealLockRequest request = new RealLockRequest(held.conversationId(), lifetime, maxWait, onServingThread);
    request.failIssueWhenCancelledBeforeStart();
    if (!held.queueBehind(request)) {
      start(request);
    }
    return request;
  }

  /**
   * Asks this process's waiters of {@code conversationId} to look at the store again: someone may
   * be served now. Cheap, never blocks.
   */
  public void wake(String conversationId) {
    waiters.wake(conversationId, null);
  }

  /** How many of this process's tickets are waiting to be served now. */
  public int waitingCount() {
    return waiters.waitingCount();
  }

  /** How many tickets keep-alive renews; for tests. */
  int keptAlive() {
    return keepAlive.size();
  }

  /** Fails every pending wait and stops the threads; does not close the backend. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    for (Acquisition a : waiters.all()) {
      a.fail(new LockException(LockException.Reason.CLOSED, a.conversationId,
          "the lock store was closed while ticket " + a.ticket + " waited", null));
    }
    keepAlive.clear();
    threads.close();
  }

  // ---------------------------------------------------------------- for the engine's parts

  /** Reports every step of a turn from now on to {@code observer}; null for none. */
  public void observeCalls(StoreCallObserver observer) {
    backend.observe(observer);
  }

  LockBackend backend() {
    return backend;
  }

  Clock clock() {
    return options.clock();
  }

  Duration recheckInterval() {
    return options.recheckInterval();
  }

  ScheduledExecutorService timer() {
    return threads.timer();
  }

  boolean isClosed() {
    return closed.get();
  }

  void unregister(Acquisition a) {
    waiters.unregister(a);
    keepAlive.untrack(a);
  }

  /** Starts renewing {@code r} about every third of its lifetime while it lives, when keep-alive is on. */
  void track(Renewable r) {
    if (options.keepAlive() && !closed.get()) {
      keepAlive.track(r);
    }
  }

  void untrack(Renewable r) {
    keepAlive.untrack(r);
  }

  /** Gives back a ticket of a wait that ended without a turn; see {@link GiveBack#now}. */
  void giveBackQuietly(String conversationId, int ticket, String why, BooleanSupplier expired) {
    giveBack.now(conversationId, ticket, why, expired);
  }

  /** Retries giving back a held ticket whose release failed; see {@link GiveBack#later}. */
  boolean giveBackLater(String conversationId, int ticket, BooleanSupplier expired, LockException failure) {
    return giveBack.later(conversationId, ticket, expired, failure);
  }

  /**
   * Completes a waiter's future with its turn on a virtual thread, so that neither the next
   * holder's continuation nor giving back a cancelled turn runs on the thread that answered the
   * last look: that may be a Redis I/O thread, which must never block, or a releasing holder's
   * thread, where hand-overs would nest without limit.
   */
  void handOver(CompletableFuture<HeldLock> result, RealHeldLock held) {
    threads.executeOrRunHere(() -> {
      if (!result.complete(held)) {
        held.close(); // cancelled while the last look ran
      }
    });
  }

  /**
   * Completes the future of a caller that takes its turn on the serving thread with it here;
   * a turn cancelled meanwhile is given back on a virtual thread, since giving back waits for the
   * store.
   */
  void handOverHere(CompletableFuture<HeldLock> result, RealHeldLock held) {
    if (!result.complete(held)) {
      threads.executeOrRunHere(held::close);
    }
  }

  /** Issues {@code request}'s ticket now, on the caller's thread, before the request is returned to it. */
  private void start(RealLockRequest request) {
    if (closed.get()) {
      failClosed(request);
      return;
    }
    // Registered before the ticket exists: issuing counts as the first look, and a release signalled
    // while it runs makes the acquisition look again, so no wake-up can fall between issue and wait.
    Acquisition a = new Acquisition(this, request, options.clock().millis());
    waiters.register(a);
    a.issue(() -> backend.issue(request.conversationId(), request.lifetime));
  }

  /**
   * Gives back {@code ticket}, a turn this process holds, and passes the turn on inside the process
   * where it can, in the same backend step: a request queued behind the turn ({@code next}) gets its
   * ticket issued by the release; otherwise, when this process waits on the conversation's next
   * ticket, the release also looks where that ticket stands. Runs on the releasing holder's thread
   * and waits for the backend; what follows its answer runs there too.
   *
   * @param next the request queued behind the turn, or null
   * @param progress the mark to record with the release, or null
   * @param heldProgress the mark the turn was served with, which stays when {@code progress} is null
   * @throws LockException when the backend fails; {@code next} fails with it
   */
  void release(String conversationId, int ticket, RealLockRequest next, String progress, String heldProgress) {
    send(conversationId, ticket, next, progress, heldProgress).await();
  }

  /**
   * {@link #release}, without waiting: the release is sent on the caller's thread, and what follows
   * the backend's answer runs on the thread that completes it (the Redis client's I/O thread, or
   * the caller's when the backend answers at once), where it only completes futures and pokes
   * waiters.
   *
   * @return completes after the answer was followed up; fails with a {@link LockException} when the
   *     backend failed, and {@code next} fails with it
   */
  CompletionStage<Void> releaseAsync(String conversationId, int ticket, RealLockRequest next, String progress,
      String heldProgress) {
    return send(conversationId, ticket, next, progress, heldProgress).followed();
  }

  /**
   * A release handed to the backend: the stage of its answer, what the engine does with the answer,
   * and what it does when the backend failed, so the blocking and the asynchronous release share
   * every step and differ only in where the follow-up runs.
   */
  private record Sent<T>(String conversationId, String action, CompletionStage<T> answer, Consumer<T> then,
      Consumer<LockException> failed) {

    static Sent<Void> plain(String conversationId, String action, CompletionStage<Void> answer, Runnable then) {
      return new Sent<>(conversationId, action, answer, v -> then.run(), e -> {});
    }

    /** Waits for the answer and follows it up on this thread. */
    void await() {
      T value;
      try {
        value = Await.result(conversationId, action, answer);
      } catch (LockException e) {
        failed.accept(e);
        throw e;
      }
      then.accept(value);
    }

    /** Follows the answer up wherever it completes. */
    CompletionStage<Void> followed() {
      return answer.handle((value, error) -> {
        if (error != null) {
          LockException e = Await.asLockException(conversationId, "could not " + action, error);
          failed.accept(e);
          throw e;
        }
        then.accept(value);
        return null;
      });
    }
  }

  /** Sends the release, by the backend step that fits who waits behind the turn in this process. */
  private Sent<?> send(String conversationId, int ticket, RealLockRequest next, String progress,
      String heldProgress) {
    String action = "finish serving ticket " + ticket;
    if (next != null) {
      return releaseAndIssue(conversationId, ticket, action, next, progress);
    }
    Acquisition successor = waiters.successor(conversationId, ticket);
    if (successor == null) {
      return Sent.plain(conversationId, action, call(() -> backend.release(conversationId, ticket, progress)),
          () -> wake(conversationId));
    }
    if (successor.ticket == ticket + 1 && backend.numbersNeverReused()) {
      return releaseHandingOverFirst(conversationId, ticket, action, successor, progress,
          progress != null ? progress : heldProgress);
    }
    return new Sent<TicketStatus>(conversationId, action,
        call(() -> backend.releaseAndLook(conversationId, ticket, successor.ticket, progress)), status -> {
          if (status == null) {
            wake(conversationId);
          } else {
            successor.offer(status);
            waiters.wake(conversationId, successor); // as after any release: the others look again
          }
        }, e -> {});
  }

  /** A backend step, with a backend that throws instead of failing its stage taken as failing it. */
  private static <T> CompletionStage<T> call(Supplier<CompletionStage<T>> step) {
    try {
      return step.get();
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * Hands the turn to {@code successor}, then releases {@code ticket}, without waiting for the store:
   * the successor holds the very next number and numbers are never reused, so nobody can stand
   * between them, and once the release lands it is the lowest live ticket. The old holder has
   * stopped (it is releasing), so handing over first lets no two holders overlap; it saves the
   * successor a round trip to the store, and handing over before the release is even sent saves it
   * the wake-up of the store client's I/O thread ({@link OwedRelease}, which also keeps the
   * successor's own commands behind the release). The release's own answer still decides what
   * the releasing caller hears (a failure is reported, and the ticket is given back later, as for
   * any release), and a successor the store does not see served then (its key was deleted from
   * outside) is told its turn may be lost.
   *
   * @param action what the caller asked for, as failures name it
   * @param mark the progress mark the successor is served with: the one recorded now, or else the
   *     one the released turn was served with, since nobody else released in between
   */
  private Sent<TicketStatus> releaseHandingOverFirst(String conversationId, int ticket, String action,
      Acquisition successor, String progress, String mark) {
    OwedRelease release = new OwedRelease(() -> backend.releaseAndLook(conversationId, ticket, successor.ticket,
        progress));
    successor.owes(release);
    successor.offer(TicketStatus.served(mark));
    return new Sent<>(conversationId, action, release.send(), status -> {
      if (status == null) {
        wake(conversationId);
        return;
      }
      if (status.isServed()) {
        // Again, for a successor the hand-over found in the middle of a look: that look may have been
        // sent before the release (the I/O thread writes its own commands ahead of those other threads
        // queue for it), so its answer is stale, and nothing else would wake it.
        successor.offer(status);
      } else {
        successor.servedWithoutTheStore();
      }
      waiters.wake(conversationId, successor); // as after any release: the others look again
    }, e -> {});
  }

  /**
   * Gives back {@code ticket} and issues {@code next}'s ticket in the same backend step; the turn,
   * when served, is handed over as any served turn. A failure fails {@code next} too (it may or may
   * not have been issued; if it was, it expires) and is reported, so the holder retries giving its
   * own ticket back.
   */
  private Sent<?> releaseAndIssue(String conversationId, int ticket, String action, RealLockRequest next,
      String progress) {
    if (closed.get()) {
      failClosed(next);
      return Sent.plain(conversationId, action, call(() -> backend.release(conversationId, ticket, progress)), () -> {});
    }
    Acquisition a = new Acquisition(this, next, options.clock().millis());
    waiters.register(a);
    return new Sent<Issued>(conversationId, action + " and issue the next",
        call(() -> backend.releaseAndIssue(conversationId, ticket, next.lifetime, progress)), issued -> {
          a.issued(issued);
          waiters.wake(conversationId, a); // as after any release: the others look again
        }, a::issueFailed);
  }

  private static void failClosed(RealLockRequest request) {
    LockException e = new LockException(LockException.Reason.CLOSED, request.conversationId(),
        "the lock store is closed", null);
    request.issued().completeExceptionally(e);
    request.served().completeExceptionally(e);
  }

  private void renew(Renewable r) {
    if (r.isLocallyExpired()) {
      // Too late: the number may be someone else's now, so renewing it could extend their ticket.
      untrack(r);
      r.lost();
      return;
    }
    long requestedAt = options.clock().millis();
    CompletionStage<Boolean> renewal;
    try {
      renewal = backend.renew(r.conversationId(), r.ticket(), r.lifetime());
    } catch (RuntimeException e) {
      renewal = CompletableFuture.failedFuture(e);
    }
    renewal.whenComplete((ok, e) -> {
      if (e != null) {
        log.warn("conversation '{}': keep-alive could not renew ticket {}: {}", r.conversationId(), r.ticket(), e.toString());
      } else if (ok) {
        r.renewed(requestedAt);
      } else {
        untrack(r);
        r.lost();
      }
    });
  }
}
