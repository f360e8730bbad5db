package io.ticketgate.gateway.kafka;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

/**
 * Where jobs report that they are over, for the poll thread to account for: offsets, partition
 * counts, conversation chains and the in-flight count are the poll thread's alone, and a job never
 * touches them. Many threads {@link #post}; only the poll thread {@link #take}s and {@link #await}s.
 *
 * <p>A post unparks the poll thread only while it waits here (paused for backpressure, or stopping),
 * so the common case costs a queue insertion and one volatile read.
 */
final class Mailbox {

  private final ConcurrentLinkedQueue<Job> over = new ConcurrentLinkedQueue<>();
  /** The poll thread while it is parked in {@link #await}, else null. */
  private volatile Thread waiter;

  /** Any thread: {@code job} is over (finished or not; {@link Job#finished()} says which). */
  void post(Job job) {
    over.add(job);
    Thread w = waiter;
    if (w != null) {
      LockSupport.unpark(w);
    }
  }

  /** Any thread: ends the poll thread's current {@link #await} early (a stop request). */
  void wake() {
    Thread w = waiter;
    if (w != null) {
      LockSupport.unpark(w);
    }
  }

  /** Poll thread: the next job that is over, or null. */
  Job take() {
    return over.poll();
  }

  /**
   * Poll thread: parks up to {@code nanos} unless a job is already waiting to be taken. Registering
   * before looking at the queue, while a poster adds before looking at the registration, means a
   * post can never fall between the look and the park unseen.
   */
  void await(long nanos) {
    waiter = Thread.currentThread();
    try {
      if (over.isEmpty()) {
        LockSupport.parkNanos(this, nanos);
      }
    } finally {
      waiter = null;
    }
  }
}
