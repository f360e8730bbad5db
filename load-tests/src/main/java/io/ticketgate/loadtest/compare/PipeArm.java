package io.ticketgate.loadtest.compare;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;

/**
 * Ceiling arm: a raw at-least-once pipe. For each polled batch it sends one output record per
 * input record, flushes and waits for every ack, and only then commits the batch synchronously,
 * so nothing is committed that was not durably answered. No bot. Its dispatch log has one line per
 * record with start = end, the moment it was handed to the producer.
 */
public final class PipeArm {

  private PipeArm() {}

  /** Entry point; takes the arm contract's options. */
  public static void main(String[] argv) {
    RawClients.main("pipe", argv, PipeArm::run);
  }

  static void run(ArmArgs args, ArmRuntime rt) throws Exception {
    String output = args.requireOutput();
    AtomicReference<Exception> failed = new AtomicReference<>();
    try (KafkaConsumer<String, String> consumer = RawClients.consumer(args);
        KafkaProducer<String, String> producer = RawClients.producer(args, 5)) {
      consumer.subscribe(List.of(args.input()));
      while (!rt.checkDone()) {
        ConsumerRecords<String, String> records = consumer.poll(Duration.ofMillis(100));
        if (records.isEmpty()) {
          continue;
        }
        rt.consumed();
        for (ConsumerRecord<String, String> r : records) {
          long seq = ArmRuntime.seq(r.value());
          long t = ArmRuntime.nowMicros();
          producer.send(RawClients.reply(output, r.key(), seq, "echo: seq=" + seq), (meta, e) -> {
            if (e != null) {
              failed.compareAndSet(null, e);
            }
          });
          rt.dispatched(r.key(), seq, -1, t, t, true);
        }
        producer.flush(); // returns once every record sent so far is acknowledged or failed
        if (failed.get() != null) {
          throw new IllegalStateException("an output record was not acknowledged; not committing", failed.get());
        }
        rt.handled.addAndGet(records.count());
        consumer.commitSync(DrainArm.nextOffsets(records));
        rt.committed.addAndGet(records.count());
      }
    }
    rt.finish();
  }
}
