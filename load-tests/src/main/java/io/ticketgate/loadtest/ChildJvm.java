package io.ticketgate.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The command line of a child JVM the harness starts (the broker, replicas, compare arms): this
 * JVM's java, a small heap and the serial collector, so children on a small machine stay out of
 * each other's way.
 */
public final class ChildJvm {

  private ChildJvm() {}

  /** java with this JVM's class path, which holds the gateway, the harness and their dependencies. */
  public static List<String> command() {
    return command(System.getProperty("java.class.path"));
  }

  /** java with the given class path and the harness's usual JVM options. */
  public static List<String> command(String classPath) {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    cmd.add("-Xmx384m");
    cmd.add("-XX:+UseSerialGC");
    if (Runtime.version().feature() >= 23) {
      // kafka-clients unmaps buffers through sun.misc.Unsafe, which JDK 23+ warns about on every start.
      cmd.add("--sun-misc-unsafe-memory-access=allow");
    }
    // For profiling a replica or an arm, e.g. LOAD_TEST_CHILD_JAVA_OPTS="-XX:StartFlightRecording=filename=/tmp/x.jfr".
    String extra = System.getenv("LOAD_TEST_CHILD_JAVA_OPTS");
    if (extra != null && !extra.isBlank()) {
      cmd.addAll(List.of(extra.trim().split("\\s+")));
    }
    cmd.add("-cp");
    cmd.add(classPath);
    return cmd;
  }

  /**
   * Stops a child: SIGTERM, then SIGKILL when it has not exited within {@code grace} (or the wait is
   * interrupted, whose flag is kept).
   *
   * @return true when it had to be killed
   */
  public static boolean stop(Process process, Duration grace) {
    process.destroy();
    return awaitExitOrKill(process, grace);
  }

  /**
   * The second half of {@link #stop}, for a caller that signalled several children first so they
   * stop side by side: waits up to {@code grace}, then SIGKILLs.
   *
   * @return true when it had to be killed
   */
  public static boolean awaitExitOrKill(Process process, Duration grace) {
    try {
      if (process.waitFor(grace.toMillis(), TimeUnit.MILLISECONDS)) {
        return false;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    process.destroyForcibly();
    return true;
  }
}
