package io.ticketgate.loadtest;

/**
 * A fault the harness injected, for the report: what, on which replica, and when.
 *
 * @param kind {@code kill}, {@code term} (a graceful stop), {@code pause} or {@code redis-restart}
 * @param replica the replica it hit, or null when it hit something every replica shares (Redis)
 * @param startNanos {@link System#nanoTime()} when it began (SIGKILL, SIGTERM or SIGSTOP sent, Redis
 *     told to stop)
 * @param endNanos when it ended (the SIGTERMed replica seen exited, SIGCONT sent, Redis answering
 *     again); equal to the start for a kill
 * @param description one line for people, e.g. {@code SIGSTOP r1 for 8000 ms}
 */
public record Fault(String kind, String replica, long startNanos, long endNanos, String description) {

  /** How long the fault lasted, in milliseconds. */
  public double durationMillis() {
    return (endNanos - startNanos) / 1e6;
  }
}
