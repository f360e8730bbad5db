package io.ticketgate.store.engine;

import java.time.Duration;

/** A ticket this process holds or waits on, as {@link KeepAlive} sees it. */
interface Renewable {

  String conversationId();

  int ticket();

  Duration lifetime();

  /**
   * Whether the ticket may have expired by the store's clock (a lower bound of its expiry has
   * passed); its number may then have been issued to someone else.
   */
  boolean isLocallyExpired();

  /** A renewal requested at {@code requestedAtMillis} (store clock) succeeded. */
  void renewed(long requestedAtMillis);

  /** The store says the ticket is gone: the process has lost its place. */
  void lost();
}
