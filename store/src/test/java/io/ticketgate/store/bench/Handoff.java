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

  /**
   * Whether the handoffs from now on count toward {@link #servedAfterClose}: on for measured
   * iterations only.
   */
  default void recording(boolean on) {}

  /**
   * A second measure of the recorded handoffs, where the client has one: from the holder's release
   * until the waiter's future completed, on whatever thread completed it, rather than until the
   * benchmark thread has the lock back from a release that returns only once the store confirmed
   * it. Null when the client has none.
   */
  default String servedAfterClose() {
    return null;
  }

  /** Gives back the lock, cancels a pending wait and closes both clients. */
  @Override
  void close();
}
