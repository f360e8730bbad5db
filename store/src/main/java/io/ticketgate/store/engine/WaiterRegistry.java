package io.ticketgate.store.engine;

import io.ticketgate.store.TicketStatus;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The tickets this process is waiting on, by conversation: whom to poke when a release is
 * signalled, and which waiter a release of this process hands the turn to.
 *
 * <p>An acquisition is registered before its ticket is issued, so a release signalled at any moment
 * after that reaches it (no lost wake-up). A poke only asks a waiter to look again; whether it is
 * served is always decided by the store.
 */
final class WaiterRegistry {

  /**
   * The waiting tickets of each conversation, as arrays replaced whole inside the map's atomic
   * {@code compute}: a conversation has one or a few waiters here, and a set per conversation cost a
   * concurrent map per message. Readers iterate whatever snapshot they read.
   */
  private final ConcurrentHashMap<String, Acquisition[]> byConversation = new ConcurrentHashMap<>();

  void register(Acquisition a) {
    byConversation.compute(a.conversationId, (k, waiting) -> {
      if (waiting == null) {
        return new Acquisition[] {a};
      }
      Acquisition[] more = Arrays.copyOf(waiting, waiting.length + 1);
      more[waiting.length] = a;
      return more;
    });
  }

  void unregister(Acquisition a) {
    byConversation.computeIfPresent(a.conversationId, (k, waiting) -> {
      int i = 0;
      while (i < waiting.length && waiting[i] != a) {
        i++;
      }
      if (i == waiting.length) {
        return waiting;
      }
      if (waiting.length == 1) {
        return null;
      }
      Acquisition[] fewer = new Acquisition[waiting.length - 1];
      System.arraycopy(waiting, 0, fewer, 0, i);
      System.arraycopy(waiting, i + 1, fewer, i, waiting.length - i - 1);
      return fewer;
    });
  }

  /** Asks every waiter of the conversation, but {@code skip} (may be null), to look again. */
  void wake(String conversationId, Acquisition skip) {
    Acquisition[] waiting = byConversation.get(conversationId);
    if (waiting != null) {
      for (Acquisition a : waiting) {
        if (a != skip) {
          a.poke();
        }
      }
    }
  }

  /**
   * A release elsewhere served {@code ticket}: its waiter here, if any, takes {@code status} as the
   * answer of a look ({@link Acquisition#offer}). The waiters behind it stay as they are, since
   * nothing changed for them; those below it look again: one still being issued may be that very
   * ticket (the release's message can arrive before the answer), and one already issued
   * there can only be gone.
   */
  void served(String conversationId, int ticket, TicketStatus status) {
    Acquisition[] waiting = byConversation.get(conversationId);
    if (waiting != null) {
      for (Acquisition a : waiting) {
        int t = a.ticket;
        if (t == ticket) {
          a.offer(status);
        } else if (t < ticket) {
          a.poke();
        }
      }
    }
  }

  /**
   * The ticket this process waits on that comes next after {@code ticket} in its conversation: the
   * issued one with the lowest number above it, or null. Only it can be served by that release.
   */
  Acquisition successor(String conversationId, int ticket) {
    Acquisition[] waiting = byConversation.get(conversationId);
    Acquisition next = null;
    int nextTicket = Integer.MAX_VALUE;
    if (waiting != null) {
      for (Acquisition a : waiting) {
        int t = a.ticket;
        if (t > ticket && t < nextTicket) {
          next = a;
          nextTicket = t;
        }
      }
    }
    return next;
  }

  /** How many issued tickets wait (one registered before its issue does not count yet). */
  int waitingCount() {
    int n = 0;
    for (Acquisition[] s : byConversation.values()) {
      for (Acquisition a : s) {
        if (a.ticket >= 0) {
          n++;
        }
      }
    }
    return n;
  }

  /** Every registered acquisition, for closing. */
  List<Acquisition> all() {
    List<Acquisition> all = new ArrayList<>();
    for (Acquisition[] waiting : byConversation.values()) {
      all.addAll(Arrays.asList(waiting));
    }
    return all;
  }
}
