package io.ticketgate.loadtest.compare;

import java.io.PrintStream;
import java.util.Locale;

/** The progress line of the arm running now, redrawn in place on stderr twice a second. */
final class ArmProgressLine {

  private final PrintStream err;
  private final boolean enabled;
  private final String name;
  private final long total;
  private long lastDraw;
  private boolean drawn;

  ArmProgressLine(PrintStream err, boolean enabled, String name, long total) {
    this.err = err;
    this.enabled = enabled;
    this.name = name;
    this.total = total;
  }

  void update(long handled, long committed, double seconds) {
    long now = System.nanoTime();
    if (!enabled || now - lastDraw < 500_000_000L) {
      return;
    }
    lastDraw = now;
    drawn = true;
    int width = 20;
    int filled = (int) Math.min(width, width * handled / Math.max(1, total));
    err.printf(Locale.ROOT, "\r%-40s [%s%s] %,d/%,d committed %,d  %,.0f msg/s  %.0f s   ", name, "#".repeat(filled),
        " ".repeat(width - filled), handled, total, committed, seconds > 0 ? handled / seconds : 0.0, seconds);
    err.flush();
  }

  void finish() {
    if (drawn) {
      err.print("\r" + " ".repeat(120) + "\r");
      err.flush();
    }
  }
}
