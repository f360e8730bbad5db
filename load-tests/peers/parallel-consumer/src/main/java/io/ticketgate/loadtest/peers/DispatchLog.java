package io.ticketgate.loadtest.peers;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;

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

  /** Written by {@link #drainer} until it ends, then by {@link #close}. */
  private final Writer out;
  private final Path file;
  private final ConcurrentLinkedQueue<String> pending = new ConcurrentLinkedQueue<>();
  private final Thread drainer;
  private volatile boolean closed;
  private volatile IOException failure;

  private DispatchLog(Writer out, Path file) {
    this.out = out;
    this.file = file;
    this.drainer = Thread.ofPlatform().daemon().name("dispatch-log-writer").start(this::drainUntilClosed);
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

  /**
   * Appends one line; called by many worker threads at once. Lock-free, as the Ticketgate arm's
   * log is: the line is queued and {@link #drainer} writes it, so the arm's workers do not contend
   * for the file, which would charge the harness's recording to the arm it measures.
   */
  void write(String conversation, long seq, long startMicros, long endMicros, boolean accepted) {
    IOException f = failure;
    if (f != null) {
      throw new UncheckedIOException("cannot write the dispatch log " + file + ": " + f.getMessage(), f);
    }
    if (!closed) {
      pending.add(conversation + '\t' + seq + "\t-1\t" + startMicros + '\t' + endMicros + '\t' + (accepted ? '1' : '0')
          + '\n');
    }
  }

  private void drainUntilClosed() {
    try {
      while (!closed) {
        if (!drain()) {
          LockSupport.parkNanos(1_000_000);
        }
      }
    } catch (IOException e) {
      failure = e;
    }
  }

  /** Writes every queued line; whether there was any. */
  private boolean drain() throws IOException {
    boolean any = false;
    for (String line; (line = pending.poll()) != null; ) {
      out.write(line);
      any = true;
    }
    return any;
  }

  /** Writes what is queued, then closes the file. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    try {
      drainer.join();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while the dispatch log " + file + " was being written", e);
    }
    if (failure != null) {
      out.close();
      throw failure;
    }
    drain();
    out.close();
  }
}
