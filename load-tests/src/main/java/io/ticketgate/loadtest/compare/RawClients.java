package io.ticketgate.loadtest.compare;

import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/** Kafka clients of the raw arms (drain, pipe, plain), configured as a careful team would. */
final class RawClients {

  /** The header carrying a reply's seq, so the harness can count replies without parsing values. */
  static final String SEQ_HEADER = "lt-seq";

  private RawClients() {}

  /** A consumer of the arm's group, from the earliest offset, committing by hand. */
  static KafkaConsumer<String, String> consumer(ArmArgs args) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args.bootstrap());
    p.put(ConsumerConfig.GROUP_ID_CONFIG, args.group());
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    return new KafkaConsumer<>(p, new StringDeserializer(), new StringDeserializer());
  }

  /**
   * An idempotent producer waiting for all in-sync replicas, as Ticketgate's.
   *
   * @param lingerMillis how long a batch may wait for more records; 0 for a producer that waits for
   *     each record's ack before sending the next (a linger would only add latency there)
   */
  static KafkaProducer<String, String> producer(ArmArgs args, int lingerMillis) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, args.bootstrap());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    p.put(ProducerConfig.LINGER_MS_CONFIG, Integer.toString(lingerMillis));
    return new KafkaProducer<>(p, new StringSerializer(), new StringSerializer());
  }

  /** A reply record: key the conversation, value the reply text, header {@value #SEQ_HEADER}. */
  static ProducerRecord<String, String> reply(String output, String conversation, long seq, String text) {
    ProducerRecord<String, String> r = new ProducerRecord<>(output, conversation, text);
    r.headers().add(SEQ_HEADER, Long.toString(seq).getBytes(StandardCharsets.UTF_8));
    return r;
  }

  /** Runs an arm's main body: exit 0 when it returns, 1 with the error on stderr when it throws. */
  static void main(String name, String[] argv, ArmBody body) {
    ArmArgs args;
    try {
      args = ArmArgs.parse(argv);
    } catch (IllegalArgumentException e) {
      System.err.println(name + ": " + e.getMessage());
      System.exit(2);
      return;
    }
    try (ArmRuntime runtime = ArmRuntime.start(args)) {
      body.run(args, runtime);
    } catch (Exception e) {
      System.err.println(name + ": failed: " + e);
      e.printStackTrace();
      System.exit(1);
    }
    System.exit(0);
  }

  /** The body of an arm. */
  interface ArmBody {
    void run(ArmArgs args, ArmRuntime runtime) throws Exception;
  }
}
