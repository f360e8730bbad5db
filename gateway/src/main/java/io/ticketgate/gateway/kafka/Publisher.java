package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.Headers;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes replies and dead letters, and waits until Kafka acknowledged them: a job releases its
 * ticket and reports its record finished only after that, so an acknowledged reply is never lost
 * and a committed offset never runs ahead of its replies. Thread-safe (the producer is); called by
 * jobs.
 */
final class Publisher {

  private static final Logger log = LoggerFactory.getLogger(Publisher.class);

  private final Producer<byte[], byte[]> producer;
  private final String outputTopic;
  private final String deadLetterTopic;
  private final Backoff backoff;
  /** The pauses between publishing attempts are slept on it. */
  private final PipelineClock clock;
  private final PipelineListener listener;

  Publisher(Producer<byte[], byte[]> producer, String outputTopic, String deadLetterTopic, Backoff backoff,
      PipelineClock clock, PipelineListener listener) {
    this.producer = producer;
    this.outputTopic = outputTopic;
    this.deadLetterTopic = deadLetterTopic;
    this.backoff = backoff;
    this.clock = clock;
    this.listener = listener;
  }

  /** Publishes one record per reply, keyed by the conversation, with the source and ticket headers. */
  void replies(ConsumerRecord<byte[], byte[]> source, String conversationId, List<BotReply> replies, int ticket,
      Duration lockWait) throws InterruptedException {
    byte[] key = conversationId.getBytes(StandardCharsets.UTF_8);
    List<ProducerRecord<byte[], byte[]>> out = new ArrayList<>(replies.size());
    for (BotReply reply : replies) {
      RecordHeaders h = sourceHeaders(source);
      h.add(Headers.TICKET, bytes(Integer.toString(ticket)));
      h.add(Headers.LOCK_WAIT_MS, bytes(Long.toString(lockWait.toMillis())));
      out.add(new ProducerRecord<>(outputTopic, null, key, reply.payload(), h));
    }
    send(out, source);
  }

  /**
   * Publishes the source record unchanged to the dead-letter topic, with its reason and detail.
   *
   * @param ticket the ticket the record held, or null when it was rejected before taking one
   */
  void deadLetter(ConsumerRecord<byte[], byte[]> source, String reason, String detail, Integer ticket)
      throws InterruptedException {
    RecordHeaders h = new RecordHeaders(source.headers().toArray());
    sourceHeaders(source).forEach(h::add);
    h.add(Headers.DEAD_LETTER_REASON, bytes(reason));
    h.add(Headers.DEAD_LETTER_DETAIL, bytes(detail == null ? "" : detail));
    if (ticket != null) {
      h.add(Headers.TICKET, bytes(Integer.toString(ticket)));
    }
    send(List.of(new ProducerRecord<>(deadLetterTopic, null, source.key(), source.value(), h)), source);
    listener.deadLettered(reason);
    log.info("{}: dead-lettered ({}): {}", Job.describe(source), reason, detail);
  }

  /**
   * Sends and waits for every acknowledgement, trying again until Kafka takes them or the gateway
   * stops. Once sent, records are waited for even through an interrupt ({@link #awaitAck}); only the
   * pause before another attempt, when nothing was taken, gives way to one.
   */
  private void send(List<ProducerRecord<byte[], byte[]>> records, ConsumerRecord<byte[], byte[]> source)
      throws InterruptedException {
    for (int attempt = 1; ; attempt++) {
      List<Future<RecordMetadata>> acks = new ArrayList<>(records.size());
      for (ProducerRecord<byte[], byte[]> r : records) {
        acks.add(producer.send(r));
      }
      try {
        for (Future<RecordMetadata> ack : acks) {
          awaitAck(ack);
        }
        return;
      } catch (ExecutionException e) {
        Duration pause = backoff.bot(attempt);
        log.warn("{}: publishing failed ({}); trying again in {} ms", Job.describe(source), e.getCause().toString(),
            pause.toMillis());
        clock.sleep(pause);
      }
    }
  }

  /**
   * Waits for one acknowledgement, holding off interrupts until it comes (the thread's flag is set
   * again after). Records handed to the producer are delivered whether or not anyone waits, so a
   * job interrupted here (a stop or a revocation past its timeout) would end with its replies
   * published but its record unfinished and its progress mark unrecorded, and the next owner would
   * answer the record a second time. The producer's {@code delivery.timeout.ms} bounds the wait.
   */
  private static void awaitAck(Future<RecordMetadata> ack) throws ExecutionException {
    boolean interrupted = false;
    try {
      while (true) {
        try {
          ack.get();
          return;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static RecordHeaders sourceHeaders(ConsumerRecord<byte[], byte[]> source) {
    RecordHeaders h = new RecordHeaders();
    h.add(Headers.SOURCE_TOPIC, bytes(source.topic()));
    h.add(Headers.SOURCE_PARTITION, bytes(Integer.toString(source.partition())));
    h.add(Headers.SOURCE_OFFSET, bytes(Long.toString(source.offset())));
    return h;
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
