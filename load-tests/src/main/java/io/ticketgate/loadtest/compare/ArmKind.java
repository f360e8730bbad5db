package io.ticketgate.loadtest.compare;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** The arms {@code ./load-test compare} can run, in the order it runs them. */
public enum ArmKind {
  /** Ceiling: read everything, nothing else. */
  DRAIN("drain", true, false, null, DrainArm.class.getName(),
      "ceiling: a raw KafkaConsumer reading and committing, no bot, no output"),
  /** Ceiling: one output record per input record, at-least-once. */
  PIPE("pipe", true, true, null, PipeArm.class.getName(),
      "ceiling: poll a batch, send one record per input, flush (await acks), commitSync; no bot"),
  /** The naive baseline. */
  PLAIN("plain", false, true, null, PlainArm.class.getName(),
      "one thread: poll, call the bot for each record in turn, send its reply and await the ack, "
          + "commitSync per batch"),
  /** Confluent Parallel Consumer, in a JVM of its own with its own kafka-clients. */
  PARALLEL_CONSUMER("parallel-consumer", false, true, null, "io.ticketgate.loadtest.peers.ParallelConsumerArm",
      "Confluent Parallel Consumer 0.5.3.3, ProcessingOrder.KEY, maxConcurrency 100, own JVM with kafka-clients 4.3.x"),
  /** Ticketgate on the in-memory store. */
  TICKETGATE_IN_MEMORY("ticketgate-in_memory", false, true, "in_memory", TicketgateArm.class.getName(),
      "the Ticketgate gateway on the in-memory lock store"),
  /** Ticketgate on Rasa's Redis layout. */
  TICKETGATE_REDIS("ticketgate-redis", false, true, "redis", TicketgateArm.class.getName(),
      "the Ticketgate gateway on the redis lock store (Rasa's layout)"),
  /** Ticketgate on the concurrent Redis store. */
  TICKETGATE_CONCURRENT_REDIS("ticketgate-concurrent_redis", false, true, "concurrent_redis",
      TicketgateArm.class.getName(), "the Ticketgate gateway on the concurrent_redis lock store");

  private final String label;
  private final boolean ceiling;
  private final boolean output;
  private final String store;
  private final String mainClass;
  private final String description;

  ArmKind(String label, boolean ceiling, boolean output, String store, String mainClass, String description) {
    this.label = label;
    this.ceiling = ceiling;
    this.output = output;
    this.store = store;
    this.mainClass = mainClass;
    this.description = description;
  }

  /** The name on the command line and in the table. */
  public String label() {
    return label;
  }

  /** Whether the arm calls no bot, so it is run once and its figures hold for every latency and bot. */
  public boolean ceiling() {
    return ceiling;
  }

  /** Whether the arm writes replies to an output topic. */
  public boolean output() {
    return output;
  }

  /** The Ticketgate lock store type, or null for the other arms. */
  public String store() {
    return store;
  }

  /** Whether the arm needs Redis. */
  public boolean needsRedis() {
    return store != null && !store.equals("in_memory");
  }

  /** The arm's main class. */
  public String mainClass() {
    return mainClass;
  }

  /** One line for the notes. */
  public String description() {
    return description;
  }

  /** Parses a label, e.g. {@code ticketgate-redis}. */
  public static ArmKind parse(String label) {
    for (ArmKind k : values()) {
      if (k.label.equals(label.trim().toLowerCase(Locale.ROOT))) {
        return k;
      }
    }
    throw new IllegalArgumentException("--arms has unknown arm '" + label + "'; known: " + labels());
  }

  /** All labels, comma-separated. */
  public static String labels() {
    return String.join(", ", Arrays.stream(values()).map(ArmKind::label).toList());
  }

  /** All arms. */
  public static List<ArmKind> all() {
    return List.of(values());
  }
}
