package io.ticketgate.store.redis;

import io.lettuce.core.codec.RedisCodec;
import io.lettuce.core.codec.ToByteBufEncoder;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Strings as UTF-8, written straight into the command's buffer. Lettuce's own UTF-8 codec only
 * estimates a string's encoded size (three bytes a character), so Lettuce encodes every key and
 * argument into a temporary pooled buffer first and copies it over: with about ten arguments a
 * script call, those buffers were a third of the Redis client's encoding work in a flight recording
 * of the gateway. This codec reports the exact size, which lets Lettuce write the bytes in place.
 */
final class Utf8Codec implements RedisCodec<String, String>, ToByteBufEncoder<String, String> {

  static final Utf8Codec INSTANCE = new Utf8Codec();

  private Utf8Codec() {}

  @Override
  public int estimateSize(Object keyOrValue) {
    return keyOrValue == null ? 0 : ByteBufUtil.utf8Bytes((CharSequence) keyOrValue);
  }

  @Override
  public boolean isEstimateExact() {
    return true;
  }

  @Override
  public void encodeKey(String key, ByteBuf target) {
    encode(key, target);
  }

  @Override
  public void encodeValue(String value, ByteBuf target) {
    encode(value, target);
  }

  private static void encode(String s, ByteBuf target) {
    if (s != null) {
      ByteBufUtil.writeUtf8(target, s);
    }
  }

  @Override
  public ByteBuffer encodeKey(String key) {
    return bytes(key);
  }

  @Override
  public ByteBuffer encodeValue(String value) {
    return bytes(value);
  }

  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8));
  }

  @Override
  public String decodeKey(ByteBuffer bytes) {
    return decode(bytes);
  }

  @Override
  public String decodeValue(ByteBuffer bytes) {
    return decode(bytes);
  }

  /** Leaves the buffer's position where it was, as Lettuce's own codecs do. */
  private static String decode(ByteBuffer bytes) {
    if (bytes.hasArray()) {
      return new String(bytes.array(), bytes.arrayOffset() + bytes.position(), bytes.remaining(), StandardCharsets.UTF_8);
    }
    byte[] copy = new byte[bytes.remaining()];
    bytes.get(bytes.position(), copy);
    return new String(copy, StandardCharsets.UTF_8);
  }
}
