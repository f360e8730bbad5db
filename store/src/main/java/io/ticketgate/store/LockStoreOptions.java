package io.ticketgate.store;

import io.ticketgate.store.config.SectionReader;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Settings every {@link LockStore} shares, whatever keeps its tickets. Immutable; build one with
 * {@link #builder()} or start from {@link #defaults()}.
 *
 * @param lockLifetime how long a ticket lives unless renewed; default {@value #DEFAULT_LOCK_LIFETIME_SECONDS}
 *     s, or the environment variable {@code TICKET_LOCK_LIFETIME} (seconds) when set
 * @param keepAlive whether this process renews its own waiting and held tickets while it lives, so
 *     that its tickets expire only when it dies or cannot renew them (paused, cut off from the store
 *     for their lifetime); default false (Rasa's behaviour)
 * @param recheckInterval the longest a waiter goes without looking at the store again even when no
 *     release event arrives, a safety net for events that are lost or never sent (for instance by a
 *     Rasa server sharing the store); default 1 s
 * @param clock the clock that judges expiry; the system clock unless a test steps its own
 */
public record LockStoreOptions(
    Duration lockLifetime, boolean keepAlive, Duration recheckInterval, Clock clock) {

  /** Rasa's default ticket lifetime. */
  public static final int DEFAULT_LOCK_LIFETIME_SECONDS = 60;

  /** The environment variable Rasa reads for the default lifetime, in seconds. */
  public static final String LIFETIME_ENV = "TICKET_LOCK_LIFETIME";

  /** Default {@link #recheckInterval()}. */
  public static final Duration DEFAULT_RECHECK_INTERVAL = Duration.ofSeconds(1);

  /** Validates the settings. */
  public LockStoreOptions {
    Objects.requireNonNull(lockLifetime, "lockLifetime");
    Objects.requireNonNull(recheckInterval, "recheckInterval");
    Objects.requireNonNull(clock, "clock");
    if (lockLifetime.isNegative() || lockLifetime.isZero()) {
      throw new IllegalArgumentException("lockLifetime must be positive but was " + lockLifetime);
    }
    if (recheckInterval.isNegative() || recheckInterval.isZero()) {
      throw new IllegalArgumentException("recheckInterval must be positive but was " + recheckInterval);
    }
  }

  /** The defaults, with the lifetime taken from {@code TICKET_LOCK_LIFETIME} when it is set. */
  public static LockStoreOptions defaults() {
    return new LockStoreOptions(defaultLifetime(), false, DEFAULT_RECHECK_INTERVAL, Clock.systemUTC());
  }

  /**
   * The common settings of a {@code lock_store:} section ({@code lock_lifetime}, {@code keep_alive},
   * {@code recheck_interval}), over {@link #defaults()}; custom stores pass them to {@code super(...)}.
   *
   * @throws LockStoreConfigException when one of them is invalid
   */
  public static LockStoreOptions of(Map<String, Object> section) {
    SectionReader r = SectionReader.of("lock_store", section, null);
    LockStoreOptions options = read(r);
    r.throwIfProblems();
    return options;
  }

  /** Reads the common settings with {@code r}, which collects their problems with the rest of its section's. */
  public static LockStoreOptions read(SectionReader r) {
    LockStoreOptions defaults;
    try {
      defaults = defaults();
    } catch (LockStoreConfigException e) {
      r.problem(e.problems().get(0));
      defaults = new LockStoreOptions(Duration.ofSeconds(DEFAULT_LOCK_LIFETIME_SECONDS), false,
          DEFAULT_RECHECK_INTERVAL, Clock.systemUTC());
    }
    return defaults.toBuilder()
        .lockLifetime(r.seconds("lock_lifetime", defaults.lockLifetime()))
        .keepAlive(r.bool("keep_alive", defaults.keepAlive()))
        .recheckInterval(r.seconds("recheck_interval", defaults.recheckInterval()))
        .build();
  }

  /** A builder starting from {@link #defaults()}. */
  public static Builder builder() {
    return new Builder(defaults());
  }

  /** A builder starting from these settings. */
  public Builder toBuilder() {
    return new Builder(this);
  }

  /**
   * The lifetime from {@code TICKET_LOCK_LIFETIME}, or 60 s when unset.
   *
   * @throws LockStoreConfigException when the variable is set but is not a positive number
   */
  public static Duration defaultLifetime() {
    String raw = System.getenv(LIFETIME_ENV);
    if (raw == null || raw.isBlank()) {
      return Duration.ofSeconds(DEFAULT_LOCK_LIFETIME_SECONDS);
    }
    try {
      double seconds = Double.parseDouble(raw.trim());
      if (seconds > 0 && Double.isFinite(seconds)) {
        return Duration.ofNanos(Math.round(seconds * 1e9));
      }
    } catch (NumberFormatException e) {
      // reported below with the value that was wrong
    }
    throw new LockStoreConfigException(List.of("environment variable " + LIFETIME_ENV + " was '" + raw
        + "' but it must be a positive number of seconds"));
  }

  /** Builds {@link LockStoreOptions}; every setter checks its value at once. */
  public static final class Builder {
    private Duration lockLifetime;
    private boolean keepAlive;
    private Duration recheckInterval;
    private Clock clock;

    private Builder(LockStoreOptions from) {
      this.lockLifetime = from.lockLifetime;
      this.keepAlive = from.keepAlive;
      this.recheckInterval = from.recheckInterval;
      this.clock = from.clock;
    }

    /** Sets {@link LockStoreOptions#lockLifetime()}. */
    public Builder lockLifetime(Duration lockLifetime) {
      this.lockLifetime = lockLifetime;
      return this;
    }

    /** Sets {@link LockStoreOptions#keepAlive()}. */
    public Builder keepAlive(boolean keepAlive) {
      this.keepAlive = keepAlive;
      return this;
    }

    /** Sets {@link LockStoreOptions#recheckInterval()}. */
    public Builder recheckInterval(Duration recheckInterval) {
      this.recheckInterval = recheckInterval;
      return this;
    }

    /** Sets {@link LockStoreOptions#clock()}. */
    public Builder clock(Clock clock) {
      this.clock = clock;
      return this;
    }

    /** Builds the options. */
    public LockStoreOptions build() {
      return new LockStoreOptions(lockLifetime, keepAlive, recheckInterval, clock);
    }
  }
}
