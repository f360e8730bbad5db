package io.ticketgate.gateway.kafka;

import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The offsets of one partition in one assignment: which consumed records are not finished yet, and
 * what the previous owner's commit said was finished beyond its offset. Poll thread only.
 *
 * <p>Records finish in any order (many conversations run in parallel), but Kafka stores one offset
 * per partition, meaning "everything before this is done". So the committable offset is the lowest
 * unfinished one, or just past the last consumed record when nothing is unfinished; the offsets
 * finished above it travel in the commit's metadata ({@link CommitMetadata}), so that the next owner
 * skips them. A crash still redelivers what finished after the last commit (at-least-once); a
 * graceful move or stop redelivers nothing that finished.
 */
final class PartitionOffsets {

  private final TreeSet<Long> unfinished = new TreeSet<>();
  /** One past the last consumed offset; -1 before any. */
  private long next = -1;
  /** From the previous owner's commit: below this, an offset not in inheritedUnfinished is finished. */
  private long inheritedEnd = -1;
  private NavigableSet<Long> inheritedUnfinished = new TreeSet<>();

  /** One past the last consumed offset, or -1 before any. */
  long next() {
    return next;
  }

  /** Takes over what the previous owner's commit says about the offsets after it. */
  void inherit(CommitMetadata.Progress progress) {
    inheritedEnd = progress.end();
    inheritedUnfinished = new TreeSet<>(progress.unfinished());
  }

  /** Whether the previous owner finished {@code offset}, so it must not be dispatched again. */
  boolean finishedBefore(long offset) {
    return offset < inheritedEnd && !inheritedUnfinished.contains(offset);
  }

  /** A record was consumed and starts now. Offsets arrive in ascending order. */
  void started(long offset) {
    unfinished.add(offset);
    consumed(offset);
  }

  /** A record was consumed and is finished already (the previous owner did it). */
  void skipped(long offset) {
    consumed(offset);
  }

  private void consumed(long offset) {
    next = offset + 1;
    if (inheritedEnd >= 0) {
      if (next >= inheritedEnd) {
        inheritedEnd = -1;
        inheritedUnfinished = new TreeSet<>();
      } else {
        inheritedUnfinished.headSet(next).clear();
      }
    }
  }

  void finished(long offset) {
    unfinished.remove(offset);
  }

  /** The offset to commit (the next record to read after a restart), or -1 before any record. */
  long committable() {
    if (next < 0) {
      return -1;
    }
    return unfinished.isEmpty() ? next : Math.min(unfinished.first(), next);
  }

  /** The metadata to commit with {@link #committable()}: what is unfinished beyond it. */
  String metadata() {
    long offset = committable();
    if (offset < 0) {
      return "";
    }
    long end = Math.max(next, inheritedEnd);
    if (inheritedUnfinished.isEmpty()) {
      return CommitMetadata.encode(offset, end, unfinished);
    }
    // Offsets the previous owner left unfinished and this one has not consumed yet stay unfinished.
    TreeSet<Long> all = new TreeSet<>(unfinished);
    all.addAll(inheritedUnfinished);
    return CommitMetadata.encode(offset, end, all);
  }

  int unfinishedCount() {
    return unfinished.size();
  }
}
