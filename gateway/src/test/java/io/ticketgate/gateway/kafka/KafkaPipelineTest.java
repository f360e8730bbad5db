package io.ticketgate.gateway.kafka;

import static io.ticketgate.gateway.kafka.PipelineFixture.DLQ;
import static io.ticketgate.gateway.kafka.PipelineFixture.OUT;
import static io.ticketgate.gateway.kafka.PipelineFixture.TOPIC;
import static io.ticketgate.gateway.kafka.PipelineFixture.assign;
import static io.ticketgate.gateway.kafka.PipelineFixture.awaitTrue;
import static io.ticketgate.gateway.kafka.PipelineFixture.header;
import static io.ticketgate.gateway.kafka.PipelineFixture.interleaved;
import static io.ticketgate.gateway.kafka.PipelineFixture.pipeline;
import static io.ticketgate.gateway.kafka.PipelineFixture.producer;
import static io.ticketgate.gateway.kafka.PipelineFixture.published;
import static io.ticketgate.gateway.kafka.PipelineFixture.record;
import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.BotException;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.Headers;
import io.ticketgate.gateway.config.BreakerSettings;
import io.ticketgate.gateway.kafka.PipelineFixture.Counting;
import io.ticketgate.gateway.kafka.PipelineFixture.RecordingConsumer;
import io.ticketgate.gateway.kafka.PipelineFixture.ScriptedBot;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.memory.InMemoryLockStore;
import io.ticketgate.store.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/**
 * The pipeline's decisions — order, retries, fencing, revocation, shutdown — on Kafka's in-memory
 * consumer and producer and the in-memory lock store: no broker, no network.
 */
class KafkaPipelineTest {

  private static final TopicPartition P0 = new TopicPartition(TOPIC, 0);
  private static final TopicPartition P1 = new TopicPartition(TOPIC, 1);

