package io.ticketgate.loadtest;

/**
 * Wrong usage that shows only once a run has started (a store that needs a Redis when there is
 * neither {@code --redis} nor redis-server on the PATH). The command line prints it like its own
 * usage errors, exit 2; any other exception during a run is a failure, exit 1.
 */
public final class UsageException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  /** An exception whose message names the mistake, for the user. */
  public UsageException(String message) {
    super(message);
  }
}
