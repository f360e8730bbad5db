package io.ticketgate.gateway;

/**
 * Names of the Kafka headers Ticketgate writes on reply and dead-letter records. Values are UTF-8
 * strings (numbers in decimal).
 */
public final class Headers {

  private Headers() {}

  /** The input topic the message came from. */
  public static final String SOURCE_TOPIC = "ticketgate.source.topic";
  /** Its partition. */
  public static final String SOURCE_PARTITION = "ticketgate.source.partition";
  /** Its offset. */
  public static final String SOURCE_OFFSET = "ticketgate.source.offset";
  /** The conversation's ticket number the message was handled under (a fencing token). */
  public static final String TICKET = "ticketgate.ticket";
  /** On replies: how long the message's ticket waited to be served, in milliseconds. */
  public static final String LOCK_WAIT_MS = "ticketgate.lock_wait_ms";
  /** On dead letters: a short machine-readable reason, such as {@code malformed_json} or {@code bot_http_404}. */
  public static final String DEAD_LETTER_REASON = "ticketgate.dead_letter.reason";
  /** On dead letters: what happened, for people. */
  public static final String DEAD_LETTER_DETAIL = "ticketgate.dead_letter.detail";
}
