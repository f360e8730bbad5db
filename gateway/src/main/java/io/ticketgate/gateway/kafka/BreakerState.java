package io.ticketgate.gateway.kafka;

/**
 * Where the bot's circuit breaker stands, as {@code ticketgate_bot_breaker_state} ({@link #gaugeValue()})
 * and {@code ticketgate_bot_breaker_transitions_total{to}} ({@link #label()}) report it.
 */
public enum BreakerState {
  /** Calls go through; retryable failures are counted. */
  CLOSED(0, "closed"),
  /** The open interval is over: one probe call may go through, and its outcome decides. */
  HALF_OPEN(1, "half_open"),
  /** No calls: records that need the bot wait, holding their turns, until the open interval ends. */
  OPEN(2, "open");

  private final int gaugeValue;
  private final String label;

  BreakerState(int gaugeValue, String label) {
    this.gaugeValue = gaugeValue;
    this.label = label;
  }

  /** The gauge's value: 0 closed, 1 half-open, 2 open, so that "above 0" means "not closed". */
  public int gaugeValue() {
    return gaugeValue;
  }

  /** The metric label value. */
  public String label() {
    return label;
  }
}
