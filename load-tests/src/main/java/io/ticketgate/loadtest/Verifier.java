package io.ticketgate.loadtest;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a run's dispatches against what the gateway promises. Pure logic: the input is the
 * {@link RecordingBot}'s record and the scenario's shape, the output one line per property.
 *
 * <ul>
 *   <li>nothing lost: every seq 1..N of every conversation was accepted at least once;
 *   <li>order: the first accepted delivery of each seq comes in strictly increasing seq order;
 *   <li>mutual exclusion: no two accepted dispatches of one conversation overlap in time (fenced
 *       ones are refused at once and excluded);
 *   <li>duplicates: redeliveries are at-least-once's price, counted and reported, never a failure;
 *       after a kill, {@link #killDuplicates} says whether they stayed within what the killed
 *       replica had in flight;
 *   <li>a graceful stop repeats nothing: after a SIGTERM, {@link #termDuplicates} fails on any bot
 *       call made again, or reply published again, for a message the stopped replica handled.
 * </ul>
 */
public final class Verifier {

  /** Offenders listed per line; the count says how many there are in all. */
  static final int SHOWN = 5;

  private Verifier() {}

  /**
   * One verified property.
   *
   * @param name short name, e.g. {@code nothing-lost}
   * @param pass whether it held
   * @param count how many offenders (for duplicates: how many redeliveries)
   * @param detail the offenders or the evidence, readable
   */
  public record Check(String name, boolean pass, long count, String detail) {
    /** The line the report prints, e.g. {@code PASS order: 0 out-of-order deliveries}. */
    public String line() {
      return (pass ? "PASS " : "FAIL ") + name + ": " + detail;
    }
  }

  /**
   * Verifies dispatches against {@code messages} messages per conversation.
   *
   * @param expected conversation id to the number of messages produced for it (seq 1..N)
   */
  public static List<Check> verify(Map<String, Integer> expected, List<Dispatch> dispatches) {
    Map<String, List<Dispatch>> accepted = new TreeMap<>();
    long fenced = 0;
    for (Dispatch d : dispatches) {
      if (d.accepted()) {
        accepted.computeIfAbsent(d.conversation(), k -> new ArrayList<>()).add(d);
      } else {
        fenced++;
      }
    }
    accepted.values().forEach(list -> list.sort(Comparator.comparingLong(Dispatch::startNanos)
        .thenComparingLong(Dispatch::endNanos)));
    List<Check> checks = new ArrayList<>();
    checks.add(nothingLost(expected, accepted));
    checks.add(order(accepted));
    checks.add(mutualExclusion(accepted, fenced));
    checks.add(duplicates(accepted));
    checks.add(unexpected(expected, accepted));
    return checks;
  }

  private static Check nothingLost(Map<String, Integer> expected, Map<String, List<Dispatch>> accepted) {
    List<String> missing = new ArrayList<>();
    long count = 0;
    long total = 0;
    for (Map.Entry<String, Integer> e : new TreeMap<>(expected).entrySet()) {
      Set<Long> seen = new HashSet<>();
      accepted.getOrDefault(e.getKey(), List.of()).forEach(d -> seen.add(d.seq()));
      for (long seq = 1; seq <= e.getValue(); seq++) {
        total++;
        if (!seen.contains(seq)) {
          count++;
          if (missing.size() < SHOWN) {
            missing.add(e.getKey() + " seq " + seq);
          }
        }
      }
    }
    String detail = count == 0
        ? "all " + total + " messages dispatched and accepted at least once"
        : count + " of " + total + " messages never accepted by the bot, first: " + String.join(", ", missing);
    return new Check("nothing-lost", count == 0, count, detail);
  }

  private static Check order(Map<String, List<Dispatch>> accepted) {
    List<String> offenders = new ArrayList<>();
    long count = 0;
    for (Map.Entry<String, List<Dispatch>> e : accepted.entrySet()) {
      Set<Long> seen = new HashSet<>();
      long last = Long.MIN_VALUE;
      for (Dispatch d : e.getValue()) {
        if (!seen.add(d.seq())) {
          continue; // a redelivery; only first deliveries define the order
        }
        if (d.seq() <= last) {
          count++;
          if (offenders.size() < SHOWN) {
            offenders.add(e.getKey() + " seq " + d.seq() + " first delivered after seq " + last);
          }
        }
        last = Math.max(last, d.seq());
      }
    }
    String detail = count == 0
        ? "first deliveries in strictly increasing seq order in all " + accepted.size() + " conversations"
        : count + " out-of-order first deliveries, first: " + String.join("; ", offenders);
    return new Check("order", count == 0, count, detail);
  }

  private static Check mutualExclusion(Map<String, List<Dispatch>> accepted, long fenced) {
    List<String> offenders = new ArrayList<>();
    long count = 0;
    for (Map.Entry<String, List<Dispatch>> e : accepted.entrySet()) {
      Dispatch busiest = null; // the dispatch that ends last among those started so far
      for (Dispatch d : e.getValue()) {
        if (busiest != null && d.startNanos() < busiest.endNanos()) {
          count++;
          if (offenders.size() < SHOWN) {
            offenders.add(e.getKey() + " seq " + d.seq() + " (ticket " + d.ticket() + replica(d)
                + ") started " + micros(busiest.endNanos() - d.startNanos()) + " before seq "
                + busiest.seq() + " (ticket " + busiest.ticket() + replica(busiest) + ") ended");
          }
        }
        if (busiest == null || d.endNanos() > busiest.endNanos()) {
          busiest = d;
        }
      }
    }
    String fencedNote = " (" + fenced + " fenced dispatches refused and excluded)";
    String detail = count == 0
        ? "no overlapping accepted dispatches within a conversation" + fencedNote
        : count + " overlapping accepted dispatches, first: " + String.join("; ", offenders) + fencedNote;
    return new Check("mutual-exclusion", count == 0, count, detail);
  }

  private static Check duplicates(Map<String, List<Dispatch>> accepted) {
    Map<String, Integer> extra = new LinkedHashMap<>();
    long count = 0;
    for (Map.Entry<String, List<Dispatch>> e : accepted.entrySet()) {
      Map<Long, Integer> times = new TreeMap<>();
      e.getValue().forEach(d -> times.merge(d.seq(), 1, Integer::sum));
      for (Map.Entry<Long, Integer> t : times.entrySet()) {
        if (t.getValue() > 1) {
          count += t.getValue() - 1;
          if (extra.size() < SHOWN) {
            extra.put(e.getKey() + " seq " + t.getKey(), t.getValue());
          }
        }
      }
    }
    List<String> shown = new ArrayList<>();
    extra.forEach((k, v) -> shown.add(k + " x" + v));
    // At-least-once delivery redelivers what a dead replica had in flight: reported, not failed.
    String detail = count == 0
        ? "0 redeliveries"
        : count + " redeliveries (at-least-once after a fault), first: " + String.join(", ", shown);
    return new Check("duplicates", true, count, detail);
  }

  /** An answer this recent before a kill may not have been published and released yet. */
  static final long RECENT_BEFORE_KILL_NANOS = 1_000_000_000L;

  /** Accepted dispatches by {@code conversation#seq}, each message's in the order they started. */
  private static Map<String, List<Dispatch>> acceptedBySeq(List<Dispatch> dispatches) {
    Map<String, List<Dispatch>> bySeq = new LinkedHashMap<>();
    dispatches.stream().filter(Dispatch::accepted).sorted(Comparator.comparingLong(Dispatch::startNanos))
        .forEach(d -> bySeq.computeIfAbsent(d.conversation() + "#" + d.seq(), k -> new ArrayList<>()).add(d));
    return bySeq;
  }

  /**
   * Where the bot calls made again after a SIGKILL come from, against what the killed replica had
   * in flight: conversations with a call the bot was still answering at the kill, or had answered
   * less than {@link #RECENT_BEFORE_KILL_NANOS} before it (its replies and release may not have
   * happened). A message whose first call, by the killed replica, was answered earlier than that had
   * its turn released with the conversation's progress mark long before, so calling the bot again
   * for it is what the mark exists to prevent; those are counted apart, and should be none.
   * Reported, never a failure, like {@link #duplicates}.
   *
   * @param faults the run's faults; only kills count
   * @param dispatches every dispatch the bot saw
   * @return the line, its count the calls made again for messages answered before the kill's window;
   *     empty without a kill
   */
  public static java.util.Optional<Check> killDuplicates(List<Fault> faults, List<Dispatch> dispatches) {
    List<Fault> kills = faults.stream().filter(f -> f.kind().equals("kill")).toList();
    if (kills.isEmpty()) {
      return java.util.Optional.empty();
    }
    Map<String, List<Dispatch>> firstBySeq = acceptedBySeq(dispatches);
    List<String> parts = new ArrayList<>();
    long earlier = 0;
    for (Fault kill : kills) {
      long at = kill.startNanos();
      Set<String> open = new HashSet<>();
      Set<String> recent = new HashSet<>();
      for (Dispatch d : dispatches) {
        if (d.replica().equals(kill.replica()) && d.startNanos() <= at) {
          if (d.endNanos() >= at) {
            open.add(d.conversation());
          } else if (d.endNanos() >= at - RECENT_BEFORE_KILL_NANOS) {
            recent.add(d.conversation());
          }
        }
      }
      recent.removeAll(open);
      long again = 0;
      long againOpen = 0;
      long againRecent = 0;
      long againEarlier = 0;
      List<String> shown = new ArrayList<>();
      for (Map.Entry<String, List<Dispatch>> e : firstBySeq.entrySet()) {
        List<Dispatch> calls = e.getValue();
        Dispatch first = calls.get(0);
        if (calls.size() < 2 || !first.replica().equals(kill.replica()) || first.startNanos() > at) {
          continue;
        }
        long extra = calls.size() - 1;
        again += extra;
        if (first.endNanos() >= at) {
          againOpen += extra;
        } else if (first.endNanos() >= at - RECENT_BEFORE_KILL_NANOS) {
          againRecent += extra;
        } else {
          againEarlier += extra;
          if (shown.size() < SHOWN) {
            shown.add(e.getKey() + String.format(java.util.Locale.ROOT, " (answered %.1f s before the kill)",
                (at - first.endNanos()) / 1e9));
          }
        }
      }
      earlier += againEarlier;
      parts.add(String.format(java.util.Locale.ROOT,
          "SIGKILL of %s: %d conversation(s) in flight on it (%d with a call open, %d answered within 1 s); "
              + "%d call(s) made again: %d open at the kill, %d answered within 1 s before it, %d answered earlier%s",
          kill.replica(), open.size() + recent.size(), open.size(), recent.size(), again, againOpen, againRecent,
          againEarlier, shown.isEmpty() ? "" : " (" + String.join(", ", shown) + ")"));
    }
    return java.util.Optional.of(new Check("kill-duplicates", true, earlier, String.join("; ", parts)));
  }

  /**
   * Replies on the output topic for a message that had already been answered: what a chat user sees
   * twice. Counted and reported, like redelivered calls; never a failure (after a crash, the window
   * between the bot's answer and the release of the turn remains).
   *
   * @param replied "conversation#seq" of every reply read from the output topic, in any order
   */
  public static Check duplicateReplies(List<String> replied) {
    Map<String, Integer> times = new TreeMap<>();
    replied.forEach(r -> times.merge(r, 1, Integer::sum));
    long count = 0;
    List<String> shown = new ArrayList<>();
    for (Map.Entry<String, Integer> t : times.entrySet()) {
      if (t.getValue() > 1) {
        count += t.getValue() - 1;
        if (shown.size() < SHOWN) {
          shown.add(t.getKey() + " x" + t.getValue());
        }
      }
    }
    String detail = count == 0 ? "0 replies published twice"
        : count + " replies published again for a message already answered, first: " + String.join(", ", shown);
    return new Check("duplicate-replies", true, count, detail);
  }

  /**
   * What a graceful stop (SIGTERM) left repeated, where the bound is zero: the stopped replica
   * finishes or gives back its work in flight, releases its turns with the conversations' progress
   * marks and commits before it exits, so no message it handled may reach the bot, or the output
   * topic, twice. A message is the stop's when its first accepted call was made by the stopped
   * replica before it exited, or when the stopped replica called the bot again for it after the
   * SIGTERM. Every call made again for such a message, and every reply published again for it,
   * fails the check.
   *
   * @param faults the run's faults; only graceful stops ({@code term}) count, each from its SIGTERM
   *     (start) to the replica's exit (end)
   * @param dispatches every dispatch the bot saw
   * @param replied "conversation#seq" of every reply read from the output topic, in any order
   * @return the line, its count the calls and replies repeated; empty without a graceful stop
   */
  public static java.util.Optional<Check> termDuplicates(List<Fault> faults, List<Dispatch> dispatches,
      List<String> replied) {
    List<Fault> terms = faults.stream().filter(f -> f.kind().equals("term")).toList();
    if (terms.isEmpty()) {
      return java.util.Optional.empty();
    }
    Map<String, List<Dispatch>> callsBySeq = acceptedBySeq(dispatches);
    Map<String, Integer> replies = new TreeMap<>();
    replied.forEach(r -> replies.merge(r, 1, Integer::sum));
    List<String> parts = new ArrayList<>();
    long total = 0;
    for (Fault term : terms) {
      String stopped = term.replica();
      long sent = term.startNanos();
      long exited = term.endNanos();
      Set<String> open = new HashSet<>();
      long drained = 0;
      for (Dispatch d : dispatches) {
        if (d.replica().equals(stopped) && d.startNanos() <= exited && d.endNanos() >= sent) {
          open.add(d.conversation());
          drained++;
        }
      }
      long callsAgain = 0;
      long repliesAgain = 0;
      List<String> shown = new ArrayList<>();
      for (Map.Entry<String, List<Dispatch>> e : callsBySeq.entrySet()) {
        List<Dispatch> calls = e.getValue();
        Dispatch first = calls.get(0);
        boolean firstHere = first.replica().equals(stopped) && first.startNanos() <= exited;
        boolean againHere = calls.stream().skip(1).anyMatch(d -> d.replica().equals(stopped) && d.startNanos() >= sent);
        if (!firstHere && !againHere) {
          continue;
        }
        long calledAgain = calls.size() - 1;
        long repliedAgain = Math.max(0, replies.getOrDefault(e.getKey(), 0) - 1);
        if (calledAgain + repliedAgain == 0) {
          continue;
        }
        callsAgain += calledAgain;
        repliesAgain += repliedAgain;
        if (shown.size() < SHOWN) {
          shown.add(e.getKey() + " (" + describeCalls(calls, sent) + (repliedAgain > 0 ? "; " + (repliedAgain + 1)
              + " replies" : "") + ")");
        }
      }
      total += callsAgain + repliesAgain;
      parts.add(String.format(java.util.Locale.ROOT,
          "SIGTERM of %s: exited %.1f s later, %d call(s) of %d conversation(s) open or made while it stopped; "
              + "%d call(s) made again, %d reply(ies) published again%s",
          stopped, (exited - sent) / 1e9, drained, open.size(), callsAgain, repliesAgain,
          shown.isEmpty() ? "" : ", first: " + String.join("; ", shown)));
    }
    return java.util.Optional.of(new Check("term-duplicates", total == 0, total, String.join("; ", parts)
        + (total == 0 ? "" : " (a graceful stop must repeat nothing)")));
  }

  /** Each call of one message, for a failure line: who made it, and when against the SIGTERM. */
  private static String describeCalls(List<Dispatch> calls, long sigterm) {
    List<String> each = new ArrayList<>();
    for (Dispatch d : calls) {
      each.add(String.format(java.util.Locale.ROOT, "%s ticket %d at %+.3f s",
          d.replica().isEmpty() ? "?" : d.replica(), d.ticket(), (d.startNanos() - sigterm) / 1e9));
    }
    return "called by " + String.join(", ", each);
  }

  private static Check unexpected(Map<String, Integer> expected, Map<String, List<Dispatch>> accepted) {
    List<String> offenders = new ArrayList<>();
    long count = 0;
    for (Map.Entry<String, List<Dispatch>> e : accepted.entrySet()) {
      Integer n = expected.get(e.getKey());
      for (Dispatch d : e.getValue()) {
        if (n == null || d.seq() < 1 || d.seq() > n) {
          count++;
          if (offenders.size() < SHOWN) {
            offenders.add(e.getKey() + " seq " + d.seq());
          }
        }
      }
    }
    String detail = count == 0
        ? "no dispatch of a message that was never produced"
        : count + " dispatches of messages never produced, first: " + String.join(", ", offenders);
    return new Check("no-phantoms", count == 0, count, detail);
  }

  private static String replica(Dispatch d) {
    return d.replica().isEmpty() ? "" : ", " + d.replica();
  }

  private static String micros(long nanos) {
    return String.format(java.util.Locale.ROOT, "%.3f ms", nanos / 1e6);
  }
}
