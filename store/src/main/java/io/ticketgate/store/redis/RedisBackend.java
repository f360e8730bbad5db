package io.ticketgate.store.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.ticketgate.store.LockException;
import io.ticketgate.store.StoreCallObserver;
import io.ticketgate.store.backend.LockBackend;
import io.ticketgate.store.backend.ReleaseListener;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What both Redis backends share: the connection, key naming, and release signals.
 *
 * <p>Releases are signalled on two channels per key prefix, so a process needs one subscription
 * however many conversations it serves: {@link #releaseChannel}, where the message is the
 * conversation id and waiters look again, and {@link #servedChannel}, where a release names the
 * ticket it serves and its waiter takes the turn without a look. The backend also
 * listens to keyspace events for its keys: Redis sends none unless {@code notify-keyspace-events} is
 * enabled, but where it is, a Rasa server's releases and every ticket expiry wake waiters too.
 *
 * <p>Every step is one command or script sent asynchronously; its stage completes on a Lettuce I/O
 * thread, and fails within the socket timeout when Redis does not answer.
 */
abstract class RedisBackend implements LockBackend {

  private static final Logger log = LoggerFactory.getLogger(RedisBackend.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  final RedisSettings settings;
  final RedisConnection redis;
  /** Everything before the conversation id in a key, such as {@code lock:} or {@code tenant1:lock:}. */
  final String keyPrefix;
  /** What the two channels' names start with: {@code ticketgate:} and the key prefix. */
  final String channelBase;
  /** Where releases are published whose message is the conversation id: waiters look again. */
  final String releaseChannel;
  /**
   * Where a release that knows who it serves says so: the message is the JSON array
   * {@code [conversation id, ticket, progress mark or false]}, and that ticket's waiter is served
   * without a look ({@link ReleaseListener#served}).
   */
  final String servedChannel;

  RedisBackend(RedisSettings settings, String storePrefix) {
    this.settings = settings;
    this.keyPrefix = (settings.keyPrefix() == null ? "" : settings.keyPrefix() + ":") + storePrefix;
    this.channelBase = "ticketgate:" + keyPrefix;
    this.releaseChannel = channelBase + "released";
    this.servedChannel = channelBase + "served";
    this.redis = new RedisConnection(settings);
  }

  @Override
  public void open(ReleaseListener listener) {
    String keyspace = "__keyspace@" + settings.db() + "__:";
    redis.subscribe(List.of(releaseChannel, servedChannel), keyspace + keyPrefix + "*",
        (channel, message) -> {
          if (channel.equals(servedChannel)) {
            served(message, listener);
          } else {
            listener.released(message);
          }
        },
        (channel, event) -> {
          if (wakesOn(event)) {
            String id = conversationOfKey(channel.substring(keyspace.length() + keyPrefix.length()));
            if (id != null) {
              listener.released(id);
            }
          }
        });
  }

  /**
   * Passes on a message of the served channel. One that cannot be read (written by something
   * else than a Ticketgate release) is logged and dropped: the waiters it was meant for look again
   * at their recheck interval at the latest.
   */
  private static void served(String message, ReleaseListener listener) {
    String conversationId;
    int ticket;
    String progress;
    try {
      JsonNode m = JSON.readTree(message);
      if (!m.isArray() || m.size() != 3 || !m.get(0).isTextual()
          || !m.get(1).isIntegralNumber() || !m.get(1).canConvertToInt()
          || !(m.get(2).isTextual() || m.get(2).isBoolean())) {
        throw new IllegalArgumentException("not [conversation id, ticket, progress mark or false]");
      }
      conversationId = m.get(0).textValue();
      ticket = m.get(1).intValue();
      progress = m.get(2).isTextual() ? m.get(2).textValue() : null;
    } catch (JsonProcessingException e) {
      log.warn("ignoring a message on the served channel that is not a Ticketgate release (not JSON: {}): {}",
          e.getOriginalMessage(), message);
      return;
    } catch (IllegalArgumentException e) {
      log.warn("ignoring a message on the served channel that is not a Ticketgate release ({}): {}", e.getMessage(),
          message);
      return;
    }
    listener.served(conversationId, ticket, progress);
  }

  /**
   * Whether a keyspace event of this kind on one of the backend's keys may mean a ticket left, so
   * waiters should look again. A key that is deleted or expires always may.
   */
  boolean wakesOn(String event) {
    return event.equals("del") || event.equals("expired");
  }

  /** The conversation a key (with {@link #keyPrefix} removed) belongs to, or null when it is not a lock key. */
  abstract String conversationOfKey(String keyWithoutPrefix);

  /**
   * The conversation id as it appears in keys. In cluster mode an id without a hash tag is wrapped
   * in one, so all keys of a conversation live in one slot and a Lua script can touch them together.
   */
  final String keyId(String conversationId) {
    if (settings.deploymentMode() == RedisSettings.DeploymentMode.CLUSTER) {
      int open = conversationId.indexOf('{');
      int close = open < 0 ? -1 : conversationId.indexOf('}', open + 1);
      if (close <= open + 1) {
        return "{" + conversationId + "}";
      }
    }
    return conversationId;
  }

  /** Inverse of {@link #keyId} for ids this backend wrapped. */
  final String conversationOfKeyId(String keyId) {
    if (settings.deploymentMode() == RedisSettings.DeploymentMode.CLUSTER
        && keyId.length() > 2 && keyId.startsWith("{") && keyId.endsWith("}")) {
      return keyId.substring(1, keyId.length() - 1);
    }
    return keyId;
  }

  /** {@code stage} with its failures turned into {@link LockException}s that say what and where. */
  final <T> CompletionStage<T> guard(String conversationId, String action, CompletionStage<T> stage) {
    return stage.handle((v, e) -> {
      if (e == null) {
        return v;
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      // Thrown as a CompletionException so that the stage fails with the LockException itself as its cause.
      throw new CompletionException(cause instanceof LockException ? cause : failure(conversationId, action, cause));
    });
  }

  /** A step that could not even be sent (a bug, or bad input) as a failed stage. */
  static <T> CompletionStage<T> failed(RuntimeException e) {
    return CompletableFuture.failedFuture(e);
  }

  private LockException failure(String conversationId, String action, Throwable cause) {
    return new LockException(conversationId, "could not " + action + " in Redis at " + redis.describe() + ": " + cause, cause);
  }

  @Override
  public StoreCallObserver.Failure failureKind(Throwable cause) {
    return kindOf(cause);
  }

  /**
   * Lettuce's exceptions by kind. With commands rejected while disconnected (standalone and
   * Sentinel), a step sent without a connection fails at once with a plain {@link RedisException}.
   */
  static StoreCallObserver.Failure kindOf(Throwable cause) {
    if (cause instanceof RedisCommandTimeoutException) {
      return StoreCallObserver.Failure.TIMEOUT;
    }
    if (cause instanceof RedisCommandExecutionException) {
      return StoreCallObserver.Failure.REJECTED;
    }
    if (cause instanceof RedisConnectionException || cause instanceof java.io.IOException
        || (cause instanceof RedisException && String.valueOf(cause.getMessage()).contains("not connected"))) {
      return StoreCallObserver.Failure.UNREACHABLE;
    }
    return cause instanceof java.util.concurrent.TimeoutException ? StoreCallObserver.Failure.TIMEOUT
        : StoreCallObserver.Failure.ERROR;
  }

  @Override
  public CompletionStage<Void> ping() {
    return guard(null, "ping", redis.async().ping()).thenApply(pong -> null);
  }

  @Override
  public void close() {
    redis.close();
  }

  String describe() {
    return redis.describe();
  }
}
