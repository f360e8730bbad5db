package io.ticketgate.store;

/**
 * Where one ticket stands in its queue, as a store sees it at one instant. Stores that override
 * {@link LockStore#ticketStatus(String, int)} build these with the factory methods.
 *
 * @param kind served, waiting, or gone
 * @param nowServing the number at the head of the queue, when waiting
 * @param ahead how many live tickets are ahead of this one, when waiting
 * @param headExpiresAtMillis when the head ticket expires (epoch milliseconds), the latest instant a
 *     waiter needs to look again even if no release event arrives; 0 when unknown
 * @param progress when served, the progress mark the conversation's last release recorded
 *     ({@link HeldLock#close(String)}), read in the same step; null when none or not served
 */
public record TicketStatus(Kind kind, int nowServing, int ahead, long headExpiresAtMillis, String progress) {

  /** The three places a ticket can be in. */
  public enum Kind {
    /** The ticket is at the head of the queue: its holder may proceed. */
    SERVED,
    /** Live tickets are ahead of this one. */
    WAITING,
    /** The ticket expired or was removed; it will never be served. */
    GONE
  }

  private static final TicketStatus SERVED = new TicketStatus(Kind.SERVED, 0, 0, 0, null);
  private static final TicketStatus GONE = new TicketStatus(Kind.GONE, 0, 0, 0, null);

  /** A status without a progress mark. */
  public TicketStatus(Kind kind, int nowServing, int ahead, long headExpiresAtMillis) {
    this(kind, nowServing, ahead, headExpiresAtMillis, null);
  }

  /** The ticket is being served. */
  public static TicketStatus served() {
    return SERVED;
  }

  /** The ticket is being served, and the conversation's last release recorded {@code progress} (may be null). */
  public static TicketStatus served(String progress) {
    return progress == null ? SERVED : new TicketStatus(Kind.SERVED, 0, 0, 0, progress);
  }

  /** This status with {@code progress} as its mark when it is served; itself otherwise. */
  public TicketStatus withProgress(String progress) {
    return kind == Kind.SERVED ? served(progress) : this;
  }

  /** The ticket will never be served. */
  public static TicketStatus gone() {
    return GONE;
  }

  /** The ticket waits behind {@code ahead} live tickets, the first being {@code nowServing}. */
  public static TicketStatus waiting(int nowServing, int ahead, long headExpiresAtMillis) {
    return new TicketStatus(Kind.WAITING, nowServing, ahead, headExpiresAtMillis);
  }

  /** Judges {@code ticket} against a lock read from a store; drops the lock's expired tickets. */
  public static TicketStatus of(TicketLock lock, int ticket) {
    lock.removeExpiredTickets();
    var tickets = lock.tickets();
    int ahead = 0;
    for (Ticket t : tickets) {
      if (t.number() == ticket) {
        if (ahead == 0) {
          return SERVED;
        }
        Ticket head = tickets.get(0);
        return waiting(head.number(), ahead, (long) Math.ceil(head.expires() * 1000));
      }
      ahead++;
    }
    return GONE;
  }

  /** Whether the holder of the ticket may proceed. */
  public boolean isServed() {
    return kind == Kind.SERVED;
  }
}
