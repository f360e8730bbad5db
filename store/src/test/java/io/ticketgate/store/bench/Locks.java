package io.ticketgate.store.bench;

/**
 * What the throughput benchmarks drive, whatever keeps the locks: a Ticketgate store, Redisson, or
 * locks in this JVM. {@link StoreKind#openLocks} makes one.
 *
 * <p>Each implementation takes a turn the way its own users would, on the calling thread, so the
 * figures include the library's normal per-call work (for Redisson, {@code getLock(name)} on every
 * turn).
 */
interface Locks extends AutoCloseable {

  /**
   * Blocks until the calling thread has {@code key}'s lock.
   *
   * @return the turn; closing it releases the lock, on the same thread
   */
  Turn lock(String key);

  /** Closes clients and connections; turns still held are lost. */
  @Override
  void close();

  /** A lock being held. */
  @FunctionalInterface
  interface Turn extends AutoCloseable {

    /** Releases the lock and waits until the release is done (for Redis: its reply is in). */
    @Override
    void close();
  }
}
