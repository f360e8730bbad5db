package io.ticketgate.store;

import java.util.List;

/**
 * A {@code lock_store:} section is invalid. The message lists every problem found, each naming the
 * key, the value and (when the section came from a file) the file, so one run shows them all.
 */
public class LockStoreConfigException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /** Creates an exception listing {@code problems}, each a complete sentence. */
  public LockStoreConfigException(List<String> problems) {
    this(problems, null);
  }

  /** Creates an exception listing {@code problems}, caused by {@code cause}. */
  public LockStoreConfigException(List<String> problems, Throwable cause) {
    super(format(problems), cause);
    this.problems = List.copyOf(problems);
  }

  /** Each problem on its own, in the order found. */
  public List<String> problems() {
    return problems;
  }

  private static String format(List<String> problems) {
    if (problems.size() == 1) {
      return "invalid lock_store configuration: " + problems.get(0);
    }
    StringBuilder sb = new StringBuilder("invalid lock_store configuration (")
        .append(problems.size()).append(" problems):");
    for (String p : problems) {
      sb.append("\n  - ").append(p);
    }
    return sb.toString();
  }
}
