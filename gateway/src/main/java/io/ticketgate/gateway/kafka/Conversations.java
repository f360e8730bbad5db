package io.ticketgate.gateway.kafka;

import java.util.HashMap;
import java.util.Map;

/**
 * The one place that chains a conversation's records: per conversation, the last job consumed in
 * this process, which the next job of the conversation waits for (see {@link Job}). Poll thread only:
 * {@link #chain} when a record is consumed, {@link #over} when the poll thread takes a finished job
 * from the {@link Mailbox}.
 */
final class Conversations {

  private final Map<String, Job> last = new HashMap<>();

  /**
   * Makes {@code job} the conversation's last job.
   *
   * @return the job it follows, or null when the conversation has nothing in flight here
   */
  Job chain(String conversationId, Job job) {
    return last.put(conversationId, job);
  }

  /** Forgets {@code job} unless a later record of its conversation was chained behind it. */
  void over(String conversationId, Job job) {
    last.remove(conversationId, job);
  }

  /** Conversations with a record in flight here. */
  int active() {
    return last.size();
  }
}
