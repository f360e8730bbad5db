package io.ticketgate.gateway;

import java.util.List;

/**
 * The bot a gateway hands each message to: Rasa's REST webhook, any HTTP bot, or Java code.
 *
 * <p>The gateway calls {@link #handle} for one conversation at a time and in ticket order, so an
 * implementation needs no locking per conversation; it is called concurrently for different
 * conversations and must be thread-safe. Calls run on virtual threads, so blocking I/O is fine.
 *
 * <p>A Java handler named in {@code bot.type} by its class name needs a public constructor taking
 * the {@code bot:} section as {@code Map<String, Object>}, or a public no-argument constructor.
 */
public interface BotHandler extends AutoCloseable {

  /**
   * Handles one message.
   *
   * @return the replies to publish, in order, one output record each; empty when the bot has
   *     nothing to say
   * @throws BotException when the bot fails; {@link BotException#isRetryable()} decides whether the
   *     gateway tries again (keeping the conversation's turn) or dead-letters the message at once
   */
  List<BotReply> handle(BotRequest request) throws BotException;

  /**
   * Handles one message in a turn that can be checked: what the gateway calls. A handler whose work
   * reaches another process that must not see two holders of a conversation at once (a request to
   * a remote bot) overrides this, checks {@link TurnCheck#isLost()} as late as it can before the
   * work leaves the process, and throws {@link BotException#turnLost} instead when it is lost. The
   * default calls {@link #handle(BotRequest)}: the gateway checked the turn right before. A handler
   * that wraps another (to log, to measure) overrides this too and passes {@code turn} on to the
   * wrapped handler's, or the wrapped HTTP bot never sees it.
   *
   * @param turn whether the turn may have been lost by now
   */
  default List<BotReply> handle(BotRequest request, TurnCheck turn) throws BotException {
    return handle(request);
  }

  /** Releases the handler's resources; the default does nothing. */
  @Override
  default void close() {}
}
