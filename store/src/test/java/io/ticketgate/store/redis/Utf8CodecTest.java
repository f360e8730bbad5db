package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;

import io.lettuce.core.codec.StringCodec;
import io.lettuce.core.output.StatusOutput;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandArgs;
import io.lettuce.core.protocol.CommandType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Utf8CodecTest {

  /** Conversation ids come from chat channels: anything a user may type, and hostile input. */
  @ParameterizedTest
  @ValueSource(strings = {"", "conv-1", "Gr\u00fc\u00dfe", "\u4f1a\u8bdd", "\ud83d\udcac chat", "lone \ud800 high",
      "lone \udc00 low", "tab\tand\r\nnewline", "\u0000nul"})
  void aCommandIsEncodedToTheSameBytesAsWithLettucesOwnCodec(String s) {
    assertThat(encoded(Utf8Codec.INSTANCE, s)).isEqualTo(encoded(StringCodec.UTF8, s));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "conv-1", "Gr\u00fc\u00dfe", "\ud83d\udcac chat"})
  void theSizeIsExactAndDecodingGivesTheStringBack(String s) {
    byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
    assertThat(Utf8Codec.INSTANCE.estimateSize(s)).isEqualTo(utf8.length);
    assertThat(Utf8Codec.INSTANCE.isEstimateExact()).isTrue();

    ByteBuffer heap = ByteBuffer.wrap(utf8);
    assertThat(Utf8Codec.INSTANCE.decodeValue(heap)).isEqualTo(s);
    assertThat(heap.position()).as("position after decoding").isZero();

    ByteBuffer direct = ByteBuffer.allocateDirect(utf8.length + 1).put((byte) 'x').put(utf8).flip().position(1);
    assertThat(Utf8Codec.INSTANCE.decodeKey(direct)).isEqualTo(s);
    assertThat(direct.position()).as("position after decoding").isEqualTo(1);

    assertThat(Utf8Codec.INSTANCE.encodeKey(s)).isEqualTo(ByteBuffer.wrap(utf8));
  }

  private static String encoded(io.lettuce.core.codec.RedisCodec<String, String> codec, String s) {
    CommandArgs<String, String> args = new CommandArgs<>(codec).addKey(s).addValue(s).addValue("tail");
    Command<String, String, String> command = new Command<>(CommandType.SET, new StatusOutput<>(codec), args);
    ByteBuf buf = ByteBufAllocator.DEFAULT.directBuffer(16);
    try {
      command.encode(buf);
      return buf.toString(StandardCharsets.ISO_8859_1);
    } finally {
      buf.release();
    }
  }
}
