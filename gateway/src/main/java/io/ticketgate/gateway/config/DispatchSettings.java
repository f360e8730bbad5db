package io.ticketgate.gateway.config;

import java.time.Duration;

/**
 * The {@code dispatch:} section: how much work is in flight and how failures are retried.
 *
 * @param maxInFlight records consumed but not finished, across all partitions, before the gateway
 *     pauses consumption; default 1000
 * @param retries bot attempts after the first for retryable failures; default 3
 * @param retryBackoff the first retry's delay, doubled for each further one, with jitter; default 200 ms
 * @param retryBackoffMax the longest retry delay; default 10 s
 * @param lockLifetime ticket lifetime; null to use the lock store's ({@code lock_lifetime}, 60 s)
 * @param lockMaxWait the longest one attempt waits for a ticket to be served before trying again
 *     with a new ticket; default 5 min
 * @param shutdownTimeout how long a stop waits for the records already at the bot (the others are given
 *     back at once); default 30 s
 * @param revocationTimeout how long a rebalance waits for started work on revoked partitions; default 10 s
 * @param commitInterval how often finished offsets are committed; default 1 s
 */
public record DispatchSettings(int maxInFlight, int retries, Duration retryBackoff, Duration retryBackoffMax,
    Duration lockLifetime, Duration lockMaxWait, Duration shutdownTimeout, Duration revocationTimeout,
    Duration commitInterval) {

  /** The defaults. */
  public static DispatchSettings defaults() {
    return new DispatchSettings(1000, 3, Duration.ofMillis(200), Duration.ofSeconds(10), null,
        Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(10), Duration.ofSeconds(1));
  }
}
