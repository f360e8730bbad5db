package io.ticketgate.gateway.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
import io.ticketgate.gateway.config.LoggingSettings;
import java.util.Locale;
import java.util.Map;
import org.slf4j.LoggerFactory;

/**
 * Logback set-up of the {@code ticketgate} launcher. The gateway's jar ships no {@code logback.xml},
 * so an application embedding the gateway or the store keeps its own configuration; the launcher
 * loads one of its two bundled configurations (text or JSON, both on standard error) itself.
 *
 * <p>The root level comes from, first to last: {@code --log-level}, the {@code LOG_LEVEL}
 * environment variable, {@code logging.level} in {@code gateway.yml}, INFO. Per-logger levels come
 * from {@code logging.loggers}. Called on the main thread before the gateway starts.
 */
final class Logging {

  /** The environment variable that sets the root level. */
  static final String ENV = "LOG_LEVEL";

  /** The level given on the command line, or null. */
  private static volatile String commandLineLevel;

  private Logging() {}

  /** Text logs at the level of {@code --log-level} or {@code LOG_LEVEL}, before any configuration is read. */
  static void start() {
    apply(LoggingSettings.defaults());
  }

  /** {@code --log-level}: applies now, and outranks every other source later. */
  static void setCommandLineLevel(String level) {
    commandLineLevel = level;
    root(level);
  }

  /**
   * The level in {@code LOG_LEVEL}, or null when it is unset.
   *
   * @throws IllegalArgumentException when it is set to something that is not a level
   */
  static String environmentLevel() {
    String level = System.getenv(ENV);
    if (level == null || level.isBlank()) {
      return null;
    }
    if (!LoggingSettings.isLevel(level.strip())) {
      throw new IllegalArgumentException(ENV + " was '" + level + "' but it must be one of "
          + new java.util.TreeSet<>(LoggingSettings.LEVELS));
    }
    return level.strip();
  }

  /** Loads the configuration for {@code settings.format()}, then sets the levels it and the other sources give. */
  static void apply(LoggingSettings settings) {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding is in charge; it has its own configuration
    }
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    String resource = "logback-" + settings.format() + ".xml";
    try {
      configurator.doConfigure(Logging.class.getResource(resource));
    } catch (JoranException e) {
      throw new IllegalStateException("the bundled " + resource + " is invalid", e);
    }
    for (Map.Entry<String, String> e : settings.loggers().entrySet()) {
      context.getLogger(e.getKey()).setLevel(level(e.getValue()));
    }
    String root = commandLineLevel;
    if (root == null) {
      root = environmentLevel();
    }
    if (root == null) {
      root = settings.level();
    }
    if (root != null) {
      root(root);
    }
  }

  private static void root(String level) {
    if (LoggerFactory.getILoggerFactory() instanceof LoggerContext context) {
      context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).setLevel(level(level));
    }
  }

  private static Level level(String name) {
    return Level.toLevel(name.toUpperCase(Locale.ROOT), Level.INFO);
  }
}
