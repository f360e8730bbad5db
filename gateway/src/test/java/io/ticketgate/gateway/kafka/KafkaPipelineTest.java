package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.GatewayConfigs;
import io.ticketgate.gateway.config.KafkaSettings;
import io.ticketgate.store.memory.InMemoryLockStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.consumer.OffsetCommitCallback;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;

/**
 * The pipeline's revocation and hand-over decisions, with Kafka's own in-memory consumer and
 * producer and the in-memory lock store: no broker, no network.
 */
class KafkaPipelineTest {

  private static final String TOPIC = "in";
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);

  /** Answers at once, except "a says 1" when {@code hold}: that one it holds until interrupted. */
  private static final class HoldingBot implements BotHandler {
    final List<String> seen = new CopyOnWriteArrayList<>();
    final CountDownLatch holding = new CountDownLatch(1);
    final boolean hold;

    HoldingBot(boolean hold) {
      this.hold = hold;
    }

    @Override
    public List<BotReply> handle(io.ticketgate.gateway.BotRequest request) throws BotException {
      seen.add(request.text());
      if (hold && request.text().equals("a says 1")) {
        holding.countDown();
        try {
          new CountDownLatch(1).await();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw BotException.retryable("bot_timeout", "interrupted", e);
        }
      }
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    }
  }

  private static final class Counting implements PipelineListener {
    final AtomicInteger skipped = new AtomicInteger();
    final AtomicInteger dropped = new AtomicInteger();

    @Override
    public void skippedDuplicate() {
      skipped.incrementAndGet();
    }

    @Override
    public void droppedOnRevoke() {
      dropped.incrementAndGet();
    }
  }

  @Test
  void aRevokedPartitionsCommitTellsTheNextOwnerWhatNotToDispatchAgain() throws Exception {
    // Offsets: 0 "a says 1" (held in the bot), 1 "b says 1", 2 "c says 1", 3 "a says 2" (queued behind 0).
    List<String> texts = List.of("a says 1", "b says 1", "c says 1", "a says 2");

    HoldingBot firstBot = new HoldingBot(true);
    Counting firstListener = new Counting();
    RecordingConsumer first = consumer();
    KafkaPipeline one = pipeline(first, firstBot, firstListener);
    one.start();
    assign(first, texts, null);
    awaitTrue(() -> firstBot.seen.containsAll(List.of("b says 1", "c says 1")) && firstBot.holding.getCount() == 0);
    awaitTrue(() -> one.inFlight() == 2); // b and c finished; a's two records are not

    first.schedulePollTask(() -> first.rebalance(List.of())); // the partition moves away
    awaitTrue(() -> one.assignment().isEmpty());
    OffsetAndMetadata committed = first.lastCommit;
    one.stop(Duration.ofSeconds(5));

    assertThat(committed.offset()).as("a says 1 never finished: %s", committed).isEqualTo(0);
    assertThat(committed.metadata()).as("metadata").startsWith("tg1:");
    CommitMetadata.Progress progress = CommitMetadata.decode(0, committed.metadata());
    assertThat(progress.end()).isEqualTo(4);
    assertThat(progress.unfinished()).as("b and c finished; a's records did not").containsExactly(0L, 3L);
    assertThat(firstListener.dropped).as("a says 2 was queued, never started").hasValue(1);

    HoldingBot secondBot = new HoldingBot(false);
    Counting secondListener = new Counting();
    RecordingConsumer second = consumer();
    KafkaPipeline two = pipeline(second, secondBot, secondListener);
    two.start();
    assign(second, texts, committed);
    awaitTrue(() -> secondBot.seen.size() == 2 && two.inFlight() == 0);
    two.stop(Duration.ofSeconds(5));

    assertThat(secondBot.seen).as("only what the first owner did not finish, in order").containsExactly("a says 1", "a says 2");
    assertThat(secondListener.skipped).hasValue(2);
  }

  /**
   * Keeps the last commit, whichever way it was made: what the next owner of the partition reads.
   * (The mock's own {@code committed()} loses the metadata once the partition is unassigned.)
   */
  private static final class RecordingConsumer extends MockConsumer<byte[], byte[]> {
    volatile OffsetAndMetadata lastCommit;

    RecordingConsumer() {
      super("earliest");
    }

    @Override
    public synchronized void commitAsync(Map<TopicPartition, OffsetAndMetadata> offsets, OffsetCommitCallback callback) {
      super.commitAsync(offsets, callback);
      if (offsets.containsKey(TP)) {
        lastCommit = offsets.get(TP);
      }
    }
  }

  private static RecordingConsumer consumer() {
    RecordingConsumer c = new RecordingConsumer();
    c.updateBeginningOffsets(Map.of(TP, 0L));
    return c;
  }

  /**
   * Assigns the partition (on the poll thread, as a broker would), with the previous owner's commit
   * if there was one, and hands it the records.
   */
  private static void assign(MockConsumer<byte[], byte[]> c, List<String> texts, OffsetAndMetadata previousCommit) {
    c.schedulePollTask(() -> {
      c.rebalance(List.of(TP));
      if (previousCommit != null) {
        c.commitSync(Map.of(TP, previousCommit));
      }
      for (int i = 0; i < texts.size(); i++) {
        String text = texts.get(i);
        c.addRecord(new ConsumerRecord<>(TOPIC, 0, i, text.substring(0, 1).getBytes(StandardCharsets.UTF_8),
            text.getBytes(StandardCharsets.UTF_8)));
      }
    });
  }

  private static KafkaPipeline pipeline(MockConsumer<byte[], byte[]> consumer, BotHandler bot, PipelineListener listener) {
    GatewayConfig d = GatewayConfigs.defaults();
    KafkaSettings k = d.kafka();
    DispatchSettings s = d.dispatch();
    GatewayConfig config = d
        .withKafka(new KafkaSettings(k.bootstrapServers(), "g", List.of(TOPIC), "out", "dlq", k.conversationId(),
            k.maxMessageBytes(), Map.of(), Map.of()))
        .withDispatch(new DispatchSettings(s.maxInFlight(), 0, Duration.ofMillis(1), Duration.ofMillis(1),
            Duration.ofMinutes(5), s.lockMaxWait(), Duration.ofSeconds(5), Duration.ofMillis(300), Duration.ofMillis(50)));
    MockProducer<byte[], byte[]> producer = new MockProducer<>(true, null, new ByteArraySerializer(), new ByteArraySerializer());
    return new KafkaPipeline(config, new InMemoryLockStore(), bot, listener, consumer, producer);
  }

  private static void awaitTrue(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within 10 s");
      }
      Thread.sleep(5);
    }
  }
}
