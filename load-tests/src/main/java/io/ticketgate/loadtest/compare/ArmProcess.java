package io.ticketgate.loadtest.compare;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one compare arm as a child JVM and watches it, following the arm contract:
 *
 * <ul>
 *   <li>options {@code --bootstrap --input --output --group --expected --bot inprocess:<ms>|http:<url>
 *       --max-concurrency --dispatch-log} (plus arm-specific ones; an arm ignores what it has no use for);
 *   <li>the dispatch log: one line per bot call, {@code conv \t seq \t ticket|-1 \t startEpochMicros \t
 *       endEpochMicros \t accepted 1|0}, flushed before exit;
 *   <li>stdout: {@code progress <handled> <committed> [<storeSteps>]} at least every 500 ms, then
 *       {@code done <handled> <committed> <elapsedMicros> [<cpuMicros> [<storeSteps>]]} (from the first
 *       consumed record until the last expected record was handled and committed; the arm JVM's CPU
 *       time over the same span, -1 or left out when unknown; the turn steps its lock store took so
 *       far, each a request to the store, left out by arms without a store); other lines are logs;
 *   <li>exit 0 when done; the arm exits by itself when its stdin closes.
 * </ul>
 *
 * <p>An arm whose progress does not change for the stall timeout is killed and reported stalled (a
 * silent hang must not hold up the run); an arm still running its budget after its first handled
 * record is stopped (SIGTERM, so it flushes its log) and reported partial.
 */
public final class ArmProcess {

  private static final Logger log = LoggerFactory.getLogger(ArmProcess.class);
  private static final Duration EXIT_GRACE = Duration.ofSeconds(15);
  private static final int KEPT_LINES = 15;

  /**
   * What the arm did.
   *
   * @param status how it ended
   * @param handled records handled, from its last progress or done line
   * @param committed records committed, likewise
   * @param elapsedMicros from the done line; -1 when the arm did not finish
   * @param cpuMicros the arm JVM's CPU time, from the done line; -1 when unknown
   * @param storeSteps the turn steps the arm's lock store took, from its last progress or done line;
   *     -1 when it reported none
   * @param detail why it ended as it did, for people; empty when done
   */
  public record Outcome(ArmStatus status, long handled, long committed, long elapsedMicros, long cpuMicros,
      long storeSteps, String detail) {}

  /** Receives progress while the arm runs (for the progress line). */
  public interface Progress {
    /** The arm reported {@code handled} and {@code committed}; {@code seconds} since its first handled record. */
    void update(long handled, long committed, double seconds);
  }

  private final List<String> command;
  private final Path logFile;
  private final Duration stallTimeout;
  private final Duration budget;

  private volatile long handled;
  private volatile long committed;
  private volatile long elapsedMicros = -1;
  private volatile long cpuMicros = -1;
  private volatile long storeSteps = -1;
  private volatile boolean done;
  private final Deque<String> lastLines = new ArrayDeque<>();

  /**
   * @param command the arm's command line
   * @param logFile where its stdout and stderr go, except progress lines
   */
  public ArmProcess(List<String> command, Path logFile, Duration stallTimeout, Duration budget) {
    this.command = List.copyOf(command);
    this.logFile = logFile;
    this.stallTimeout = stallTimeout;
    this.budget = budget;
  }

