package io.ticketgate.store.bench;

/**
 * One lock passed back and forth between two clients, as {@link HandoffBenchmark} times it. One
 * client holds the lock; before each sample the other is made to wait for it; the sample is the
 * holder's release until the waiter holds the lock, and then the two swap roles.
 */
interface Handoff extends AutoCloseable {

  /**
   * Untimed: the client not holding the lock asks for it and is settled into waiting, its request
   * made and its first look (which found the lock taken) answered.
   *
   * @throws IllegalStateException when the waiter got the lock while it was held, or did not
   *     settle within the setup timeout
   */
  void queueWaiter();

  /**
   * Timed: the holder releases, and this returns once the waiter holds the lock. The waiter is
   * the holder from now on.
   *
   * @return something of the new holder's, for JMH to consume
   */
  Object handOver();

  /** Gives back the lock, cancels a pending wait and closes both clients. */
  @Override
  void close();
}
