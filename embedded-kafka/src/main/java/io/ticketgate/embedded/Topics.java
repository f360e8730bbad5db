package io.ticketgate.embedded;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates a topic and returns only once every partition's leader serves it, on any broker.
 *
 * <p>The controller acknowledges a topic before brokers can serve it. A producer that races ahead
 * gets UNKNOWN_TOPIC_OR_PARTITION or NOT_LEADER_OR_FOLLOWER for its first batches, and an
 * idempotent one that has later batches of the partition in flight meanwhile can be left retrying
 * OUT_OF_ORDER_SEQUENCE_NUMBER until its delivery timeout (seen on a loaded 2-core machine).
 */
public final class Topics {

  private static final Duration POLL = Duration.ofMillis(20);

  private Topics() {}

  /**
   * Creates {@code name} with {@code partitions} partitions and replication factor 1 unless it
   * exists, then waits until each partition has a leader that answers for it.
   *
   * @throws IllegalStateException when Kafka refuses, the topic exists with another partition count,
   *     or it is not served within {@code timeout}
   */
  public static void create(Admin admin, String name, int partitions, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    try {
      admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all()
          .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw new IllegalStateException("cannot create topic '" + name + "': " + e.getCause(), e.getCause());
      }
    } catch (TimeoutException e) {
      throw new IllegalStateException("Kafka did not confirm topic '" + name + "' within " + timeout, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topic '" + name + "'", e);
    }
    awaitServed(admin, name, partitions, timeout, deadline);
  }

  private static void awaitServed(Admin admin, String name, int partitions, Duration timeout, long deadline) {
    String last = "not described yet";
    while (System.nanoTime() < deadline) {
      try {
        TopicDescription description = admin.describeTopics(List.of(name)).allTopicNames()
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS).get(name);
        List<TopicPartitionInfo> infos = description.partitions();
        if (infos.size() != partitions) {
          throw new IllegalStateException("topic '" + name + "' already exists with " + infos.size()
              + " partitions, not " + partitions);
        }
        if (infos.stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          if (leadersServe(admin, name, partitions, timeout)) {
            return;
          }
          last = "leaders do not serve the partitions yet";
        } else {
          last = "partitions without a leader: " + infos;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw new IllegalStateException("cannot describe topic '" + name + "': " + e.getCause(), e.getCause());
        }
        last = "broker does not know the topic yet";
      } catch (TimeoutException e) {
        last = "describeTopics timed out";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for topic '" + name + "'", e);
      }
      try {
        Thread.sleep(POLL);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while waiting for topic '" + name + "'", e);
      }
    }
    throw new IllegalStateException("topic '" + name + "' was not ready within " + timeout + ": " + last);
  }

  /**
   * The broker's metadata cache names a leader a moment before its replica manager serves the
   * partition; a produce in between fails with NOT_LEADER_OR_FOLLOWER. Listing offsets goes to
   * the replica manager, so its success means producers and consumers will be served.
   */
  private static boolean leadersServe(Admin admin, String name, int partitions, Duration timeout)
      throws InterruptedException {
    Map<TopicPartition, OffsetSpec> request = new LinkedHashMap<>();
    for (int p = 0; p < partitions; p++) {
      request.put(new TopicPartition(name, p), OffsetSpec.latest());
    }
    try {
      admin.listOffsets(request).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      return true;
    } catch (ExecutionException e) {
      if (e.getCause() instanceof RetriableException) {
        return false;
      }
      throw new IllegalStateException("cannot list offsets of topic '" + name + "': " + e.getCause(), e.getCause());
    } catch (TimeoutException e) {
      return false;
    }
  }
}
