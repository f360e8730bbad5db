package io.ticketgate.loadtest.peers;

import io.confluent.parallelconsumer.ParallelConsumerOptions;
import io.confluent.parallelconsumer.ParallelConsumerOptions.CommitMode;
import io.confluent.parallelconsumer.ParallelConsumerOptions.ProcessingOrder;
import io.confluent.parallelconsumer.ParallelEoSStreamProcessor;
import io.confluent.parallelconsumer.internal.DrainingCloseable.DrainingMode;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Confluent Parallel Consumer arm of {@code ./load-test compare}: the same work as Ticketgate
 * (call the bot for each message, one conversation at a time, publish the replies) built the way a
 * Parallel Consumer user would build it, with {@link ProcessingOrder#KEY} so messages of one
 * conversation never overlap. It runs in a JVM of its own with kafka-clients 4.3.x, because
 * Parallel Consumer 0.5.3.3 does not work with the 4.4 Ticketgate uses.
 *
 * <p>Follows the compare-arm contract: prints {@code progress <handled> <committed>} on stdout
 * every 250 ms and {@code done <handled> <committed> <elapsedMicros>} once {@code --expected}
 * records were handled and committed, then exits 0. Exit 2 on wrong usage, 1 on any other error.
 */
public final class ParallelConsumerArm {

  private static final Logger log = LoggerFactory.getLogger(ParallelConsumerArm.class);
  private static final String SEQ_HEADER = "lt-seq";
  private static final long PROGRESS_MILLIS = 250;
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(15);

  private final ArmOptions options;
  private final PrintStream out;
  private final Bot bot;
  private final CommitTracker tracker;

  private ParallelConsumerArm(ArmOptions options, PrintStream out) {
    this.options = options;
    this.out = out;
    this.bot = options.botUrl() != null ? Bot.http(options.botUrl()) : Bot.inProcess(options.botLatencyMillis());
    this.tracker = new CommitTracker(options.expected());
  }

  /** Entry point; see the usage printed by {@code --help}. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs the arm and returns its exit code. */
  static int run(String[] args, PrintStream out, PrintStream err) {
    ArmOptions options;
    try {
      options = ArmOptions.parse(args);
    } catch (IllegalArgumentException e) {
      if (!e.getMessage().equals("help requested")) {
        err.println("parallel-consumer-arm: " + e.getMessage());
      }
      err.print(ArmOptions.USAGE);
      return 2;
    }
    if (!options.ignored().isEmpty()) {
      log.info("ignoring options of other arms: {}", options.ignored());
    }
    try {
      return new ParallelConsumerArm(options, out).runArm();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      err.println("parallel-consumer-arm: interrupted");
      return 1;
    } catch (Exception e) {
      err.println("parallel-consumer-arm: failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }

  private int runArm() throws Exception {
    try (DispatchLog dispatchLog = DispatchLog.open(options.dispatchLog())) {
      ObservedConsumer consumer = new ObservedConsumer(consumerConfig(), tracker);
      KafkaProducer<String, String> producer = new KafkaProducer<>(producerConfig());
      ParallelConsumerOptions<String, String> pcOptions = ParallelConsumerOptions.<String, String>builder()
          .ordering(ProcessingOrder.KEY)
          .maxConcurrency(options.maxConcurrency())
          // At-least-once, as Ticketgate: both consumer commit modes commit only offsets of records
          // whose function finished, and pollAndProduce finishes a record only after its replies
          // are acknowledged, so a crash redoes work but never loses it. Asynchronous is PC's
          // default and fastest, and matches Ticketgate's own steady-state commitAsync; a failed
          // commit is superseded by the next. PERIODIC_TRANSACTIONAL_PRODUCER would make the
          // Kafka side exactly-once but not the bot call, and Ticketgate has no counterpart.
          .commitMode(CommitMode.PERIODIC_CONSUMER_ASYNCHRONOUS)
          // PC's default is 5 s; the harness gives Ticketgate 0.5 s, so "committed" lags alike.
          .commitInterval(options.commitInterval())
          .consumer(consumer)
          .producer(producer)
          .build();
      ParallelEoSStreamProcessor<String, String> pc = new ParallelEoSStreamProcessor<>(pcOptions);
      Thread progress = Thread.ofPlatform().daemon().name("arm-progress").start(this::printProgress);
      try {
        pc.subscribe(List.of(options.input()));
        // pollAndProduceMany rather than poll plus a producer of our own: PC then sends the
        // replies, waits for their acks and only then counts the record as done, which is the
        // produce-before-commit order at-least-once needs, written the way PC's docs suggest.
        pc.pollAndProduceMany(context -> handle(context.getSingleConsumerRecord(), dispatchLog));
        while (!tracker.awaitDone(100)) {
          if (pc.isClosedOrFailed()) {
            throw new IllegalStateException("Parallel Consumer stopped before " + options.expected()
                + " records were committed (handled " + tracker.handled() + ", committed " + tracker.committed()
                + ")", pc.getFailureCause());
          }
          if (tracker.handled() >= options.expected()) {
            // Everything is handled; commit now rather than at the next interval, so the elapsed
            // time measures the work and not the timer.
            pc.requestCommitAsap();
          }
        }
        long elapsedMicros = (tracker.doneNanos() - consumer.firstRecordsNanos()) / 1_000;
        progress.interrupt();
        progress.join(1_000);
        synchronized (out) {
          out.println("progress " + tracker.handled() + " " + tracker.committed());
          out.println("done " + tracker.handled() + " " + tracker.committed() + " " + elapsedMicros);
          out.flush();
        }
      } finally {
        progress.interrupt();
        close(pc);
      }
    }
    return 0;
  }

  /** The user function: one record, one bot call, one output record per reply. */
  private List<ProducerRecord<String, String>> handle(ConsumerRecord<String, String> record, DispatchLog dispatchLog) {
    String where = record.topic() + "-" + record.partition() + "@" + record.offset();
    InputMessage message = InputMessage.parse(record.key(), record.value(), where);
    long start = DispatchLog.epochMicros();
    List<String> replies;
    try {
      replies = bot.call(message);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      dispatchLog.write(message.conversation(), message.seq(), start, DispatchLog.epochMicros(), false);
      throw new IllegalStateException("interrupted calling the bot for " + where, e);
    } catch (RuntimeException e) {
      // PC logs the failure and retries the record after its retry delay.
      dispatchLog.write(message.conversation(), message.seq(), start, DispatchLog.epochMicros(), false);
      throw e;
    }
    dispatchLog.write(message.conversation(), message.seq(), start, DispatchLog.epochMicros(), true);
    tracker.handled(new TopicPartition(record.topic(), record.partition()), record.offset());
    byte[] seq = Long.toString(message.seq()).getBytes(StandardCharsets.UTF_8);
    List<ProducerRecord<String, String>> results = new ArrayList<>(replies.size());
    for (String reply : replies) {
      ProducerRecord<String, String> r = new ProducerRecord<>(options.output(), message.conversation(), reply);
      r.headers().add(SEQ_HEADER, seq);
      results.add(r);
    }
    return results;
  }

  private void printProgress() {
    while (!Thread.currentThread().isInterrupted()) {
      synchronized (out) {
        out.println("progress " + tracker.handled() + " " + tracker.committed());
        out.flush();
      }
      try {
        Thread.sleep(PROGRESS_MILLIS);
      } catch (InterruptedException e) {
        return; // the arm is done and prints the last line itself
      }
    }
  }

  /** Bounded: PC's close waits for its threads; a hung one must not keep the arm alive. */
  private static void close(ParallelEoSStreamProcessor<String, String> pc) {
    Thread closer = Thread.ofPlatform().daemon().name("arm-close").start(() -> {
      try {
        pc.close(CLOSE_TIMEOUT, DrainingMode.DONT_DRAIN);
      } catch (Exception e) {
        // PC rethrows its control thread's failure here, checked exceptions included.
        log.warn("closing Parallel Consumer failed (everything expected was committed before): {}", e.toString(), e);
      }
    });
    try {
      closer.join(CLOSE_TIMEOUT.plusSeconds(5));
      if (closer.isAlive()) {
        log.warn("Parallel Consumer did not close within {} s; exiting anyway", CLOSE_TIMEOUT.toSeconds() + 5);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("interrupted while closing Parallel Consumer; exiting anyway");
    }
  }

  private Properties consumerConfig() {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, options.group());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // PC commits by itself and refuses a consumer that auto-commits.
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, "pc-arm-" + options.group());
    return p;
  }

  private Properties producerConfig() {
    // Kafka's defaults otherwise (acks=all, idempotence on), as a PC user would start.
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrap());
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, "pc-arm-replies-" + options.group());
    return p;
  }
}
