package io.ticketgate.gateway.kafka;

/**
 * One partition as long as this replica owns it: a partition lost and assigned again is a new
 * {@code Assignment}. The only piece of partition state a job may read.
 *
 * <p>Written by the poll thread ({@link #revoke}) before it cancels the partition's queued jobs; read
 * by jobs ({@link #owned}) after they move to QUEUED. Both sides use a volatile access, so of a
 * revocation and a job going back to its queue at the same time, one always sees the other.
 */
final class Assignment {

  private volatile boolean revoked;

  /** Whether the partition is still this replica's in this assignment. */
  boolean owned() {
    return !revoked;
  }

  /** Poll thread: the partition is leaving (revoked, lost, or the gateway stops). */
  void revoke() {
    revoked = true;
  }
}