  /**
   * Starts the arm and waits until it is done, stopped or dead.
   *
   * @param started receives the process as soon as it runs, so a shutdown hook can kill it
   */
  public Outcome run(Consumer<Process> started, Progress progress) throws InterruptedException {
    Process process;
    try {
      Files.createDirectories(logFile.toAbsolutePath().getParent());
      process = new ProcessBuilder(command).redirectErrorStream(true).start();
    } catch (IOException e) {
      return new Outcome(ArmStatus.FAILED, 0, 0, -1, -1, -1, "cannot start " + command.get(0) + ": " + e.getMessage());
    }
    started.accept(process);
    Thread reader = Thread.ofPlatform().daemon().name("arm-output").start(() -> read(process));
    long startNanos = System.nanoTime();
    long lastChange = startNanos;
    long firstHandled = -1;
    long seenHandled = -1;
    long seenCommitted = -1;
    ArmStatus status = null;
    String detail = "";
    try {
      while (status == null) {
        boolean exited = process.waitFor(100, TimeUnit.MILLISECONDS);
        long now = System.nanoTime();
        long h = handled;
        long c = committed;
        if (h != seenHandled || c != seenCommitted) {
          seenHandled = h;
          seenCommitted = c;
          lastChange = now;
        }
        if (firstHandled < 0 && h > 0) {
          firstHandled = now;
        }
        progress.update(h, c, firstHandled < 0 ? 0 : (now - firstHandled) / 1e9);
        if (exited) {
          reader.join(EXIT_GRACE.toMillis());
          if (done) {
            status = ArmStatus.DONE;
            if (process.exitValue() != 0) {
              detail = "exited " + process.exitValue() + " after its done line; see " + logFile;
            }
          } else {
            status = ArmStatus.FAILED;
            detail = "exited " + process.exitValue() + " before it was done; last output: " + lastLines()
                + " (log " + logFile + ")";
          }
        } else if (done) {
          // Done: give it time to close its clients, then make sure it is gone.
          if (!process.waitFor(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
            log.warn("arm pid {} did not exit within {} s of its done line; stopping it", process.pid(),
                EXIT_GRACE.toSeconds());
            stop(process);
          }
        } else if (now - lastChange > stallTimeout.toNanos()) {
          status = ArmStatus.STALLED;
          detail = "no progress for " + stallTimeout.toSeconds() + " s (last: handled " + h + ", committed " + c
              + "); killed; see " + logFile;
          // A hung arm may also ignore SIGTERM; it gets the same grace as any other, then SIGKILL.
          stop(process);
        } else if (firstHandled >= 0 && now - firstHandled > budget.toNanos()) {
          status = ArmStatus.PARTIAL;
          detail = "stopped on its " + budget.toSeconds() + " s budget after " + h + " handled, " + c + " committed";
          stop(process);
        }
      }
    } finally {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
    reader.join(EXIT_GRACE.toMillis());
    boolean finished = status == ArmStatus.DONE;
    return new Outcome(status, handled, committed, finished ? elapsedMicros : -1, finished ? cpuMicros : -1,
        storeSteps, detail);
  }

  /**
   * SIGTERM so the arm flushes its log, SIGKILL if it ignores that. Through the process handle:
   * {@link Process#destroy()} also closes the streams, and the arm's last words would be lost.
   */
  private static void stop(Process process) throws InterruptedException {
    process.toHandle().destroy();
    if (!process.waitFor(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS)) {
      process.toHandle().destroyForcibly();
      process.waitFor(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
    }
  }

  private void read(Process process) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        BufferedWriter out = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (!parse(line)) {
          out.write(line);
          out.newLine();
          synchronized (lastLines) {
            lastLines.addLast(line);
            if (lastLines.size() > KEPT_LINES) {
              lastLines.removeFirst();
            }
          }
        }
      }
    } catch (IOException e) {
      // The JDK closes a destroyed process's streams under the reader.
      log.debug("arm output closed ({})", logFile, e);
    }
  }

  /** Takes a progress or done line into account; false for any other line. */
  boolean parse(String line) {
    String[] parts = line.trim().split("\\s+");
    try {
      if ((parts.length == 3 || parts.length == 4) && parts[0].equals("progress")) {
        long steps = parts.length == 4 ? Long.parseLong(parts[3]) : storeSteps;
        handled = Long.parseLong(parts[1]);
        committed = Long.parseLong(parts[2]);
        storeSteps = steps;
        return true;
      }
      if (parts.length >= 4 && parts.length <= 6 && parts[0].equals("done")) {
        long cpu = parts.length >= 5 ? Long.parseLong(parts[4]) : -1;
        long steps = parts.length == 6 ? Long.parseLong(parts[5]) : storeSteps;
        handled = Long.parseLong(parts[1]);
        committed = Long.parseLong(parts[2]);
        elapsedMicros = Long.parseLong(parts[3]);
        cpuMicros = cpu;
        storeSteps = steps;
        done = true;
        return true;
      }
    } catch (NumberFormatException e) {
      log.debug("not a progress line: {}", line);
    }
    return false;
  }

  private String lastLines() {
    synchronized (lastLines) {
      return lastLines.isEmpty() ? "(none)" : String.join(" | ", lastLines);
    }
  }
}
