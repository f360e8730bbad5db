package io.ticketgate.store.redis;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisNoScriptException;
import io.lettuce.core.RedisURI;
import io.lettuce.core.ScriptOutputType;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulConnection;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.cluster.api.StatefulRedisClusterConnection;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.resource.Delay;
import io.ticketgate.store.LockException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One store's Redis connections: a shared command connection (Lettuce multiplexes every caller over
 * it) and a pub/sub connection for release signals. Standalone, sentinel and cluster deployments
 * look the same from here on.
 *
 * <p>Commands fail instead of queueing while disconnected (except in cluster mode, see
 * {@code configure}), so no command runs late after its caller has given up, and every command fails
 * within the socket timeout. The client reconnects and re-subscribes by itself.
 */
final class RedisConnection implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RedisConnection.class);

  private final RedisSettings settings;
  /**
   * Lettuce's default doubles the pause between reconnects up to 30 s, so a Redis restart of two
   * seconds kept the store away for about two more (the pause had grown to 2 s, then 4 s). A lock
   * store is useless while disconnected and a refused connect costs nothing, so it retries at least
   * every half second.
   */
  private static final Delay RECONNECT_DELAY = Delay.exponential(Duration.ofMillis(1), Duration.ofMillis(500), 2,
      TimeUnit.MILLISECONDS);

  private final ClientResources resources;
  private final AutoCloseable client;
  private final StatefulConnection<String, String> commands;
  private final RedisClusterAsyncCommands<String, String> async;
  private final StatefulRedisPubSubConnection<String, String> pubSub;

  RedisConnection(RedisSettings settings) {
    this.settings = settings;
    this.resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2)
        .reconnectDelay(RECONNECT_DELAY).build();
    AutoCloseable c = null;
    StatefulConnection<String, String> cmd = null;
    StatefulRedisPubSubConnection<String, String> ps = null;
    try {
      if (settings.deploymentMode() == RedisSettings.DeploymentMode.CLUSTER) {
        List<RedisURI> seeds = new ArrayList<>();
        for (String e : settings.effectiveEndpoints()) {
          String[] hp = RedisSettings.parseEndpoint(e);
          seeds.add(uri(settings, hp[0], Integer.parseInt(hp[1])).build());
        }
        RedisClusterClient cluster = RedisClusterClient.create(resources, seeds);
        c = cluster::shutdown;
        ClusterClientOptions.Builder options = ClusterClientOptions.builder();
        configure(options, settings);
        cluster.setOptions(options.build());
        StatefulRedisClusterConnection<String, String> conn = cluster.connect(Utf8Codec.INSTANCE);
        cmd = conn;
        this.async = conn.async();
        ps = cluster.connectPubSub(Utf8Codec.INSTANCE);
      } else {
        RedisURI.Builder b;
        if (settings.deploymentMode() == RedisSettings.DeploymentMode.SENTINEL) {
          List<String> sentinels = settings.effectiveEndpoints();
          String[] first = RedisSettings.parseEndpoint(sentinels.get(0));
          b = RedisURI.Builder.sentinel(first[0], Integer.parseInt(first[1]), settings.sentinelService());
          for (String s : sentinels.subList(1, sentinels.size())) {
            String[] hp = RedisSettings.parseEndpoint(s);
            b.withSentinel(hp[0], Integer.parseInt(hp[1]));
          }
          credentials(b, settings);
          b.withDatabase(settings.db()).withTimeout(settings.socketTimeout()).withSsl(settings.useSsl());
        } else {
          b = uri(settings, settings.host(), settings.port());
        }
        RedisClient single = RedisClient.create(resources, b.build());
        c = single::shutdown;
        ClientOptions.Builder options = ClientOptions.builder();
        configure(options, settings);
        single.setOptions(options.build());
        StatefulRedisConnection<String, String> conn = single.connect(Utf8Codec.INSTANCE);
        cmd = conn;
        this.async = conn.async();
        ps = single.connectPubSub(Utf8Codec.INSTANCE);
      }
    } catch (RuntimeException e) {
      closeQuietly(ps);
      closeQuietly(cmd);
      closeQuietly(c);
      resources.shutdown();
      throw new LockException(LockException.Reason.STORE_FAILED, null, "cannot connect to Redis at " + describe() + ": " + e.getMessage(), e);
    }
    this.client = c;
    this.commands = cmd;
    this.pubSub = ps;
  }

  private static void configure(ClientOptions.Builder options, RedisSettings settings) {
    // Fail at once while disconnected, rather than run late after the caller gave up (a late issue
    // would block others until the ticket expired). Not in cluster mode: there Lettuce opens each
    // node's connection on first use, and rejecting would fail every first command to a node. Those
    // commands still fail within the socket timeout, and a late ticket there has its own TTL.
    options.disconnectedBehavior(settings.deploymentMode() == RedisSettings.DeploymentMode.CLUSTER
        ? ClientOptions.DisconnectedBehavior.ACCEPT_COMMANDS
        : ClientOptions.DisconnectedBehavior.REJECT_COMMANDS);
    options.timeoutOptions(TimeoutOptions.enabled(settings.socketTimeout()));
    options.socketOptions(SocketOptions.builder().connectTimeout(settings.socketTimeout()).build());
    options.sslOptions(sslOptions(settings));
    // Maintenance notifications are a Redis Enterprise/8.x handshake; older servers answer it with an error.
    options.maintNotificationsConfig(MaintNotificationsConfig.disabled());
  }

  private static RedisURI.Builder uri(RedisSettings s, String host, int port) {
    RedisURI.Builder b = RedisURI.Builder.redis(host, port)
        .withDatabase(s.db())
        .withTimeout(s.socketTimeout())
        .withSsl(s.useSsl())
        .withVerifyPeer(s.useSsl());
    credentials(b, s);
    return b;
  }

  private static void credentials(RedisURI.Builder b, RedisSettings s) {
    if (s.password() != null) {
      if (s.username() != null) {
        b.withAuthentication(s.username(), s.password().toCharArray());
      } else {
        b.withPassword(s.password().toCharArray());
      }
    }
  }

  private static SslOptions sslOptions(RedisSettings s) {
    SslOptions.Builder b = SslOptions.builder().jdkSslProvider();
    if (s.sslCaCerts() != null) {
      b.trustManager(s.sslCaCerts().toFile());
    }
    if (s.sslCertfile() != null && s.sslKeyfile() != null) {
      b.keyManager(s.sslCertfile().toFile(), s.sslKeyfile().toFile(), null);
    }
    return b.build();
  }

  /** Where this connects, for messages; never includes credentials. */
  String describe() {
    return switch (settings.deploymentMode()) {
      case STANDARD -> settings.host() + ":" + settings.port() + "/" + settings.db() + (settings.useSsl() ? " (TLS)" : "");
      case CLUSTER -> "cluster " + settings.effectiveEndpoints();
      case SENTINEL -> "sentinel master '" + settings.sentinelService() + "' via " + settings.effectiveEndpoints();
    };
  }

  RedisClusterAsyncCommands<String, String> async() {
    return async;
  }

  /**
   * Subscribes to {@code channels} and the keyspace {@code pattern}; handlers run on Lettuce's
   * threads and must not block. The channels are required: without them no release of another
   * process wakes a waiter before its recheck interval, so a refusal fails the store. Keyspace
   * events are extra wake-ups that Redis sends only where {@code notify-keyspace-events} is on, so
   * an ACL user refused the pattern is warned about and the store opens without them.
   *
   * @throws LockException when Redis refuses the channels or does not answer
   */
  void subscribe(List<String> channels, String pattern, BiConsumer<String, String> onMessage,
      BiConsumer<String, String> onPatternMessage) {
    pubSub.addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String ch, String message) {
        onMessage.accept(ch, message);
      }

      @Override
      public void message(String pat, String ch, String message) {
        onPatternMessage.accept(ch, message);
      }
    });
    try {
      pubSub.sync().subscribe(channels.toArray(String[]::new));
    } catch (RuntimeException e) {
      throw new LockException(LockException.Reason.STORE_FAILED, null, "cannot subscribe to the release channels "
          + channels + " on " + describe() + ": " + e.getMessage() + (isNoPerm(e)
          ? " (the ACL user needs them, for instance with the rule '&ticketgate:*')" : ""), e);
    }
    try {
      pubSub.sync().psubscribe(pattern);
    } catch (RuntimeException e) {
      if (!isNoPerm(e)) {
        throw new LockException(LockException.Reason.STORE_FAILED, null, "cannot subscribe to the keyspace events "
            + pattern + " on " + describe() + ": " + e.getMessage(), e);
      }
      log.warn("Redis at {} refuses this user the keyspace events {} ({}): releases are still signalled on {}, but a "
          + "Rasa server's release, which publishes nothing, wakes waiters only at their next look; grant the ACL rule "
          + "'&{}' to have them", describe(), pattern, e.getMessage(), channels, pattern);
    }
  }

  /** Whether Redis refused a command for the user's ACL permissions. */
  private static boolean isNoPerm(RuntimeException e) {
    return String.valueOf(e.getMessage()).startsWith("NOPERM");
  }

  /** Runs a Lua script by its digest, sending the source only when Redis does not have it yet (after a restart). */
  <T> CompletionStage<T> eval(Script script, ScriptOutputType type, String[] keys, String... args) {
    CompletableFuture<T> result = new CompletableFuture<>();
    async.<T>evalsha(script.sha1, type, keys, args).whenComplete((v, e) -> {
      if (e == null) {
        result.complete(v);
      } else if (unwrap(e) instanceof RedisNoScriptException) {
        async.<T>eval(script.source, type, keys, args).whenComplete((v2, e2) -> {
          if (e2 == null) {
            result.complete(v2);
          } else {
            result.completeExceptionally(e2);
          }
        });
      } else {
        result.completeExceptionally(e);
      }
    });
    return result;
  }

  private static Throwable unwrap(Throwable e) {
    return e instanceof java.util.concurrent.CompletionException && e.getCause() != null ? e.getCause() : e;
  }

  @Override
  public void close() {
    closeQuietly(pubSub);
    closeQuietly(commands);
    closeQuietly(client);
    resources.shutdown();
  }

  private static void closeQuietly(AutoCloseable c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (Exception e) {
      log.warn("error while closing a Redis connection: {}", e.toString());
    }
  }

  /** A Lua script and its SHA-1 digest, computed here so EVALSHA needs no SCRIPT LOAD round trip. */
  static final class Script {
    final String source;
    final String sha1;

    Script(String source) {
      this.source = source;
      try {
        this.sha1 = HexFormat.of().formatHex(
            MessageDigest.getInstance("SHA-1").digest(source.getBytes(StandardCharsets.UTF_8)));
      } catch (NoSuchAlgorithmException e) {
        throw new IllegalStateException("SHA-1 is required of every JDK", e);
      }
    }
  }
}
