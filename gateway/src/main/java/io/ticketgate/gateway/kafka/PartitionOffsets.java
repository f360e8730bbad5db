package io.ticketgate.gateway.kafka;

import java.util.concurrent.ConcurrentSkipListSet;

/**
 * The offsets of one partition that were consumed but are not finished yet.
 *
 * <p>Records finish in any order (many conversations run in parallel), but Kafka stores one offset
 * per partition, meaning "everything before this is done". So the committable offset is the lowest
 * unfinished one, or just past the last consumed record when nothing is unfinished: a crash then
 * redelivers every unfinished record and nothing else (at-least-once).
 *
 * <p>{@link #started} is called by the poll thread in offset order; {@link #finished} by any thread.
 */
final class PartitionOffsets {

  private final ConcurrentSkipListSet<Long> unfinished = new ConcurrentSkipListSet<>();
  private volatile long next = -1;

  void started(long offset) {
    unfinished.add(offset);
    next = offset + 1;
  }

  void finished(long offset) {
    unfinished.remove(offset);
  }

  /** The offset to commit (the next record to read after a restart), or -1 before any record. */
  long committable() {
    long n = next; // read first: an offset started after this read is above n anyway
    Long lowest = unfinished.ceiling(Long.MIN_VALUE);
    return lowest != null ? Math.min(lowest, n) : n;
  }

  int unfinishedCount() {
    return unfinished.size();
  }
}
