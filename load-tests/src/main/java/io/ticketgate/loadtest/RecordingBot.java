package io.ticketgate.loadtest;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A stand-in Rasa bot on loopback that records every dispatch for the {@link Verifier}: an
 * {@link HttpBotServer} (Rasa's REST webhook, answering {@code echo: <message>} after a delay drawn
 * from a {@link LatencyModel}) whose calls are kept in memory.
 *
 * <p>The sequence number comes from {@code metadata.seq} (or a message text {@code seq=<n>}), the
 * ticket from the {@code X-Ticketgate-Ticket} header (or {@code metadata.ticketgate.ticket}).
 *
 * <p>With fencing on, it refuses with 409 a ticket lower than the highest one it already accepted
 * for the conversation, as a bot protecting itself from a zombie replica would. Only
 * {@code concurrent_redis} tickets grow for ever, so fencing is meaningful only there.
 */
public final class RecordingBot implements AutoCloseable {

  /** The header each replica's gateway.yml adds so a dispatch can be traced to its replica. */
  public static final String REPLICA_HEADER = HttpBotServer.REPLICA_HEADER;

  private final ConcurrentLinkedQueue<Dispatch> dispatches = new ConcurrentLinkedQueue<>();
  private final Set<String> delivered = ConcurrentHashMap.newKeySet();
  private final HttpBotServer server;

  private RecordingBot(LatencyModel latency, boolean fencing, boolean requireTicket, int workers) {
    this.server = HttpBotServer.start(latency::nextNanos, fencing, requireTicket, workers, 2, 0,
        (conversation, seq, ticket, replica, start, end, accepted) -> {
          // Recorded before the answer leaves: the gateway may release the ticket as soon as it reads
          // it, and the next dispatch of the conversation must not appear to start before this ends.
          dispatches.add(new Dispatch(conversation, seq, ticket, replica, start, end, accepted));
          if (accepted) {
            delivered.add(conversation + "#" + seq);
          }
        });
  }

  /**
   * Starts the bot on a free loopback port.
   *
   * @param fencing refuse tickets lower than the highest accepted for the conversation
   */
  public static RecordingBot start(LatencyModel latency, boolean fencing) {
    return start(latency, fencing, true);
  }

  /**
   * Starts the bot on a free loopback port.
   *
   * @param fencing refuse tickets lower than the highest accepted for the conversation
   * @param requireTicket answer 400 to a request without a ticket; off for callers that have no
   *     tickets, whose dispatches are recorded with ticket -1. Fencing needs tickets, so it implies this.
   */
  public static RecordingBot start(LatencyModel latency, boolean fencing, boolean requireTicket) {
    return start(latency, fencing, requireTicket, 0);
  }

  /**
   * Starts the bot on a free loopback port, serving at most {@code workers} calls at once: the
   * others wait in line, as at a server with that many workers, so its latency grows with the calls
   * in flight beyond them while its throughput does not.
   *
   * @param workers 0 for as many calls at once as come
   */
  public static RecordingBot start(LatencyModel latency, boolean fencing, boolean requireTicket, int workers) {
    return new RecordingBot(latency, fencing, requireTicket, workers);
  }

  /** The base URL for {@code bot.url} (without the webhook path, as Rasa's). */
  public URI url() {
    return server.url();
  }

  /** Every dispatch so far, accepted and fenced, in order of completion. */
  public List<Dispatch> dispatches() {
    return new ArrayList<>(dispatches);
  }

  /** How many distinct (conversation, seq) pairs were accepted at least once. */
  public int distinctDelivered() {
    return delivered.size();
  }

  /** How many dispatches were refused as fenced. */
  public long fencedCount() {
    return server.fenced();
  }

  /** Requests that could not be understood (answered 400; the gateway dead-letters them). */
  public long malformedCount() {
    return server.malformed();
  }

  @Override
  public void close() {
    server.close();
  }
}
