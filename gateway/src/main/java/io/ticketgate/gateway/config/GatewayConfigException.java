package io.ticketgate.gateway.config;

import java.util.List;

/** A gateway configuration is invalid; the message lists every problem, each naming key, value and file. */
public class GatewayConfigException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  private final List<String> problems;

  /** Creates an exception listing {@code problems}. */
  public GatewayConfigException(List<String> problems) {
    super(problems.size() == 1 ? "invalid configuration: " + problems.get(0)
        : "invalid configuration (" + problems.size() + " problems):\n  - " + String.join("\n  - ", problems));
    this.problems = List.copyOf(problems);
  }

  /** Each problem on its own. */
  public List<String> problems() {
    return problems;
  }
}
