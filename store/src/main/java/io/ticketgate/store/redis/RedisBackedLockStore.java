package io.ticketgate.store.redis;

import io.ticketgate.store.LockException;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What both Redis stores share: the connection, key naming, and release signals.
 *
 * <p>Releases are signalled on one channel per key prefix, the message being the conversation id,
 * so a process needs one subscription however many conversations it serves. The store also listens
 * to keyspace events for its keys: Redis sends none unless {@code notify-keyspace-events} is
 * enabled, but where it is, a Rasa server's releases and every ticket expiry wake waiters too.
 */
abstract class RedisBackedLockStore extends LockStore {

  final RedisSettings settings;
  final RedisConnection redis;
  /** Everything before the conversation id in a key, such as {@code lock:} or {@code tenant1:lock:}. */
  final String keyPrefix;
  /** Where releases are published. */
  final String releaseChannel;

  RedisBackedLockStore(RedisSettings settings, LockStoreOptions options, String storePrefix) {
    super(options);
    this.settings = settings;
    this.keyPrefix = (settings.keyPrefix() == null ? "" : settings.keyPrefix() + ":") + storePrefix;
    this.releaseChannel = "ticketgate:" + keyPrefix + "released";
    this.redis = new RedisConnection(settings);
    try {
      String keyspace = "__keyspace@" + settings.db() + "__:";
      redis.subscribe(releaseChannel, keyspace + keyPrefix + "*",
          (channel, conversationId) -> wakeWaiters(conversationId),
          (channel, event) -> {
            if (wakesOn(event)) {
              String id = conversationOfKey(channel.substring(keyspace.length() + keyPrefix.length()));
              if (id != null) {
                wakeWaiters(id);
              }
            }
          });
    } catch (RuntimeException e) {
      redis.close();
      throw e;
    }
  }

  /**
   * Whether a keyspace event of this kind on one of the store's keys may mean a ticket left, so
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

  /** Inverse of {@link #keyId} for ids this store wrapped. */
  final String conversationOfKeyId(String keyId) {
    if (settings.deploymentMode() == RedisSettings.DeploymentMode.CLUSTER
        && keyId.length() > 2 && keyId.startsWith("{") && keyId.endsWith("}")) {
      return keyId.substring(1, keyId.length() - 1);
    }
    return keyId;
  }

  /** Waits for a Redis call, failing with a {@link LockException} that says what and where. */
  final <T> T await(String conversationId, String action, CompletionStage<T> stage) {
    if (Thread.currentThread().getName().startsWith("lettuce-")) {
      // The reply can only be read by this very thread: waiting here would stall the connection.
      throw new IllegalStateException("blocking Redis call (" + action + ") on a Redis I/O thread");
    }
    try {
      // Lettuce already fails a command after the socket timeout; the extra second only guards a stuck future.
      return stage.toCompletableFuture().get(settings.socketTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
    } catch (ExecutionException | CompletionException e) {
      throw failure(conversationId, action, e.getCause() == null ? e : e.getCause());
    } catch (TimeoutException e) {
      throw failure(conversationId, action, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new LockException(LockException.Reason.CANCELLED, conversationId, "interrupted while trying to " + action, e);
    }
  }

  /** {@code stage} with its failures turned into {@link LockException}s that say what and where. */
  final <T> CompletionStage<T> guard(String conversationId, String action, CompletionStage<T> stage) {
    return stage.handle((v, e) -> {
      if (e == null) {
        return CompletableFuture.completedFuture(v);
      }
      Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
      return CompletableFuture.<T>failedFuture(cause instanceof LockException ? cause : failure(conversationId, action, cause));
    }).thenCompose(f -> f);
  }

  private LockException failure(String conversationId, String action, Throwable cause) {
    return new LockException(conversationId, "could not " + action + " in Redis at " + redis.describe() + ": " + cause, cause);
  }

  @Override
  public void ping() {
    await(null, "ping", redis.async().ping());
  }

  @Override
  public void close() {
    try {
      super.close();
    } finally {
      redis.close();
    }
  }
}
