package io.ticketgate.gateway.kafka;

import java.io.ByteArrayOutputStream;
import java.util.Base64;
import java.util.NavigableSet;
import java.util.TreeSet;

/**
 * The progress beyond a committed offset, carried in the commit's metadata string so that the next
 * owner of the partition does not dispatch again what this replica already finished.
 *
 * <p>Kafka keeps one offset per partition: "everything before this is done". Conversations run in
 * parallel, so when a partition moves, records above that offset are often finished already (only
 * an earlier record of another conversation was still waiting for its turn). Without more, the new
 * owner would dispatch them again: a second bot call and a doubled reply. So each commit also says
 * which offsets in {@code [offset, end)} are <em>not</em> finished; every other offset in that range
 * is, and the next owner skips it.
 *
 * <p>Encoding: {@code tg1:} followed by unpadded URL-safe base64 of unsigned varints: {@code end -
 * offset}, then each unfinished offset as the gap from the previous one (the first from the
 * committed offset). The broker caps metadata ({@code offset.metadata.max.bytes}, 4096 by default);
 * a list that would not fit in {@link #MAX_CHARS} is cut short and {@code end} lowered to the first
 * offset left out, so the next owner dispatches again only records it cannot know about. Anything
 * that is not this format (another tool's metadata, a corrupt string) means "nothing known".
 */
final class CommitMetadata {

  /** Well under the broker's default limit of 4096, which counts the whole string. */
  static final int MAX_CHARS = 3000;
  private static final String PREFIX = "tg1:";
  private static final int MAX_VARINT_BYTES = 10;

  private CommitMetadata() {}

  /**
   * What a commit says about the offsets from its own offset up to {@code end}.
   *
   * @param end one past the last offset the committer knew about
   * @param unfinished offsets in {@code [committed offset, end)} that were not finished
   */
  record Progress(long end, NavigableSet<Long> unfinished) {}

  /**
   * The metadata for a commit of {@code offset}.
   *
   * @param unfinished ascending offsets, each at least {@code offset} and below {@code end}
   * @return the metadata, or the empty string when there is nothing beyond {@code offset} to tell
   */
  static String encode(long offset, long end, Iterable<Long> unfinished) {
    return encode(offset, end, unfinished, MAX_CHARS);
  }

  static String encode(long offset, long end, Iterable<Long> unfinished, int maxChars) {
    if (end <= offset) {
      return "";
    }
    int maxBytes = (maxChars - PREFIX.length()) * 3 / 4;
    ByteArrayOutputStream gaps = new ByteArrayOutputStream();
    long previous = offset;
    for (long u : unfinished) {
      if (u < previous || u >= end) {
        throw new IllegalArgumentException("unfinished offset " + u + " out of order or outside [" + offset + ", " + end + ")");
      }
      int before = gaps.size();
      writeVarint(gaps, u - previous);
      if (gaps.size() + MAX_VARINT_BYTES > maxBytes) { // room for the header, end - offset
        // Cut here: u and everything after it become "unknown", which the next owner dispatches again.
        byte[] kept = gaps.toByteArray();
        gaps.reset();
        gaps.write(kept, 0, before);
        end = u;
        break;
      }
      previous = u;
    }
    if (end <= offset) {
      return "";
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writeVarint(out, end - offset);
    out.writeBytes(gaps.toByteArray());
    return PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(out.toByteArray());
  }

  /**
   * Reads the metadata of a commit of {@code offset}.
   *
   * @return the progress it records, or null when it is empty or not Ticketgate's
   * @throws IllegalArgumentException when it looks like Ticketgate's but does not decode
   */
  static Progress decode(long offset, String metadata) {
    if (metadata == null || !metadata.startsWith(PREFIX)) {
      return null;
    }
    byte[] bytes = Base64.getUrlDecoder().decode(metadata.substring(PREFIX.length()));
    int[] pos = {0};
    long end = offset + readVarint(bytes, pos);
    TreeSet<Long> unfinished = new TreeSet<>();
    long previous = offset;
    while (pos[0] < bytes.length) {
      previous += readVarint(bytes, pos);
      if (previous >= end) {
        throw new IllegalArgumentException("unfinished offset " + previous + " at or past the end " + end);
      }
      unfinished.add(previous);
    }
    return new Progress(end, unfinished);
  }

  private static void writeVarint(ByteArrayOutputStream out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.write((int) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.write((int) v);
  }

  private static long readVarint(byte[] bytes, int[] pos) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos[0] >= bytes.length) {
        throw new IllegalArgumentException("truncated number at byte " + pos[0]);
      }
      byte b = bytes[pos[0]++];
      v |= (long) (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("number longer than 64 bits at byte " + pos[0]);
  }
}
