package io.ticketgate.store.backend;

import io.ticketgate.store.TicketStatus;

/**
 * A newly issued ticket and where it stood right after it was issued, which is how every wait
 * begins: the issue is the first look.
 *
 * @param ticket the ticket's number
 * @param status its place in the queue at that moment
 */
public record Issued(int ticket, TicketStatus status) {}
