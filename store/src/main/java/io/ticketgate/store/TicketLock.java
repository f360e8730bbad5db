package io.ticketgate.store;

import io.ticketgate.store.internal.Checks;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * A conversation's queue of tickets, with Rasa's {@code TicketLock} semantics.
 *
 * <p>The ticket at the head of the queue (the first one that has not expired) is being served; every
 * later ticket waits. Expired tickets never block anyone: every query drops them first, exactly as
 * Rasa does, so the answers depend on the clock.
 *
 * <p>This is a value that a {@link LockStore} reads, changes and saves; it is <em>not</em>
 * thread-safe, and changing it changes nothing in a store until the store saves it.
 */
public final class TicketLock {

  private final String conversationId;
  private final Clock clock;
  private final List<Ticket> tickets;
  private final List<Ticket> view;

  /** Creates an empty lock for {@code conversationId}. */
  public TicketLock(String conversationId) {
    this(conversationId, List.of());
  }

  /** Creates a lock holding {@code tickets} in the given order. */
  public TicketLock(String conversationId, Collection<Ticket> tickets) {
    this(conversationId, tickets, Clock.systemUTC());
  }

  /** Creates a lock holding {@code tickets} whose expiry is judged by {@code clock}. */
  public TicketLock(String conversationId, Collection<Ticket> tickets, Clock clock) {
    this.conversationId = Checks.conversationId(conversationId);
    this.clock = Objects.requireNonNull(clock, "clock");
    this.tickets = new ArrayList<>(Objects.requireNonNull(tickets, "tickets"));
    for (Ticket t : this.tickets) {
      Objects.requireNonNull(t, "tickets must not contain null");
    }
    this.view = Collections.unmodifiableList(this.tickets);
  }

  /** The conversation this lock belongs to. */
  public String conversationId() {
    return conversationId;
  }

  /** The tickets in queue order, expired ones included until a query drops them; read-only view. */
  public List<Ticket> tickets() {
    return view;
  }

  /**
   * Drops expired tickets and appends a new one numbered {@code lastIssued() + 1}.
   *
   * @return the new ticket's number
   */
  public int issueTicket(Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    removeExpiredTickets();
    int number = lastIssued() + 1;
    tickets.add(new Ticket(number, now() + seconds(lifetime)));
    return number;
  }

  /** Drops every ticket that has expired. */
  public void removeExpiredTickets() {
    double now = now();
    tickets.removeIf(t -> t.hasExpiredAt(now));
  }

  /** The number of the last live ticket, or -1 when there is none. */
  public int lastIssued() {
    removeExpiredTickets();
    return tickets.isEmpty() ? -1 : tickets.get(tickets.size() - 1).number();
  }

  /** The number of the first live ticket, or 0 when there is none (Rasa's convention). */
  public int nowServing() {
    removeExpiredTickets();
    return tickets.isEmpty() ? 0 : tickets.get(0).number();
  }

  /** Whether {@code ticket} must still wait, that is, whether it is not the one being served. */
  public boolean isLocked(int ticket) {
    return nowServing() != ticket;
  }

  /** Whether any live ticket remains (held or waiting). */
  public boolean isSomeoneWaiting() {
    removeExpiredTickets();
    return !tickets.isEmpty();
  }

  /** Removes {@code ticket} from the queue if present. */
  public void removeTicketFor(int ticket) {
    tickets.removeIf(t -> t.number() == ticket);
  }

  /** Whether {@code ticket} is gone from the queue or has expired. */
  public boolean hasLockExpired(int ticket) {
    Ticket t = ticketFor(ticket);
    return t == null || t.hasExpiredAt(now());
  }

  /** The ticket numbered {@code ticket}, or null when it is not in the queue. */
  public Ticket ticketFor(int ticket) {
    for (Ticket t : tickets) {
      if (t.number() == ticket) {
        return t;
      }
    }
    return null;
  }

  /**
   * Moves {@code ticket}'s expiry to now plus {@code lifetime} when it is still live.
   *
   * @return false when the ticket is gone or expired, so there is nothing to renew
   */
  public boolean renewTicket(int ticket, Duration lifetime) {
    Checks.positive(lifetime, "lifetime");
    double now = now();
    for (int i = 0; i < tickets.size(); i++) {
      Ticket t = tickets.get(i);
      if (t.number() == ticket) {
        if (t.hasExpiredAt(now)) {
          return false;
        }
        tickets.set(i, t.withExpires(now + seconds(lifetime)));
        return true;
      }
    }
    return false;
  }

  /** The clock that judges expiry. */
  public Clock clock() {
    return clock;
  }

  /** The lifetime in fractional seconds; unlike {@code toNanos()}, never overflows. */
  private static double seconds(Duration lifetime) {
    return lifetime.getSeconds() + lifetime.getNano() / 1e9;
  }

  private double now() {
    return Ticket.epochSeconds(clock);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TicketLock other
        && conversationId.equals(other.conversationId)
        && tickets.equals(other.tickets);
  }

  @Override
  public int hashCode() {
    return conversationId.hashCode() * 31 + tickets.hashCode();
  }

  @Override
  public String toString() {
    return "TicketLock{conversation='" + conversationId + "', tickets=" + tickets + '}';
  }

}
