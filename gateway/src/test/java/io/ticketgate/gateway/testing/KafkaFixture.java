package io.ticketgate.gateway.testing;

import io.ticketgate.embedded.EmbeddedKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * Kafka for integration tests: the JVM-wide shared {@link EmbeddedKafka} ({@link #shared()}), or
 * any other cluster such as a Testcontainers one ({@link #forBootstrap}), with helpers that keep
 * tests short.
 *
 * <pre>{@code
 * KafkaFixture kafka = KafkaFixture.shared();
 * String topic = kafka.newTopic("chat-in", 4);
 * try (var producer = kafka.producer()) {
 *   producer.send(new ProducerRecord<>(topic, "conv-1", "hello")).get();
 * }
 * assertThat(kafka.consumeAll(topic, 1, Duration.ofSeconds(10))).hasSize(1);
 * }</pre>
 *
 * <p>The shared broker starts on first use and stops in a JVM shutdown hook, so all IT classes of
 * one Failsafe run pay its start-up once. Tests share it and must therefore use their own topics
 * ({@link #newTopic}) and group ids rather than fixed names.
 */
public final class KafkaFixture implements AutoCloseable {

  /** Guarded by the class; null until a test first asks for the shared broker. */
  private static KafkaFixture shared;

  private final String bootstrapServers;
  private Admin admin;

  private KafkaFixture(String bootstrapServers) {
    this.bootstrapServers = bootstrapServers;
  }

  /**
   * The fixture on this JVM's shared embedded broker, starting it on first use. A failed start is
   * retried by the next caller rather than remembered, and each caller sees its real cause.
   */
  public static synchronized KafkaFixture shared() {
    if (shared == null) {
      EmbeddedKafka broker = EmbeddedKafka.start();
      KafkaFixture fixture = new KafkaFixture(broker.bootstrapServers());
      Runtime.getRuntime()
          .addShutdownHook(
              new Thread(
                  () -> {
                    fixture.close();
                    broker.close();
                  },
                  "kafka-fixture-shutdown"));
      shared = fixture;
    }
    return shared;
  }

  /**
   * A fixture on another cluster, e.g. a container's. The caller closes it, which closes only the
   * fixture's admin client.
   */
  public static KafkaFixture forBootstrap(String bootstrapServers) {
    return new KafkaFixture(bootstrapServers);
  }

  /** The cluster's {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * Creates a topic with a unique name starting with {@code prefix} and waits until every
   * partition has a leader.
   *
   * @return the topic's name
   */
  public String newTopic(String prefix, int partitions) {
    String name = prefix + "-" + UUID.randomUUID().toString().substring(0, 8);
    Admin admin = admin();
    try {
      admin
          .createTopics(List.of(new NewTopic(name, partitions, (short) 1)))
          .all()
          .get(30, TimeUnit.SECONDS);
      awaitLeaders(admin, name, Duration.ofSeconds(30));
    } catch (ExecutionException e) {
      throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("topic " + name + " not confirmed within 30 s", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted creating topic " + name, e);
    }
    return name;
  }

  /** An idempotent producer with String keys and values; the caller closes it. */
  public KafkaProducer<String, String> producer() {
    return new KafkaProducer<>(
        producerConfig(), new StringSerializer(), new StringSerializer());
  }

  /** An idempotent producer with String keys and byte[] values; the caller closes it. */
  public KafkaProducer<String, byte[]> bytesProducer() {
    return new KafkaProducer<>(
        producerConfig(), new StringSerializer(), new ByteArraySerializer());
  }

  private Map<String, Object> producerConfig() {
    return Map.of(
        ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
        ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true,
        ProducerConfig.ACKS_CONFIG, "all",
        // Tests send little; a linger only adds latency.
        ProducerConfig.LINGER_MS_CONFIG, 0);
  }

  /**
   * Reads {@code topic} from the beginning of every partition, without a consumer group, until
   * {@code expectedCount} records arrived. Records of one partition keep their order; partitions
   * are interleaved as fetched.
   *
   * @throws AssertionError when fewer arrive within {@code timeout}, listing what did arrive
   */
  public List<ConsumerRecord<String, String>> consumeAll(
      String topic, int expectedCount, Duration timeout) {
    return consumeAll(topic, expectedCount, timeout, new StringDeserializer());
  }

  /** {@link #consumeAll} with byte[] values, for binary payloads. */
  public List<ConsumerRecord<String, byte[]>> consumeAllBytes(
      String topic, int expectedCount, Duration timeout) {
    return consumeAll(topic, expectedCount, timeout, new ByteArrayDeserializer());
  }

  private <V> List<ConsumerRecord<String, V>> consumeAll(
      String topic, int expectedCount, Duration timeout, Deserializer<V> values) {
    Map<String, Object> config =
        Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers,
            // Records of aborted transactions are not "produced" from a test's point of view.
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<ConsumerRecord<String, V>> records = new ArrayList<>();
    try (KafkaConsumer<String, V> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), values)) {
      // Assigning rather than subscribing: no group, so no rebalance wait and no commits that
      // could confuse a test checking its gateway's group.
      List<TopicPartition> partitions =
          consumer.partitionsFor(topic, timeout).stream()
              .map(p -> new TopicPartition(p.topic(), p.partition()))
              .toList();
      if (partitions.isEmpty()) {
        throw new AssertionError("topic " + topic + " has no partitions (does it exist?)");
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (records.size() < expectedCount && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(100)).forEach(records::add);
      }
    }
    if (records.size() < expectedCount) {
      throw new AssertionError(
          "expected "
              + expectedCount
              + " records on "
              + topic
              + " within "
              + timeout
              + " but got "
              + records.size()
              + ": "
              + records.stream()
                  .map(r -> r.partition() + "@" + r.offset() + " " + r.key())
                  .toList());
    }
    return records;
  }

  /**
   * The offsets group {@code groupId} has committed on {@code topic}, by partition; partitions
   * without a commit are absent.
   */
  public Map<TopicPartition, Long> committedOffsets(String groupId, String topic) {
    try {
      Map<TopicPartition, OffsetAndMetadata> all =
          admin()
              .listConsumerGroupOffsets(groupId)
              .partitionsToOffsetAndMetadata()
              .get(30, TimeUnit.SECONDS);
      Map<TopicPartition, Long> result =
          new TreeMap<>(
              (a, b) -> a.topic().equals(b.topic())
                  ? Integer.compare(a.partition(), b.partition())
                  : a.topic().compareTo(b.topic()));
      all.forEach(
          (partition, offset) -> {
            // Kafka reports a null entry for a partition whose commit was deleted.
            if (partition.topic().equals(topic) && offset != null) {
              result.put(partition, offset.offset());
            }
          });
      return result;
    } catch (ExecutionException e) {
      throw new IllegalStateException(
          "cannot list offsets of group " + groupId + ": " + e.getCause(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException("listing offsets of group " + groupId + " timed out", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted listing offsets of group " + groupId, e);
    }
  }

  /** The fixture's admin client, created on first use; closed with the fixture. */
  public synchronized Admin admin() {
    if (admin == null) {
      admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers));
    }
    return admin;
  }

  /** Closes the admin client; the cluster itself is not touched. */
  @Override
  public synchronized void close() {
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
      admin = null;
    }
  }

  /** createTopics returns once the controller has the topic; the broker learns of it later. */
  private static void awaitLeaders(Admin admin, String topic, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      try {
        TopicDescription description =
            admin
                .describeTopics(List.of(topic))
                .allTopicNames()
                .get(10, TimeUnit.SECONDS)
                .get(topic);
        boolean led =
            description.partitions().stream()
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (led) {
          // Leaders named in metadata may not serve yet; listing offsets waits until they do.
          Map<TopicPartition, OffsetSpec> latest = new LinkedHashMap<>();
          for (var partition : description.partitions()) {
            latest.put(new TopicPartition(topic, partition.partition()), OffsetSpec.latest());
          }
          admin.listOffsets(latest).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
          return;
        }
      } catch (ExecutionException e) {
        // Unknown topic, or a leader not serving yet: both pass in a moment.
        if (!(e.getCause() instanceof RetriableException)) {
          throw new IllegalStateException("cannot describe " + topic + ": " + e.getCause(), e);
        }
      }
      Thread.sleep(20);
    }
    throw new TimeoutException("partitions of " + topic + " have no leader after " + timeout);
  }
}
