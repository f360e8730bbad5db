package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.Dispatch;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The dispatch log, one line per bot call (conversation, seq, ticket or -1, start and end epoch
 * microseconds, accepted 1 or 0, tab-separated): written by an arm or the HTTP bot's process through
 * a {@link Writer}, read back into {@link Dispatch}es whose times are epoch microseconds times 1000
 * ("epoch nanos"), the time base every compare figure uses.
 */
public final class DispatchLogs {

  private static final Logger log = LoggerFactory.getLogger(DispatchLogs.class);

  private DispatchLogs() {}

  /**
   * Parses the log. A missing file is an empty log (the arm never got that far); a malformed line,
   * typically the last one of an arm that was killed mid-write, is skipped with a warning.
   */
  public static List<Dispatch> read(Path file) throws IOException {
    List<Dispatch> dispatches = new ArrayList<>();
    if (!Files.exists(file)) {
      return dispatches;
    }
    long malformed = 0;
    String first = null;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        Dispatch d = parse(line);
        if (d == null) {
          malformed++;
          first = first == null ? line : first;
        } else {
          dispatches.add(d);
        }
      }
    }
    if (malformed > 0) {
      log.warn("{}: skipped {} malformed lines, first: '{}'", file, malformed, first);
    }
    return dispatches;
  }

  /** One line, or null when it is not a dispatch line. */
  static Dispatch parse(String line) {
    String[] f = line.split("\t", -1);
    if (f.length != 6 || f[0].isEmpty() || !(f[5].equals("1") || f[5].equals("0"))) {
      return null;
    }
    try {
      return new Dispatch(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), "", Long.parseLong(f[3]) * 1000,
          Long.parseLong(f[4]) * 1000, f[5].equals("1"));
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /** Opens {@code file} for writing, creating its directory; an existing file is replaced. */
  public static Writer open(Path file) throws IOException {
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    return new Writer(file, Files.newBufferedWriter(file, StandardCharsets.UTF_8));
  }

  /**
   * Appends lines to one dispatch log. Thread-safe and lock-free for the callers: a line goes on a
   * queue that one thread of the writer's own drains into the file every millisecond. The arm's
   * bot calls write here from up to a thousand threads at once, and a lock around the buffer was a
   * tenth of the Ticketgate arm's CPU samples, spent contending for it: the harness's recording,
   * charged to the arm it measures. Lines after {@link #close} are dropped, since the process is
   * being stopped.
   */
  public static final class Writer implements AutoCloseable {

    private static final long DRAIN_PAUSE_NANOS = 1_000_000;

    private final Path file;
    /** Written by {@link #drainer} until it ends, then by {@link #close}. */
    private final BufferedWriter out;
    private final ConcurrentLinkedQueue<String> pending = new ConcurrentLinkedQueue<>();
    private final Thread drainer;
    private volatile boolean closed;
    /** Why the drainer stopped writing, if it failed. */
    private volatile IOException failure;

    private Writer(Path file, BufferedWriter out) {
      this.file = file;
      this.out = out;
      this.drainer = Thread.ofPlatform().daemon().name("dispatch-log-writer").start(this::drainUntilClosed);
    }

    /** Appends one call; {@code ticket} -1 without one. */
    public void write(String conversation, long seq, long ticket, long startMicros, long endMicros, boolean accepted) {
      IOException f = failure;
      if (f != null) {
        throw new UncheckedIOException("cannot write the dispatch log " + file, f);
      }
      if (!closed) {
        pending.add(conversation + '\t' + seq + '\t' + ticket + '\t' + startMicros + '\t' + endMicros + '\t'
            + (accepted ? '1' : '0') + '\n');
      }
    }

    private void drainUntilClosed() {
      try {
        while (!closed) {
          if (!drain()) {
            LockSupport.parkNanos(DRAIN_PAUSE_NANOS);
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

    /** Writes what is queued, then flushes and closes the file. Idempotent. */
    @Override
    public synchronized void close() {
      if (closed) {
        return;
      }
      closed = true;
      boolean interrupted = false;
      while (drainer.isAlive()) {
        try {
          drainer.join();
        } catch (InterruptedException e) {
          interrupted = true; // the file must still be complete; ask again once it is
        }
      }
      try {
        if (failure == null) {
          drain();
        }
        out.close();
      } catch (IOException e) {
        failure = failure == null ? e : failure;
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      if (failure != null) {
        throw new UncheckedIOException("cannot write the dispatch log " + file, failure);
      }
    }
  }
}
