package io.ticketgate.gateway;

/**
 * Whether the conversation's turn a bot call runs in may have been lost, as the handler making the
 * call can ask right before the call leaves the process.
 *
 * <p>The gateway checks the turn before it calls a handler, but a process can be stopped between
 * that check and the moment a request actually goes out (a long GC pause, SIGSTOP, a frozen VM).
 * If the ticket's lifetime ran out meanwhile, another replica may be serving the conversation, and
 * a request sent on resume could reach the bot before that replica's first one, so a bot that
 * fences by ticket would not refuse it and the two calls would overlap. A handler that sends
 * something another process acts on therefore asks as late as it can, on the thread that sends,
 * and throws {@link BotException#turnLost} instead of sending. The HTTP bots do so on the
 * connection's I/O thread, right before the request is written.
 *
 * <p>Answered without a store call, so it is cheap enough to ask on an I/O thread; thread-safe.
 */
@FunctionalInterface
public interface TurnCheck {

  /** A turn that is never lost: for calling a handler outside the gateway (tests, tools). */
  TurnCheck HELD = () -> false;

  /**
   * Whether the turn may have been lost: its ticket's lifetime may have run out (the process was
   * paused, or could not renew it while the store was unreachable), or it was found gone.
   */
  boolean isLost();
}
