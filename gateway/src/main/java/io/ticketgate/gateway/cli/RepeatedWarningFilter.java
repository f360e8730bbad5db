package io.ticketgate.gateway.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;
import org.slf4j.Marker;

/**
 * Lets each repeated warning of the Kafka clients through once per window and counts the rest: a
 * broker that cannot be reached made {@code NetworkClient} warn several times a second, burying
 * everything else. When the window has passed, the next occurrence goes through after a line saying
 * how many were left out. Warnings are told apart by logger and message template. Used by the
 * launcher's bundled logback configurations; thread-safe.
 */
public final class RepeatedWarningFilter extends TurboFilter {

  /** At most this many templates are tracked; beyond it the oldest windows are forgotten. */
  private static final int MAX_TRACKED = 1000;

  private final ConcurrentHashMap<String, Window> windows = new ConcurrentHashMap<>();
  private final LongSupplier clock;
  private volatile long windowMillis = 30_000;
  private volatile String prefix = "org.apache.kafka";

  /** For logback's configurator. */
  public RepeatedWarningFilter() {
    this(System::currentTimeMillis);
  }

  RepeatedWarningFilter(LongSupplier clock) {
    this.clock = clock;
  }

  /** How long a warning is held back after it went through, in milliseconds (logback property). */
  public void setWindowMillis(long windowMillis) {
    this.windowMillis = windowMillis;
  }

  /** Loggers under this name are filtered (logback property). */
  public void setPrefix(String prefix) {
    this.prefix = prefix;
  }

  private static final class Window {
    long openedAt = Long.MIN_VALUE;
    int leftOut;
  }

  @Override
  public FilterReply decide(Marker marker, Logger logger, Level level, String format, Object[] params, Throwable t) {
    if (format == null || level == null || !level.isGreaterOrEqual(Level.WARN) || !logger.getName().startsWith(prefix)
        || !logger.isEnabledFor(level)) {
      return FilterReply.NEUTRAL;
    }
    if (windows.size() > MAX_TRACKED) {
      windows.clear();
    }
    Window w = windows.computeIfAbsent(logger.getName() + '\u0000' + format, k -> new Window());
    long now = clock.getAsLong();
    int leftOut;
    synchronized (w) {
      if (w.openedAt != Long.MIN_VALUE && now - w.openedAt < windowMillis) {
        w.leftOut++;
        return FilterReply.DENY;
      }
      leftOut = w.leftOut;
      w.openedAt = now;
      w.leftOut = 0;
    }
    if (leftOut > 0) {
      // Its own logger, outside the prefix, so this line is never filtered itself.
      logger.getLoggerContext().getLogger(RepeatedWarningFilter.class).warn("{} more like the next warning of {} were left out "
          + "since it was last shown", leftOut, logger.getName());
    }
    return FilterReply.NEUTRAL;
  }
}
