package io.ticketgate.loadtest.peers;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

/**
 * The contract's dispatch log: one tab-separated line per bot call, {@code conversation, seq,
 * ticket (-1: this arm has none), startEpochMicros, endEpochMicros, accepted}.
 */
final class DispatchLog implements AutoCloseable {

  private static final long START_NANOS;
  private static final long START_EPOCH_MICROS;

  static {
    Instant now = Instant.now();
    START_NANOS = System.nanoTime();
    START_EPOCH_MICROS = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
  }

  private final Writer out;
  private final Path file;

  private DispatchLog(Writer out, Path file) {
    this.out = out;
    this.file = file;
  }

  /** Opens (truncates) {@code file}; null gives a log that writes nothing. */
  static DispatchLog open(Path file) throws IOException {
    if (file == null) {
      return new DispatchLog(Writer.nullWriter(), null);
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    return new DispatchLog(new BufferedWriter(Files.newBufferedWriter(file, StandardCharsets.UTF_8), 1 << 16), file);
  }

  /**
   * Wall-clock microseconds that never go backwards within this JVM: the epoch time at start plus
   * elapsed {@link System#nanoTime()}, as the contract prescribes.
   */
  static long epochMicros() {
    return START_EPOCH_MICROS + (System.nanoTime() - START_NANOS) / 1_000;
  }

  /** Appends one line; called by many worker threads at once. */
  synchronized void write(String conversation, long seq, long startMicros, long endMicros, boolean accepted) {
    try {
      out.write(conversation + '\t' + seq + "\t-1\t" + startMicros + '\t' + endMicros + '\t' + (accepted ? '1' : '0')
          + '\n');
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the dispatch log " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public synchronized void close() throws IOException {
    out.close();
  }
}
