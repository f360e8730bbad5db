package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.ticketgate.store.StoreCallObserver.Failure;
import java.net.ConnectException;
import org.junit.jupiter.api.Test;

/** How the Redis backends name the failures of their steps, for the store-call metrics. */
class RedisFailureKindTest {

  @Test
  void lettucesExceptionsByKind() {
    assertThat(RedisBackend.kindOf(new RedisCommandTimeoutException("Command timed out after 2 second(s)")))
        .isEqualTo(Failure.TIMEOUT);
    assertThat(RedisBackend.kindOf(new RedisCommandExecutionException("WRONGTYPE Operation against a key")))
        .isEqualTo(Failure.REJECTED);
    assertThat(RedisBackend.kindOf(new RedisConnectionException("Unable to connect to 127.0.0.1:6390")))
        .isEqualTo(Failure.UNREACHABLE);
    assertThat(RedisBackend.kindOf(new RedisException("Currently not connected. Commands are rejected.")))
        .isEqualTo(Failure.UNREACHABLE);
    assertThat(RedisBackend.kindOf(new ConnectException("Connection refused"))).isEqualTo(Failure.UNREACHABLE);
    assertThat(RedisBackend.kindOf(new IllegalStateException("a ticket that is not JSON"))).isEqualTo(Failure.ERROR);
  }
}
