package io.ticketgate.gateway.kafka;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** One assigned partition: its offsets and the jobs in flight for it. */
final class PartitionState {

  final PartitionOffsets offsets = new PartitionOffsets();
  final Set<Job> jobs = ConcurrentHashMap.newKeySet();
  /** Last offset committed; poll thread only. */
  long committed = -1;
  /** Paused for holding more than its share of max_in_flight; poll thread only. */
  boolean overShare;
}
