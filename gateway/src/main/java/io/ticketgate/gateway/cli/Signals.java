package io.ticketgate.gateway.cli;

import sun.misc.Signal;

/**
 * SIGTERM and SIGINT start a graceful stop instead of killing the JVM at once, so the process
 * finishes in-flight work, releases tickets, commits, and exits 0 — what an orchestrator expects.
 */
final class Signals {

  private Signals() {}

  static void onTermination(Runnable action) {
    for (String name : new String[] {"TERM", "INT"}) {
      try {
        Signal.handle(new Signal(name), s -> action.run());
      } catch (IllegalArgumentException e) {
        // The JVM reserves the signal (for instance -Xrs); the default shutdown still applies.
        org.slf4j.LoggerFactory.getLogger(Signals.class).warn("cannot handle SIG{}: {}", name, e.getMessage());
      }
    }
  }
}
