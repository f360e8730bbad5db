package io.ticketgate.store;

import java.util.Locale;

/**
 * Hears of every step a store's turns take in the backing store, with how long it took and, when
 * it failed, what kind of failure it was: what metrics of the store's latency and errors by
 * operation are made from ({@link LockStore#observeCalls}).
 *
 * <p>Called once per step, on whatever thread the step completed on (for Redis, a Lettuce I/O
 * thread, which serves every other call too), so an observer must be quick and must not block. An
 * observer that throws is logged and does not fail the step.
 */
public interface StoreCallObserver {

  /** The steps of a turn, as the engine asks the backing store for them. */
  enum Operation {
    /** Take a ticket and look where it stands. */
    ISSUE,
    /** Look where a ticket stands. */
    LOOK,
    /** Extend a held or waiting ticket. */
    RENEW,
    /** Give a ticket back. */
    RELEASE,
    /** Give a ticket back and look where this process's next ticket of the conversation stands. */
    RELEASE_AND_LOOK,
    /** Give a ticket back and take the next one of the conversation for work queued behind it. */
    RELEASE_AND_ISSUE;

    /** The name in metrics: lower case, such as {@code release_and_issue}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** What kind of failure a step met. */
  enum Failure {
    /** No answer within the store's timeout. */
    TIMEOUT,
    /** No connection to the store: refused, closed, or not yet re-established. */
    UNREACHABLE,
    /** The store answered with an error (a key of the wrong type, a script error, no permission). */
    REJECTED,
    /** Anything else, such as data that is not a lock. */
    ERROR;

    /** The name in metrics: lower case, such as {@code unreachable}. */
    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Observes nothing: the default, which costs a store nothing per step. */
  StoreCallObserver NONE = new StoreCallObserver() {
    @Override
    public void answered(Operation operation, long nanos) {}

    @Override
    public void failed(Operation operation, long nanos, Failure failure) {}
  };

  /** The step answered after {@code nanos}. */
  void answered(Operation operation, long nanos);

  /** The step failed after {@code nanos}. */
  void failed(Operation operation, long nanos, Failure failure);
}
