package io.ticketgate.loadtest.peers;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

/**
 * Counts handled input records and, of those, the committed ones.
 *
 * <p>"Committed" means: below the offset the group committed for the record's partition, as the
 * broker acknowledged it. Parallel Consumer also encodes finished offsets above that one into the
 * commit's metadata (so it would not redo them after a restart); they count only once the
 * committed offset passes them, so this is a lower bound until the end, when every handled record
 * lies below it.
 */
final class CommitTracker {

  private final long expected;
  private final Map<TopicPartition, Partition> partitions = new HashMap<>();
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile long handled;
  private volatile long committed;
  private volatile long doneNanos;

  /** Mutable per-partition state, guarded by the tracker. */
  private static final class Partition {
    long committedOffset = -1;
    final TreeSet<Long> uncommitted = new TreeSet<>();
  }

  CommitTracker(long expected) {
    this.expected = expected;
  }

  /** A record's bot call succeeded (counted once, however often it is retried). */
  synchronized void handled(TopicPartition tp, long offset) {
    Partition p = partitions.computeIfAbsent(tp, k -> new Partition());
    if (offset >= p.committedOffset && p.uncommitted.add(offset)) {
      handled++;
    }
  }

  /** The broker acknowledged a commit of these offsets. */
  synchronized void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
    for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
      Partition p = partitions.computeIfAbsent(e.getKey(), k -> new Partition());
      p.committedOffset = Math.max(p.committedOffset, e.getValue().offset());
      while (!p.uncommitted.isEmpty() && p.uncommitted.first() < p.committedOffset) {
        p.uncommitted.pollFirst();
        committed++;
      }
    }
    if (committed >= expected && done.getCount() > 0) {
      doneNanos = System.nanoTime();
      done.countDown();
    }
  }

  long handled() {
    return handled;
  }

  long committed() {
    return committed;
  }

  /** True once {@code expected} records are committed; waits up to {@code millis} for it. */
  boolean awaitDone(long millis) throws InterruptedException {
    return done.await(millis, TimeUnit.MILLISECONDS);
  }

  /** {@link System#nanoTime()} when the expected count was first reached. */
  long doneNanos() {
    return doneNanos;
  }
}
