package io.ticketgate.loadtest.compare;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * What every arm JVM shares: the clock the dispatch log uses, the dispatch log itself, the progress
 * lines on stdout, and the rule that an arm dies with the harness (when its stdin closes).
 *
 * <p>Thread-safe. One instance per arm JVM, made by {@link #start}.
 */
public final class ArmRuntime implements AutoCloseable {

  private static final long START_NANOS = System.nanoTime();
  private static final long START_EPOCH_MICROS = instantMicros(Instant.now());

  /** Records handled (bot answered, or for the ceilings: consumed or sent). */
  public final AtomicLong handled = new AtomicLong();
  /** Records committed. */
  public final AtomicLong committed = new AtomicLong();

  private final ArmArgs args;
  private final DispatchLogs.Writer log;
  private final Thread reporter;
  private volatile long firstConsumedNanos = -1;
  private volatile long firstConsumedCpuNanos = -1;
  private volatile long doneNanos = -1;
  private volatile long doneCpuNanos = -1;
  private volatile boolean closed;
  /** The lock store's turn steps so far, for arms with a store that counts them; null for the others. */
  private volatile LongSupplier storeSteps;

  private ArmRuntime(ArmArgs args, DispatchLogs.Writer log) {
    this.args = args;
    this.log = log;
    this.reporter = Thread.ofPlatform().daemon().name("arm-progress").unstarted(this::report);
  }

  /**
   * Opens the dispatch log, starts the progress lines, and makes the JVM exit when stdin closes
   * (the harness died) and flush the log when it is terminated (the harness stops it on its budget).
   */
  public static ArmRuntime start(ArmArgs args) {
    try {
      ArmRuntime runtime = new ArmRuntime(args, DispatchLogs.open(args.dispatchLog()));
      Runtime.getRuntime().addShutdownHook(new Thread(runtime::close, "arm-flush-log"));
      runtime.reporter.start();
      Thread.ofPlatform().daemon().name("arm-stdin").start(ArmRuntime::exitWhenStdinCloses);
      return runtime;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open the dispatch log " + args.dispatchLog() + ": " + e.getMessage(), e);
    }
  }

  /** Epoch microseconds now, monotonic within this JVM (start epoch plus elapsed nanoTime). */
  public static long nowMicros() {
    return epochMicros(System.nanoTime());
  }

  /** The epoch microseconds of a {@link System#nanoTime()} reading of this JVM, on the clock of {@link #nowMicros}. */
  public static long epochMicros(long nanoTime) {
    return START_EPOCH_MICROS + (nanoTime - START_NANOS) / 1000;
  }

  private static long instantMicros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  /**
   * Makes the progress and done lines carry {@code steps}, the turn steps the arm's lock store has
   * taken so far (each a request to the store), as their last field.
   */
  public void reportStoreSteps(LongSupplier steps) {
    this.storeSteps = steps;
  }

  /** {@code " <steps>"} when the arm reports its store's steps, else nothing. */
  private String storeStepsField() {
    LongSupplier steps = storeSteps;
    return steps == null ? "" : " " + steps.getAsLong();
  }

  /** Marks the first consumed record; the elapsed time of the done line starts here. */
  public void consumed() {
    if (firstConsumedNanos < 0) {
      firstConsumedCpuNanos = CpuUse.selfNanos();
      firstConsumedNanos = System.nanoTime();
    }
  }

  /**
   * Writes one dispatch log line: conversation, seq, ticket (-1 without one), start and end epoch
   * micros, accepted 1 or 0. Lines after {@link #close} are dropped: the arm is being stopped.
   */
  public void dispatched(String conversation, long seq, long ticket, long startMicros, long endMicros,
      boolean accepted) {
    log.write(conversation, seq, ticket, startMicros, endMicros, accepted);
  }

  /**
   * Whether the arm has handled and committed {@code --expected} records; the first time it is,
   * remembers the moment for the done line.
   */
  public boolean checkDone() {
    if (doneNanos < 0 && handled.get() >= args.expected() && committed.get() >= args.expected()) {
      doneCpuNanos = CpuUse.selfNanos();
      doneNanos = System.nanoTime();
    }
    return doneNanos >= 0;
  }

  /** Flushes the log and prints the done line. Call once, after {@link #checkDone} said true. */
  public void finish() {
    close();
    long start = firstConsumedNanos < 0 ? doneNanos : firstConsumedNanos;
    long cpuStart = firstConsumedNanos < 0 ? doneCpuNanos : firstConsumedCpuNanos;
    long cpuMicros = cpuStart < 0 || doneCpuNanos < 0 ? -1 : (doneCpuNanos - cpuStart) / 1000;
    reporter.interrupt();
    synchronized (System.out) {
      System.out.println("done " + handled.get() + " " + committed.get() + " " + (doneNanos - start) / 1000 + " "
          + cpuMicros + storeStepsField());
      System.out.flush();
    }
  }

  /** Flushes and closes the dispatch log. Idempotent. */
  @Override
  public void close() {
    closed = true;
    try {
      log.close();
    } catch (UncheckedIOException e) {
      // Also runs as a shutdown hook, where nobody would catch it: say it where the harness reads.
      System.err.println(e.getMessage() + ": " + e.getCause());
    }
  }

  private void report() {
    try {
      while (!Thread.currentThread().isInterrupted() && !closed) {
        synchronized (System.out) {
          System.out.println("progress " + handled.get() + " " + committed.get() + storeStepsField());
          System.out.flush();
        }
        Thread.sleep(250);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt(); // finish() stops the reporter; the done line follows
    }
  }

  private static void exitWhenStdinCloses() {
    awaitStdinEnd();
    System.err.println("stdin closed: the harness is gone or stopping this arm; exiting");
    // Not a halt: stopping a child (Process.destroy) sends SIGTERM and closes its stdin at once, and
    // a halt here would beat the shutdown hook that flushes the dispatch log.
    System.exit(3);
  }

  /**
   * Blocks until stdin ends: the harness that started this process closed it, stopped it (which
   * closes it too) or died.
   */
  static void awaitStdinEnd() {
    try (InputStream in = System.in) {
      byte[] buffer = new byte[64];
      while (in.read(buffer) >= 0) {
        // Input is ignored; only its end matters.
      }
    } catch (IOException e) {
      System.err.println("cannot read stdin (" + e + "); taking it as closed");
    }
  }

  /**
   * The {@code metadata.seq} of a compare input record, found by scanning rather than parsing: the
   * ceilings must not pay for JSON. -1 when there is none.
   */
  public static long seq(String value) {
    if (value == null) {
      return -1;
    }
    int at = value.indexOf("\"seq\":");
    if (at < 0) {
      return -1;
    }
    int i = at + 6;
    while (i < value.length() && value.charAt(i) == ' ') {
      i++;
    }
    long n = 0;
    int digits = 0;
    while (i < value.length() && Character.isDigit(value.charAt(i))) {
      n = n * 10 + (value.charAt(i) - '0');
      i++;
      digits++;
    }
    return digits == 0 ? -1 : n;
  }

  /** The {@code message} text of a compare input record (which is always {@code seq=<n>}). */
  public static String message(String value) {
    return "seq=" + seq(value);
  }
}
