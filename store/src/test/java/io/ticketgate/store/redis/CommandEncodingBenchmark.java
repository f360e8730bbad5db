package io.ticketgate.store.redis;

import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.NestedMultiOutput;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the Redis client's I/O thread spends turning one concurrent-store step into bytes: an
 * {@code EVALSHA} with the key and eleven arguments of {@code releaseAndIssue}, encoded into a
 * pooled direct buffer as Lettuce does, with Lettuce's UTF-8 codec ({@code lettuce}) and with
 * {@link Utf8Codec} ({@code exact}). In this package rather than {@code bench} because the codec is
 * internal to it; {@code ./bench CommandEncodingBenchmark} runs it.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(2)
public class CommandEncodingBenchmark {

  private static final String SHA = "4a0f5e1c9b8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f";
  private static final String[] ARGS = {
      "concurrent_lock:whatsapp:+4915112345678:", "ticketgate:concurrent_lock:whatsapp:+4915112345678:", "41",
      "ticketgate:lock_release", "whatsapp:+4915112345678", "600000", "1764590460.123", "60000",
      "1764590400.123", "5000", "user-messages-7@1234567"};

  @Param({"lettuce", "exact"})
  public String codec;

  private RedisCodec<String, String> chosen;

  @Setup
  public void choose() {
    chosen = codec.equals("exact") ? Utf8Codec.INSTANCE : StringCodec.UTF8;
  }

  @Benchmark
  public int encodeReleaseAndIssue() {
    CommandArgs<String, String> args = new CommandArgs<>(chosen).add(SHA).add(1)
        .addKey("concurrent_lock:whatsapp:+4915112345678:41").addValues(ARGS);
    Command<String, String, java.util.List<Object>> command =
        new Command<>(CommandType.EVALSHA, new NestedMultiOutput<>(chosen), args);
    ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(256);
    try {
      command.encode(buf);
      return buf.readableBytes();
    } finally {
      buf.release();
    }
  }
}
