package io.ticketgate.store.bench;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.MaintNotificationsConfig;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.ticketgate.store.testing.RedisServer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The floor under {@link HandoffBenchmark}: raw Redis round trips with the client library and
 * thread setup the Redis stores use (Lettuce, two I/O threads, an async call awaited on a future),
 * on the same kind of loopback redis-server, as percentiles.
 *
 * <ul>
 *   <li>{@link #ping}: one round trip that touches no data.
 *   <li>{@link #get}: one round trip reading a 16-byte value.
 *   <li>{@link #publishToSubscriber}: {@code PUBLISH} on one connection until both its reply and
 *       the message on a second client's pub/sub connection have arrived: the path a release signal
 *       takes between two replicas.
 * </ul>
 * A Redis store's handoff costs at least a publishing round trip plus one more round trip (the
 * waiter's look), so about {@code publishToSubscriber + get}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class RedisRoundTripBenchmark {

  private static final String KEY = "bench-value";
  private static final String CHANNEL = "bench-channel";
  private static final long TIMEOUT_SECONDS = 10;

  private RedisServer redis;
  private ClientResources resources;
  private RedisClient client;
  private StatefulRedisConnection<String, String> connection;
  private RedisAsyncCommands<String, String> commands;
  private StatefulRedisPubSubConnection<String, String> subscriber;
  private volatile CompletableFuture<String> inbox = new CompletableFuture<>();

  /** Starts Redis and connects the way {@code RedisConnection} does. */
  @Setup(Level.Trial)
  public void open() throws Exception {
    redis = RedisServer.builder().start();
    resources = DefaultClientResources.builder().ioThreadPoolSize(2).computationThreadPoolSize(2).build();
    client = RedisClient.create(resources, RedisURI.Builder.redis(redis.host(), redis.port())
        .withDatabase(StoreKind.DB).build());
    // As in the stores: the maintenance-notifications handshake is for servers newer than Debian's.
    client.setOptions(ClientOptions.builder().maintNotificationsConfig(MaintNotificationsConfig.disabled()).build());
    connection = client.connect(StringCodec.UTF8);
    commands = connection.async();
    await(commands.set(KEY, "0123456789abcdef"));
    subscriber = client.connectPubSub(StringCodec.UTF8);
    subscriber.addListener(new RedisPubSubAdapter<>() {
      @Override
      public void message(String channel, String message) {
        inbox.complete(message);
      }
    });
    subscriber.sync().subscribe(CHANNEL);
  }

  /** Disconnects, then stops Redis. */
  @TearDown(Level.Trial)
  public void close() {
    try {
      subscriber.close();
      connection.close();
      client.shutdown();
      resources.shutdown();
    } finally {
      redis.close();
    }
  }

  /** {@code PING}. */
  @Benchmark
  public String ping() throws Exception {
    return await(commands.ping());
  }

  /** {@code GET} of an existing 16-byte value. */
  @Benchmark
  public String get() throws Exception {
    return await(commands.get(KEY));
  }

  /** {@code PUBLISH}, until its reply and the subscriber's copy of the message are both in. */
  @Benchmark
  public String publishToSubscriber() throws Exception {
    CompletableFuture<String> delivered = new CompletableFuture<>();
    inbox = delivered;
    await(commands.publish(CHANNEL, "bench-conversation"));
    return delivered.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }

  /** Waits like the stores' own {@code await}: a blocking get with a timeout on the command's future. */
  private static <T> T await(io.lettuce.core.RedisFuture<T> future)
      throws InterruptedException, ExecutionException, TimeoutException {
    return future.toCompletableFuture().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
  }
}
