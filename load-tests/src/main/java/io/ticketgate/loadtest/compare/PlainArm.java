package io.ticketgate.loadtest.compare;

import java.time.Duration;
import java.util.List;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * The naive baseline: one thread polls, calls the bot for each record in turn, sends each reply
 * and waits for its ack, and commits after each batch. Ordered and exclusive by construction, and
 * as slow as the bot.
 */
public final class PlainArm {

  private PlainArm() {}

  /** Entry point; takes the arm contract's options. */
  public static void main(String[] argv) {
    RawClients.main("plain", argv, PlainArm::run);
  }

  static void run(ArmArgs args, ArmRuntime rt) throws Exception {
    String output = args.requireOutput();
    ArmArgs.BotSpec spec = args.requireBot();
    InProcessBot inProcess = spec.http() ? null : new InProcessBot(spec.latencyMillis());
    RasaClient http = spec.http() ? new RasaClient(spec.url()) : null;
    // linger 0: each send is awaited before the next, so a linger would only add to every record.
    try (KafkaConsumer<String, String> consumer = RawClients.consumer(args);
        KafkaProducer<String, String> producer = RawClients.producer(args, 0)) {
      consumer.subscribe(List.of(args.input()));
      while (!rt.checkDone()) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) {
          continue;
        }
        rt.consumed();
        for (ConsumerRecord<String, String> r : records) {
          long seq = ArmRuntime.seq(r.value());
          String message = "seq=" + seq;
          long start = ArmRuntime.nowMicros();
          List<String> replies = http != null ? http.send(r.key(), message, seq) : List.of(inProcess.answer(message));
          rt.dispatched(r.key(), seq, -1, start, ArmRuntime.nowMicros(), true);
          for (String text : replies) {
            producer.send(RawClients.reply(output, r.key(), seq, text)).get();
          }
          rt.handled.incrementAndGet();
        }
        consumer.commitSync(DrainArm.nextOffsets(records));
        rt.committed.addAndGet(records.count());
      }
    }
    rt.finish();
  }
}
