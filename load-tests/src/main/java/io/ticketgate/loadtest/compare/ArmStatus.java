package io.ticketgate.loadtest.compare;

/** How an arm's run ended. */
public enum ArmStatus {
  /** Handled and committed every record. */
  DONE("done"),
  /** Stopped on its time budget; its figures cover what it did. */
  PARTIAL("partial"),
  /** Made no progress for the stall timeout and was killed. */
  STALLED("stalled"),
  /** Its jar is missing (the parallel consumer module was not built). */
  NOT_BUILT("not built"),
  /** Exited on its own before it was done, or could not be started. */
  FAILED("failed");

  private final String label;

  ArmStatus(String label) {
    this.label = label;
  }

  /** The word in the table. */
  public String label() {
    return label;
  }

  /** Whether the arm ran and its throughput means something (done, or partial over what it did). */
  public boolean measured() {
    return this == DONE || this == PARTIAL;
  }
}
