package io.ticketgate.gateway.kafka;

/**
 * How one call to the bot ended, as {@link PipelineListener#botCall} reports it and the
 * {@code ticketgate_bot_dispatch_seconds} histogram labels it ({@link #label()}).
 */
public enum BotCallOutcome {
  /** The bot answered; its replies are published. */
  OK("ok"),
  /** A failure worth another attempt: a timeout, a refused connection, 408, 429 or 5xx. */
  RETRYABLE_ERROR("retryable_error"),
  /** A failure that another attempt would repeat: other 4xx, an unparseable answer, a handler bug. */
  PERMANENT_ERROR("permanent_error"),
  /** The bot refused the call's ticket as stale: another holder had the conversation's turn. */
  FENCED("fenced");

  private final String label;

  BotCallOutcome(String label) {
    this.label = label;
  }

  /** The metric label value. */
  public String label() {
    return label;
  }
}
