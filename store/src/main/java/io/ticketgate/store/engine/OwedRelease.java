package io.ticketgate.store.engine;

import io.ticketgate.store.TicketStatus;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * The release a hand-over still owes the store: the turn went to the next ticket before the old
 * ticket's release was sent, and the release is sent once, by whichever needs it first.
 *
 * <p>Why: sending a command wakes the store client's I/O thread (and the store), which on a small
 * machine takes the releasing thread's core before it can hand over; handing over first served
 * the next holder of the same process at p99 21-24 µs instead of 126-145 µs ({@code
 * docs/benchmarks.md}). But the new holder's own commands for the conversation (its release with a
 * later progress mark, a renewal) must reach the store after the old release, as they did when the
 * release was sent first. So the releasing thread sends it right after the hand-over, and the new
 * holder, before its first command, makes sure it was sent: by sending it itself when the
 * releasing thread has not begun (for a holder that closes its turn inside the hand-over, on the
 * same thread), or by waiting until the releasing thread has handed it to the client, which takes
 * microseconds and never waits for the store's answer. A connection carries commands in the order
 * they were handed to it, so the two arrive in order.
 *
 * <p>Thread-safe: {@link #send} is called by the releasing thread and by the new holder's.
 */
final class OwedRelease {

  private final Supplier<CompletionStage<TicketStatus>> release;
  private final AtomicBoolean claimed = new AtomicBoolean();
  /** Completed once the release was handed to the backend, with its answer's stage. */
  private final CompletableFuture<CompletionStage<TicketStatus>> sent = new CompletableFuture<>();

  /** @param release sends the release and returns its answer's stage; called once */
  OwedRelease(Supplier<CompletionStage<TicketStatus>> release) {
    this.release = release;
  }

  /**
   * Before a command of the turn that owes {@code owed}: makes sure that release went first.
   *
   * @param owed the release the turn still owes, or null when it owes none
   */
  static void sendFirst(OwedRelease owed) {
    if (owed != null) {
      owed.send();
    }
  }

  /**
   * Sends the release unless it was sent, and returns its answer's stage; when another thread is
   * sending it right now, waits until it has. A backend that refuses to send it (it throws) gives a
   * failed stage: the releasing holder hears of it when it waits for the answer, and a new holder
   * that only needed the order goes on.
   */
  CompletionStage<TicketStatus> send() {
    if (claimed.compareAndSet(false, true)) {
      CompletionStage<TicketStatus> stage;
      try {
        stage = release.get();
      } catch (RuntimeException e) {
        stage = CompletableFuture.failedFuture(e);
      }
      sent.complete(stage);
      return stage;
    }
    return sent.join();
  }
}
