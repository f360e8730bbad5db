package io.ticketgate.gateway.config;

/**
 * {@code bot.concurrency}: how many calls to the bot may be in flight at once.
 *
 * <ul>
 *   <li>{@code unlimited} (the default): as many as records in flight, bounded by
 *       {@code dispatch.max_in_flight} and by one call per conversation;
 *   <li>a number: at most that many;
 *   <li>{@code adaptive}: a limit that follows the bot's latency, growing while the bot answers as
 *       fast as it did with fewer calls and shrinking when its latency climbs, so a bot that slows
 *       down under load is not pushed past its knee; between 1 and {@code dispatch.max_in_flight}.
 * </ul>
 *
 * @param mode which of the three
 * @param limit the fixed limit for {@link Mode#FIXED}; the starting limit for {@link Mode#ADAPTIVE}
 */
public record ConcurrencySettings(Mode mode, int limit) {

  /** The three kinds of limit. */
  public enum Mode {
    /** No limit beyond the records in flight. */
    UNLIMITED,
    /** A fixed number of calls. */
    FIXED,
    /** A limit that adapts to the bot's latency. */
    ADAPTIVE
  }

  /**
   * Where an adaptive limit starts: low enough that its first windows see the bot without a queue
   * (a bot with fewer workers is better given a fixed limit); it doubles per window from there.
   */
  public static final int ADAPTIVE_INITIAL_LIMIT = 4;

  /** Validates. */
  public ConcurrencySettings {
    java.util.Objects.requireNonNull(mode, "mode");
    if (limit < 1) {
      throw new IllegalArgumentException("limit < 1: " + limit);
    }
  }

  /** No limit: the default. */
  public static ConcurrencySettings unlimited() {
    return new ConcurrencySettings(Mode.UNLIMITED, Integer.MAX_VALUE);
  }

  /** At most {@code limit} calls. */
  public static ConcurrencySettings fixed(int limit) {
    return new ConcurrencySettings(Mode.FIXED, limit);
  }

  /** A limit that adapts, starting at {@link #ADAPTIVE_INITIAL_LIMIT}. */
  public static ConcurrencySettings adaptive() {
    return new ConcurrencySettings(Mode.ADAPTIVE, ADAPTIVE_INITIAL_LIMIT);
  }
}
