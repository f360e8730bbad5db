package io.ticketgate.gateway.config;

import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * The {@code logging:} section. Logs go to standard error; standard output is left to a command's
 * own output.
 *
 * @param format {@code text} or {@code json} (one object per line, for log shippers)
 * @param level the root level, or null to leave it to {@code --log-level}, {@code LOG_LEVEL} or INFO
 * @param loggers levels by logger name, such as {@code io.ticketgate.store: debug}
 */
public record LoggingSettings(String format, String level, Map<String, String> loggers) {

  /** The levels a logger can be set to, lower case. */
  public static final Set<String> LEVELS = Set.of("trace", "debug", "info", "warn", "error", "off");

  /** Validates and freezes the components. */
  public LoggingSettings {
    Objects.requireNonNull(format, "format");
    loggers = Map.copyOf(loggers);
  }

  /** Text logs, levels left alone. */
  public static LoggingSettings defaults() {
    return new LoggingSettings("text", null, Map.of());
  }

  /** Whether {@code level} names a level, in any case. */
  public static boolean isLevel(String level) {
    return level != null && LEVELS.contains(level.toLowerCase(Locale.ROOT));
  }
}
