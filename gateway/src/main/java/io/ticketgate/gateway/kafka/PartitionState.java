package io.ticketgate.gateway.kafka;

import java.util.HashSet;
import java.util.Set;

/**
 * One assigned partition, as the poll thread keeps it: its offsets, the jobs in flight for it, what
 * was last committed, and whether it is paused for being over its share. Poll thread only, except
 * {@link #assignment}, which jobs read.
 */
final class PartitionState {

  final Assignment assignment = new Assignment();
  final PartitionOffsets offsets = new PartitionOffsets();
  final Set<Job> jobs = new HashSet<>();
  /** The last offset and metadata committed, so an unchanged position is not committed again. */
  long committedOffset = -1;
  String committedMetadata = "";
  /** Paused for holding more than its share of max_in_flight. */
  boolean overShare;
}
