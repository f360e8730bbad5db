package io.ticketgate.loadtest;

/**
 * One call the gateway made to the {@link RecordingBot}.
 *
 * @param conversation the conversation id (Rasa's {@code sender})
 * @param seq the message's sequence number within its conversation, from 1
 * @param ticket the fencing token the gateway sent ({@code X-Ticketgate-Ticket})
 * @param replica which replica called (the {@code X-Loadtest-Replica} header), or "" if unknown
 * @param startNanos {@link System#nanoTime()} when the request arrived
 * @param endNanos {@link System#nanoTime()} when the answer was sent
 * @param accepted false when the bot refused the ticket as fenced (409)
 */
public record Dispatch(String conversation, long seq, long ticket, String replica, long startNanos,
    long endNanos, boolean accepted) {

  /** Shorthand for tests and logs: an accepted dispatch. */
  public static Dispatch accepted(String conversation, long seq, long ticket, long start, long end) {
    return new Dispatch(conversation, seq, ticket, "", start, end, true);
  }

  /** Shorthand for tests and logs: a dispatch refused as fenced. */
  public static Dispatch fenced(String conversation, long seq, long ticket, long start, long end) {
    return new Dispatch(conversation, seq, ticket, "", start, end, false);
  }
}
