package io.ticketgate.gateway.kafka;

import io.ticketgate.gateway.BotHandler;
import io.ticketgate.store.LockStore;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Everything a {@link Job} may use, and nothing of the poll thread's: the store, the bot and its
 * circuit breaker, where replies and dead letters go, retry pauses, the listener, and the mailbox
 * through which it reports that it is over. Immutable; shared by all jobs.
 *
 * @param lifetime each ticket's lifetime
 * @param lockMaxWait how long one attempt waits for its ticket to be served
 * @param retries bot attempts after the first for retryable failures while the breaker stays closed;
 *     also how many fenced refusals in a row (plus one) dead-letter a record
 * @param breaker the circuit breaker every bot call passes
 * @param limiter the limit on bot calls in flight ({@code bot.concurrency})
 * @param waiting records waiting for their turn; a gauge every job adds to and takes from
 * @param clock what the pauses between attempts are slept on
 */
record JobContext(LockStore store, BotHandler bot, BotBreaker breaker, BotLimiter limiter, Publisher publisher,
    Backoff backoff, PipelineClock clock,
    PipelineListener listener, Mailbox mailbox, Duration lifetime, Duration lockMaxWait, int retries,
    AtomicInteger waiting) {}
