package io.ticketgate.store.bench;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The floor of a handoff: one fair {@link ReentrantLock} passed between the benchmark thread and a
 * second platform thread of the same JVM.
 *
 * <p>A {@code ReentrantLock} must be released by the thread that holds it, so the roles do not
 * alternate: the benchmark thread always releases and the other thread always takes over. Between
 * samples, untimed, the other thread gives the lock back and the benchmark thread takes it again.
 * A sample runs from the benchmark thread's {@code unlock()} until it has the other thread's
 * completed future: the waiter being unparked and acquiring, completing the future, and the
 * benchmark thread waking up from {@code join()}. That is the same shape as the stores' samples,
 * which also end with a thread completing a future the benchmark thread waits on, minus all I/O.
 */
final class JvmHandoff implements Handoff {

  private static final long SETUP_TIMEOUT_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final long POLL_NANOS = TimeUnit.MICROSECONDS.toNanos(20);

  private final ReentrantLock lock = new ReentrantLock(true);
  private final ExecutorService other;
  private volatile Thread otherThread;
  private CompletableFuture<ReentrantLock> waiting;
  /** Whether the other thread holds the lock (after a sample, until the next setup). */
  private boolean otherHolds;

  /** Starts the other thread; the benchmark thread takes the lock in {@link #queueWaiter}. */
  JvmHandoff() {
    other = Executors.newSingleThreadExecutor(task -> {
      Thread thread = new Thread(task, "handoff-waiter");
      thread.setDaemon(true);
      otherThread = thread;
      return thread;
    });
  }

  /**
   * Gets the lock back from the other thread if it has it, takes it, and lets the other thread
   * queue for it; waits until the lock reports that thread queued (parked in {@code lock()}).
   */
  @Override
  public void queueWaiter() {
    if (otherHolds) {
      onOtherThread(lock::unlock);
      otherHolds = false;
    }
    lock.lock();
    waiting = CompletableFuture.supplyAsync(() -> {
      lock.lock();
      return lock;
    }, other);
    long deadline = System.nanoTime() + SETUP_TIMEOUT_NANOS;
    while (otherThread == null || !lock.hasQueuedThread(otherThread)) {
      if (waiting.isDone()) {
        throw new IllegalStateException("the other thread got the lock while it was held: " + waiting);
      }
      if (System.nanoTime() - deadline > 0) {
        throw new IllegalStateException("the other thread did not queue for the lock within 10 s");
      }
      LockSupport.parkNanos(POLL_NANOS);
    }
  }

  @Override
  public Object handOver() {
    lock.unlock();
    ReentrantLock next = waiting.join();
    otherHolds = true;
    return next;
  }

  @Override
  public void close() {
    try {
      if (waiting != null && !waiting.isDone()) {
        lock.unlock(); // lets the queued thread through, so it can be told to give the lock back
        waiting.join();
        otherHolds = true;
      }
      if (otherHolds) {
        onOtherThread(lock::unlock);
      }
    } finally {
      other.shutdownNow();
    }
  }

  private void onOtherThread(Runnable action) {
    try {
      other.submit(action).get(SETUP_TIMEOUT_NANOS, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while the other thread released the lock", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("the other thread could not release the lock", e);
    }
  }
}
