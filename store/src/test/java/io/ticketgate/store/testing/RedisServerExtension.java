package io.ticketgate.store.testing;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One redis-server for all tests of a class, started before the first and stopped after the last:
 * {@code @RegisterExtension static final RedisServerExtension REDIS = new RedisServerExtension();}.
 */
public final class RedisServerExtension implements BeforeAllCallback, AfterAllCallback {

  private RedisServer server;

  @Override
  public void beforeAll(ExtensionContext context) {
    server = RedisServer.builder().start();
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
    }
  }

  /** The running server. */
  public RedisServer server() {
    if (server == null) {
      throw new IllegalStateException("the redis-server starts before the class's first test");
    }
    return server;
  }
}
