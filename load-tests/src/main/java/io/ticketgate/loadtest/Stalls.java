package io.ticketgate.loadtest;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How long each fault kept the conversations it hit waiting. Pure logic over the accepted
 * dispatches, so it can be tested without a run.
 *
 * <p>A conversation is hit by a fault when it had work across it: its last accepted dispatch that
 * started at or before the fault's start was handled by the faulted replica (any replica for a
 * fault of something shared, such as Redis), and another accepted dispatch started after it. Its
 * <b>stall</b> is the gap between those two: from the end of the dispatch before the fault to the
 * start of the first one after it. That gap is left out of the ordinary lock handoffs, so a
 * fault's seconds do not pass for a slow handoff.
 */
public final class Stalls {

  private Stalls() {}

  /**
   * What one fault did.
   *
   * @param fault the fault
   * @param affected how many conversations it hit
   * @param gaps the stalls of those conversations, in milliseconds
   * @param worstConversation the conversation with the longest stall, or null when none was hit
   */
  public record Stall(Fault fault, int affected, Stats gaps, String worstConversation) {}

  /**
   * The stalls of every fault, and which handoffs they account for.
   *
   * @param stalls one per fault, in the order given
   * @param gapKeys the handoffs that are stalls, as {@link #key}s
   */
  public record Result(List<Stall> stalls, Set<String> gapKeys) {}

  /**
   * Computes the stalls.
   *
   * @param acceptedByConversation each conversation's accepted dispatches, sorted by start
   */
  public static Result of(List<Fault> faults, Map<String, List<Dispatch>> acceptedByConversation) {
    List<Stall> stalls = new ArrayList<>();
    Set<String> keys = new HashSet<>();
    for (Fault fault : faults) {
      List<Double> gaps = new ArrayList<>();
      double worst = -1;
      String worstConversation = null;
      for (Map.Entry<String, List<Dispatch>> e : acceptedByConversation.entrySet()) {
        List<Dispatch> list = e.getValue();
        int next = firstStartingAfter(list, fault.startNanos());
        if (next <= 0 || next >= list.size()) {
          continue; // nothing before the fault, or nothing after it: the fault kept nobody waiting here
        }
        Dispatch before = list.get(next - 1);
        if (fault.replica() != null && !fault.replica().equals(before.replica())) {
          continue;
        }
        double gap = Math.max(0, list.get(next).startNanos() - before.endNanos()) / 1e6;
        gaps.add(gap);
        keys.add(key(e.getKey(), next));
        if (gap > worst) {
          worst = gap;
          worstConversation = e.getKey();
        }
      }
      stalls.add(new Stall(fault, gaps.size(), Stats.of(gaps.stream().mapToDouble(Double::doubleValue).toArray()),
          worstConversation));
    }
    return new Result(List.copyOf(stalls), Set.copyOf(keys));
  }

  /** Names the handoff into the {@code index}-th accepted dispatch of {@code conversation}. */
  public static String key(String conversation, int index) {
    return conversation + "#" + index;
  }

  private static int firstStartingAfter(List<Dispatch> sorted, long nanos) {
    for (int i = 0; i < sorted.size(); i++) {
      if (sorted.get(i).startNanos() > nanos) {
        return i;
      }
    }
    return sorted.size();
  }
}
