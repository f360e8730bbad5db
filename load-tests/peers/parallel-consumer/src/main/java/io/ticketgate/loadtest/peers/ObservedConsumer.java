package io.ticketgate.loadtest.peers;

import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.common.TopicPartition;

/**
 * A plain KafkaConsumer that tells the {@link CommitTracker} what Parallel Consumer committed and
 * notes when the first records arrived. A subclass rather than a wrapper: Parallel Consumer checks
 * by reflection on {@code KafkaConsumer} that auto-commit is off, and that check should still run.
 */
final class ObservedConsumer extends KafkaConsumer<String, String> {

  private static final long NONE = Long.MIN_VALUE;

  private final CommitTracker tracker;
  private final AtomicLong firstRecordsNanos = new AtomicLong(NONE);

  ObservedConsumer(Properties config, CommitTracker tracker) {
    super(config);
    this.tracker = tracker;
  }

  /** {@link System#nanoTime()} of the first poll that returned records; Long.MIN_VALUE before. */
  long firstRecordsNanos() {
    return firstRecordsNanos.get();
  }

  @Override
  public ConsumerRecords<String, String> poll(Duration timeout) {
    ConsumerRecords<String, String> records = super.poll(timeout);
    if (!records.isEmpty()) {
      firstRecordsNanos.compareAndSet(NONE, System.nanoTime());
    }
    return records;
  }

  @Override
  public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets) {
    super.commitSync(offsets);
    tracker.committed(offsets);
  }

  @Override
  public void commitSync(Map<TopicPartition, OffsetAndMetadata> offsets, Duration timeout) {
    super.commitSync(offsets, timeout);
    tracker.committed(offsets);
  }

  @Override
  public void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
    super.commitAsync(offsets, (committed, error) -> {
      if (error == null) {
        tracker.committed(committed);
      }
      if (callback != null) {
        callback.onComplete(committed, error);
      }
    });
  }
}