  @Test
  void eachConversationIsDispatchedOneAtATimeInOrderAndAStopCommitsEverything() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      // A little jitter so that conversations overtake each other and a missing turn would show.
      sleepMicros(ThreadLocalRandom.current().nextInt(0, 1500));
      return List.of(BotReply.json("{\"text\": \"echo: " + request.text() + "\"}"));
    });
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, new Counting(), 3);
    List<ConsumerRecord<byte[], byte[]>> records = interleaved(6, 25, 2);
    pipeline.start();
    assign(consumer, List.of(P0, P1), Map.of(), records);
    awaitTrue("every record answered", () -> bot.calls.size() == records.size() && pipeline.inFlight() == 0);
    assertThat(pipeline.stop(Duration.ofSeconds(10))).isTrue();

    assertThat(bot.overlaps).as("calls that overlapped another of their conversation").isEmpty();
    for (int c = 0; c < 6; c++) {
      String conversation = "c" + c;
      assertThat(bot.texts(conversation)).containsExactlyElementsOf(
          IntStream.rangeClosed(1, 25).mapToObj(m -> conversation + " says " + m).toList());
    }
    assertThat(published(producer, OUT)).hasSize(records.size());
    assertThat(consumer.lastCommit).containsEntry(P0, new OffsetAndMetadata(75, ""))
        .containsEntry(P1, new OffsetAndMetadata(75, ""));
  }

  @Test
  void aRetryableFailureIsRetriedOnTheSameTicketAndAnsweredOnce() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      if (n <= 2) {
        throw BotException.retryable("bot_http_503", "unavailable", null);
      }
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    });
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    runToEnd(bot, listener, producer, 3, List.of(record(0, 0, "c1 says 1")));

    assertThat(bot.calls).extracting(ScriptedBot.Call::attempt).containsExactly(1, 2, 3);
    assertThat(bot.calls).extracting(ScriptedBot.Call::ticket).containsOnly(bot.calls.get(0).ticket());
    assertThat(listener.retried).hasValue(2);
    assertThat(published(producer, OUT)).containsExactly("{\"text\": \"ok\"}");
    assertThat(listener.deadLetters).isEmpty();
  }

  @Test
  void aPermanentFailureIsDeadLetteredAtOnceWithItsTicketAndTheConversationMovesOn() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      if (request.text().endsWith("1")) {
        throw BotException.permanent("bot_http_400", "bad request", null);
      }
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    });
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    runToEnd(bot, listener, producer, 3, List.of(record(0, 0, "c1 says 1"), record(0, 1, "c1 says 2")));

    assertThat(bot.texts("c1")).containsExactly("c1 says 1", "c1 says 2");
    assertThat(listener.deadLetters).containsExactly("bot_http_400");
    assertThat(header(producer, DLQ, Headers.DEAD_LETTER_REASON)).containsExactly("bot_http_400");
    assertThat(header(producer, DLQ, Headers.TICKET)).doesNotContainNull();
    assertThat(published(producer, OUT)).containsExactly("{\"text\": \"ok\"}");
  }

  @Test
  void whatAJobLogsCarriesItsRecordConversationAndTicketInTheMdc() throws Exception {
    List<Map<String, String>> seen = new java.util.concurrent.CopyOnWriteArrayList<>();
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      seen.add(org.slf4j.MDC.getCopyOfContextMap()); // the bot is called on the job's own thread
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    });
    runToEnd(bot, new Counting(), producer(), 3, List.of(record(0, 0, "c1 says 1"), record(0, 1, "c1 says 2")));

    assertThat(seen).containsExactly(
        Map.of("topic", TOPIC, "partition", "0", "offset", "0", "conversation", "c1",
            "ticket", Integer.toString(bot.calls.get(0).ticket())),
        Map.of("topic", TOPIC, "partition", "0", "offset", "1", "conversation", "c1",
            "ticket", Integer.toString(bot.calls.get(1).ticket())));
  }

  @Test
  void recordsTheConversationsProgressMarkCoversAreNotSentToTheBotAgain() throws Exception {
    // What a replica that answered c1's first two records and died before committing left behind.
    List<ConsumerRecord<byte[], byte[]>> records = List.of(record(0, 0, "c1 says 1"), record(0, 1, "c1 says 2"),
        record(0, 2, "c2 says 1"), record(0, 3, "c1 says 3"));
    InMemoryLockStore store = new InMemoryLockStore();
    store.lock("c1").close(ProgressMark.of(records.get(1)));
    ScriptedBot bot = ScriptedBot.echo();
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, 3, BreakerSettings.defaults(), store);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), new ArrayList<>(records));
    awaitTrue("every record over and committed", () -> pipeline.inFlight() == 0
        && consumer.lastCommit.containsKey(P0) && consumer.lastCommit.get(P0).offset() == 4);
    assertThat(pipeline.stop(Duration.ofSeconds(5))).isTrue();

    assertThat(bot.texts("c1")).containsExactly("c1 says 3");
    assertThat(bot.texts("c2")).containsExactly("c2 says 1");
    assertThat(listener.skipped).hasValue(2);
    assertThat(published(producer, OUT)).hasSize(2);
    try (var held = store.lock("c1")) {
      assertThat(held.progress()).as("the last answered record of c1").isEqualTo(ProgressMark.of(records.get(3)));
    }
  }

  @Test
  void aRecordRejectedBeforeItsTicketIsDeadLetteredWithoutOne() throws Exception {
    ScriptedBot bot = ScriptedBot.echo();
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    ConsumerRecord<byte[], byte[]> empty = new ConsumerRecord<>(TOPIC, 0, 0, "c1".getBytes(), new byte[0]);
    runToEnd(bot, listener, producer, 3, List.of(empty, record(0, 1, "c1 says 2")));

    assertThat(listener.deadLetters).containsExactly("empty_value");
    assertThat(header(producer, DLQ, Headers.TICKET)).containsExactly((String) null);
    assertThat(bot.texts("c1")).containsExactly("c1 says 2");
  }

  @Test
  void aFencedAnswerTakesANewTicketAndDispatchesAgain() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      if (n == 1) {
        throw BotException.fenced("bot_fenced", "a newer ticket was accepted", null);
      }
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    });
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    runToEnd(bot, listener, producer, 3, List.of(record(0, 0, "c1 says 1"), record(0, 1, "c1 says 2")));

    assertThat(bot.texts("c1")).containsExactly("c1 says 1", "c1 says 1", "c1 says 2", "c1 says 2");
    assertThat(listener.fenced).hasValue(2);
    assertThat(listener.deadLetters).isEmpty();
    assertThat(published(producer, OUT)).hasSize(2);
  }

  @Test
  void aTurnTheBotFindsLostAsItsCallIsAboutToLeaveTakesANewTicketWithoutCountingACall() throws Exception {
    // The handler is handed the held ticket's own check: once the store's clock is past the ticket's
    // lifetime (the process was paused between the gateway's check and the handler's send), it says lost.
    MutableClock clock = new MutableClock();
    LockStore store = new InMemoryLockStore(LockStoreOptions.builder().clock(clock).build());
    List<Boolean> seenLost = new CopyOnWriteArrayList<>();
    ScriptedBot bot = new ScriptedBot((request, n, turn) -> {
      if (request.text().equals("c1 says 1") && n == 1) {
        clock.advance(Duration.ofHours(1));
      }
      seenLost.add(turn.isLost());
      if (turn.isLost()) {
        throw BotException.turnLost("the ticket's lifetime ran out before the request left");
      }
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    });
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    RecordingConsumer consumer = new RecordingConsumer();
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, 3, BreakerSettings.defaults(), store);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), new ArrayList<>(List.of(record(0, 0, "c1 says 1"), record(0, 1, "c1 says 2"))));
    awaitTrue("both records over and committed", () -> pipeline.inFlight() == 0
        && consumer.lastCommit.containsKey(P0) && consumer.lastCommit.get(P0).offset() == 2);
    assertThat(pipeline.stop(Duration.ofSeconds(5))).isTrue();

    assertThat(seenLost).containsExactly(true, false, false);
    assertThat(bot.texts("c1")).containsExactly("c1 says 1", "c1 says 1", "c1 says 2");
    assertThat(listener.fenced).hasValue(1);
    assertThat(listener.botCalls).as("the call that never left is not a bot call").containsExactly(BotCallOutcome.OK,
        BotCallOutcome.OK);
    assertThat(listener.deadLetters).isEmpty();
    assertThat(published(producer, OUT)).hasSize(2);
  }

  @Test
  void aTurnLostBeforeEveryCallEndsInABotFencedDeadLetterWithoutABotCall() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n, turn) -> {
      throw BotException.turnLost("lost before it left");
    });
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    runToEnd(bot, listener, producer, 2, List.of(record(0, 0, "c1 says 1")));

    assertThat(listener.deadLetters).as("the reason the README lists for a record fenced retries + 1 times")
        .containsExactly("bot_fenced");
    assertThat(listener.fenced).hasValue(3);
    assertThat(listener.botCalls).isEmpty();
    assertThat(published(producer, OUT)).isEmpty();
  }

  @Test
  void aBotThatFencesEveryTicketEndsInABotFencedDeadLetterAfterRetriesPlusOne() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      throw BotException.fenced("bot_fenced", "always", null);
    });
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    runToEnd(bot, listener, producer, 2, List.of(record(0, 0, "c1 says 1")));

    assertThat(bot.calls).hasSize(3);
    assertThat(listener.deadLetters).containsExactly("bot_fenced");
    assertThat(published(producer, OUT)).isEmpty();
  }

  @Test
  void aRevokedPartitionsCommitTellsTheNextOwnerWhatNotToDispatchAgain() throws Exception {
    // Offsets: 0 "a says 1" (held in the bot), 1 "b says 1", 2 "c says 1", 3 "a says 2" (queued behind 0).
    List<ConsumerRecord<byte[], byte[]>> records = List.of(record(0, 0, "a says 1"), record(0, 1, "b says 1"),
        record(0, 2, "c says 1"), record(0, 3, "a says 2"));
    CountDownLatch holding = new CountDownLatch(1);
    // "a says 1" is answered never: revocation_timeout interrupts it.
    ScriptedBot firstBot = ScriptedBot.holding("a says 1", holding, new CountDownLatch(1), new AtomicBoolean());
    Counting firstListener = new Counting();
    RecordingConsumer first = new RecordingConsumer();
    KafkaPipeline one = pipeline(first, producer(), firstBot, firstListener, 0);
    one.start();
    assign(first, List.of(P0), Map.of(), records);
    awaitTrue("b and c answered, a held", () -> firstBot.calls.size() == 3 && holding.getCount() == 0
        && one.inFlight() == 2);

    first.schedulePollTask(() -> first.rebalance(List.of())); // the partition moves away
    awaitTrue("revoked", () -> one.assignment().isEmpty());
    OffsetAndMetadata committed = first.lastCommit.get(P0);
    one.stop(Duration.ofSeconds(5));

    assertThat(committed.offset()).as("a says 1 never finished").isEqualTo(0);
    CommitMetadata.Progress progress = CommitMetadata.decode(0, committed.metadata());
    assertThat(progress.end()).isEqualTo(4);
    assertThat(progress.unfinished()).as("b and c finished; a's records did not").containsExactly(0L, 3L);
    assertThat(firstListener.dropped).as("a says 2 was queued, never started").hasValue(1);

    ScriptedBot secondBot = ScriptedBot.echo();
    Counting secondListener = new Counting();
    RecordingConsumer second = new RecordingConsumer();
    KafkaPipeline two = pipeline(second, producer(), secondBot, secondListener, 0);
    two.start();
    assign(second, List.of(P0), Map.of(P0, committed), records);
    awaitTrue("a's records answered", () -> secondBot.calls.size() == 2 && two.inFlight() == 0);
    two.stop(Duration.ofSeconds(5));

    assertThat(secondBot.texts("a")).as("only what the first owner did not finish, in order")
        .containsExactly("a says 1", "a says 2");
    assertThat(secondBot.calls).hasSize(2);
    assertThat(secondListener.skipped).hasValue(2);
    assertThat(second.lastCommit).containsEntry(P0, new OffsetAndMetadata(4, ""));
  }

  @Test
  void anOutageDeadLettersNothingHeldRecordsKeepTheirTurnsAndEachConversationItsOrder() throws Exception {
    AtomicBoolean down = new AtomicBoolean(true);
    ScriptedBot bot = ScriptedBot.echoUnlessDown(down);
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    // One retry only: without the breaker every record would be dead-lettered.
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, 1, BREAKER);
    List<ConsumerRecord<byte[], byte[]>> records = interleaved(4, 3, 1);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), records);
    awaitTrue("the breaker opened, and opened again after a failed probe",
        () -> listener.breakerTransitions.stream().filter(BreakerState.OPEN::equals).count() >= 2);
    down.set(false);
    awaitTrue("every record answered and committed", () -> pipeline.inFlight() == 0
        && consumer.lastCommit.containsKey(P0) && consumer.lastCommit.get(P0).offset() == records.size());
    assertThat(pipeline.stop(Duration.ofSeconds(10))).isTrue();

    assertThat(listener.deadLetters).isEmpty();
    assertThat(bot.overlaps).isEmpty();
    for (int c = 0; c < 4; c++) {
      String conversation = "c" + c;
      assertThat(withoutRepeats(bot.texts(conversation))).as("calls of %s, retries folded", conversation)
          .containsExactlyElementsOf(IntStream.rangeClosed(1, 3).mapToObj(m -> conversation + " says " + m).toList());
    }
    assertThat(published(producer, OUT)).hasSize(records.size());
    assertThat(listener.breakerTransitions).last().isEqualTo(BreakerState.CLOSED);
    assertThat(pipeline.breakerState()).isEqualTo(BreakerState.CLOSED);
    assertThat(pipeline.held()).isZero();
  }

  @Test
  void aMessageTheBotKeepsFailingIsDeadLetteredAfterItsRetriesWithoutOpeningTheBreaker() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      if (request.conversationId().equals("c1")) {
        throw BotException.retryableError("bot_http_500", "this one always fails", null);
      }
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    });
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    // The default breaker: four 500s in a row are the bot failing on one message, not an outage.
    runToEnd(bot, listener, producer, 3, List.of(record(0, 0, "c1 says 1"), record(0, 1, "c2 says 1")));

    assertThat(bot.texts("c1")).hasSize(4);
    assertThat(listener.deadLetters).containsExactly("bot_http_500");
    assertThat(listener.breakerTransitions).isEmpty();
    assertThat(published(producer, OUT)).containsExactly("{\"text\": \"ok\"}");
  }

  @Test
  void aMessageAloneInFlightWhenTheBotGoesDownIsHeldWithTheDefaultBreaker() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      if (n <= 4) { // as many failures as the record has attempts: without the breaker, a dead letter
        throw BotException.retryable("bot_http_503", "restarting", null);
      }
      return List.of(BotReply.json("{\"text\": \"ok\"}"));
    });
    Counting listener = new Counting();
    MockProducer<byte[], byte[]> producer = producer();
    runToEnd(bot, listener, producer, 3, List.of(record(0, 0, "c1 says 1")));

    assertThat(bot.texts("c1")).hasSize(5);
    assertThat(listener.deadLetters).isEmpty();
    assertThat(listener.breakerTransitions).contains(BreakerState.OPEN).last().isEqualTo(BreakerState.CLOSED);
    assertThat(published(producer, OUT)).containsExactly("{\"text\": \"ok\"}");
  }

  @Test
  void aStopWhileRecordsAreHeldGivesThemUpUnfinishedAndDeadLettersNothing() throws Exception {
    ScriptedBot bot = new ScriptedBot((request, n) -> {
      throw BotException.retryable("bot_unreachable", "connection refused", null);
    });
    Counting listener = new Counting();
    RecordingConsumer consumer = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, 3, LONG_OPEN_BREAKER);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), List.of(record(0, 0, "a says 1"), record(0, 1, "b says 1"),
        record(0, 2, "a says 2")));
    awaitTrue("a and b held", () -> pipeline.held() == 2);
    assertThat(pipeline.breakerState()).isEqualTo(BreakerState.OPEN);
    assertThat(pipeline.stop(Duration.ofSeconds(10))).isTrue();

    assertThat(listener.deadLetters).isEmpty();
    assertThat(published(producer, OUT)).isEmpty();
    OffsetAndMetadata committed = consumer.lastCommit.get(P0);
    assertThat(committed == null || committed.offset() == 0).as("nothing committed past the held records: %s",
        committed).isTrue();
    assertThat(bot.texts("a")).as("a says 2 stayed queued behind a says 1").doesNotContain("a says 2");
  }

  @Test
  void aRevocationWhileRecordsAreHeldHandsThemToTheNextOwner() throws Exception {
    List<ConsumerRecord<byte[], byte[]>> records = List.of(record(0, 0, "a says 1"), record(0, 1, "b says 1"),
        record(0, 2, "a says 2"));
    ScriptedBot downBot = new ScriptedBot((request, n) -> {
      throw BotException.retryable("bot_http_502", "bad gateway", null);
    });
    Counting firstListener = new Counting();
    RecordingConsumer first = new RecordingConsumer();
    KafkaPipeline one = pipeline(first, producer(), downBot, firstListener, 3, LONG_OPEN_BREAKER);
    one.start();
    assign(first, List.of(P0), Map.of(), records);
    awaitTrue("a and b held", () -> one.held() == 2);
    first.schedulePollTask(() -> first.rebalance(List.of())); // the partition moves away
    awaitTrue("revoked", () -> one.assignment().isEmpty() && one.inFlight() == 0);
    OffsetAndMetadata committed = first.lastCommit.get(P0);
    one.stop(Duration.ofSeconds(5));
    assertThat(firstListener.deadLetters).isEmpty();
    assertThat(committed.offset()).isZero();

    ScriptedBot upBot = ScriptedBot.echo();
    Counting secondListener = new Counting();
    RecordingConsumer second = new RecordingConsumer();
    MockProducer<byte[], byte[]> producer = producer();
    KafkaPipeline two = pipeline(second, producer, upBot, secondListener, 3, LONG_OPEN_BREAKER);
    two.start();
    assign(second, List.of(P0), Map.of(P0, committed), records);
    awaitTrue("every record answered by the next owner", () -> upBot.calls.size() == 3 && two.inFlight() == 0);
    two.stop(Duration.ofSeconds(5));
    assertThat(upBot.texts("a")).containsExactly("a says 1", "a says 2");
    assertThat(secondListener.deadLetters).isEmpty();
    assertThat(published(producer, OUT)).hasSize(3);
  }

  /** Opens after 2 failures in a row, for 20 ms doubling up to 80 ms. */
  private static final BreakerSettings BREAKER = new BreakerSettings(true, 2, 1.0, 100, Duration.ofMillis(20),
      Duration.ofMillis(80));
  /** Opens at the first failure and stays open far longer than any test. */
  private static final BreakerSettings LONG_OPEN_BREAKER = new BreakerSettings(true, 1, 1.0, 100,
      Duration.ofHours(1), Duration.ofHours(1));

  /** {@code texts} with each run of equal neighbours (a retried call) folded into one. */
  private static List<String> withoutRepeats(List<String> texts) {
    List<String> out = new ArrayList<>();
    for (String t : texts) {
      if (out.isEmpty() || !out.get(out.size() - 1).equals(t)) {
        out.add(t);
      }
    }
    return out;
  }

  /** Runs {@code records} on partition 0 until every one is over, then stops. */
  private static void runToEnd(ScriptedBot bot, Counting listener, MockProducer<byte[], byte[]> producer, int retries,
      List<ConsumerRecord<byte[], byte[]>> records) throws InterruptedException {
    RecordingConsumer consumer = new RecordingConsumer();
    KafkaPipeline pipeline = pipeline(consumer, producer, bot, listener, retries);
    pipeline.start();
    assign(consumer, List.of(P0), Map.of(), new ArrayList<>(records));
    long end = records.get(records.size() - 1).offset() + 1;
    awaitTrue("every record over and committed", () -> pipeline.inFlight() == 0
        && consumer.lastCommit.containsKey(P0) && consumer.lastCommit.get(P0).offset() == end);
    assertThat(pipeline.stop(Duration.ofSeconds(5))).isTrue();
  }

  private static void sleepMicros(int micros) {
    try {
      Thread.sleep(Duration.ofNanos(micros * 1000L));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
