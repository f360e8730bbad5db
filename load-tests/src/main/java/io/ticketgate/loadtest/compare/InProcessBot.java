package io.ticketgate.loadtest.compare;

import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The compare command's in-process bot, the same for every arm that can share classes: sleep the
 * configured latency (none at 0), then answer one reply {@code echo: <message>}. Thread-safe.
 */
public final class InProcessBot implements BotHandler {

  private final long latencyMillis;

  /** A bot that sleeps {@code latencyMillis} before each answer. */
  public InProcessBot(long latencyMillis) {
    this.latencyMillis = latencyMillis;
  }

  /** The one reply to {@code message}, after the latency. */
  public String answer(String message) {
    if (latencyMillis > 0) {
      try {
        Thread.sleep(latencyMillis);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while answering " + message, e);
      }
    }
    return "echo: " + message;
  }

  @Override
  public List<BotReply> handle(BotRequest request) {
    return List.of(new BotReply(answer(request.text()).getBytes(StandardCharsets.UTF_8)));
  }
}
