package io.ticketgate.gateway.kafka;

import java.time.Duration;

/**
 * What the pipeline reports as it works; the gateway turns it into metrics, tests record it. Called
 * from many threads; implementations must be thread-safe and must not block.
 */
public interface PipelineListener {

  /** A ticket was issued. */
  default void ticketIssued() {}

  /** A ticket expired before it was served (this process then takes a new one). */
  default void ticketExpired() {}

  /** A ticket waited {@code wait} from issue to service. */
  default void lockWait(Duration wait) {}

  /**
   * A ticket was served only because the ticket ahead of it expired instead of being released: a
   * replica died or stalled holding it. Counted on the waiting side, which is alive to count it.
   *
   * @param wait the ticket's whole wait, most of it lost to the dead holder
   */
  default void servedAfterExpiry(Duration wait) {}

  /** A ticket was held for {@code hold}, from service to release. */
  default void lockHold(Duration hold) {}

  /** One call to the bot took {@code took} and ended as {@code outcome}. */
  default void botCall(Duration took, BotCallOutcome outcome) {}

  /**
   * The bot's circuit breaker moved to {@code to}. Called under the breaker's lock, on whichever
   * thread caused it (a job's call, or a job, the poll thread or a gauge finding that the open
   * interval has ended): must not block.
   */
  default void breakerTransition(BreakerState to) {}

  /** A message was answered and its replies acknowledged by Kafka. */
  default void replied() {}

  /** A bot call failed and will be tried again. */
  default void retried() {}

  /**
   * The bot refused a message's ticket as fenced: a newer holder had the conversation's turn. The
   * message is then dispatched again with a new ticket, or dropped when its partition moved.
   */
  default void fenced() {}

  /** A message went to the dead-letter topic for {@code reason}. */
  default void deadLettered(String reason) {}

  /** A message was dropped because its partition was revoked before it started; its new owner handles it. */
  default void droppedOnRevoke() {}

  /**
   * A redelivered record was not dispatched: the partition's previous owner had finished it (its
   * commit said so), so the bot already answered it once.
   */
  default void skippedDuplicate() {}
}
