package io.ticketgate.store.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs a {@code main} class in a second JVM with the test class path, so a test can contend
 * for a Redis lock from a genuinely separate process rather than another thread.
 *
 * <p>Standard output and standard error are collected line by line as they arrive.
 *
 * <pre>{@code
 * try (ChildJvm child = ChildJvm.start(Hammer.class, redis.host(), String.valueOf(redis.port()))) {
 *     child.awaitLine(line -> line.equals("ready"), Duration.ofSeconds(10));
 *     ...
 *     assertThat(child.awaitExit(Duration.ofSeconds(30))).isZero();
 * }
 * }</pre>
 */
public final class ChildJvm implements AutoCloseable {

  /** Linux caps a single argument at 128 KiB; beyond a safe margin the class path goes via an @argfile. */
  private static final int MAX_INLINE_CLASS_PATH = 32 * 1024;

  private final Process process;
  private final Lines stdout = new Lines();
  private final Lines stderr = new Lines();
  private final Thread stdoutPump;
  private final Thread stderrPump;
  private final Path argFile;

  private ChildJvm(Process process, Path argFile) {
    this.process = process;
    this.argFile = argFile;
    this.stdoutPump = pump(process.getInputStream(), stdout, "stdout");
    this.stderrPump = pump(process.getErrorStream(), stderr, "stderr");
  }

  /** Starts {@code mainClass.main(args)} in a new JVM with default JVM options. */
  public static ChildJvm start(Class<?> mainClass, String... args) {
    return start(List.of(), mainClass.getName(), List.of(args));
  }

  /**
   * Starts {@code mainClass} (a binary name such as {@code a.b.Outer$Inner}) in a new JVM.
   *
   * @param jvmOptions options placed before the class name, e.g. {@code -Xmx64m} or {@code -Dkey=value}
   */
  public static ChildJvm start(List<String> jvmOptions, String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaExecutable());
    // The pumps decode UTF-8; without this the child encodes per locale, which is ASCII on bare CI images.
    cmd.addAll(List.of("-Dstdout.encoding=UTF-8", "-Dstderr.encoding=UTF-8"));
    cmd.addAll(jvmOptions);
    String classPath = System.getProperty("java.class.path");
    Path argFile = null;
    try {
      if (classPath.length() > MAX_INLINE_CLASS_PATH) {
        argFile = Files.createTempFile("child-jvm-", ".args");
        Files.writeString(argFile, "-cp \"" + classPath.replace("\\", "\\\\") + "\"\n");
        cmd.add("@" + argFile);
      } else {
        cmd.addAll(List.of("-cp", classPath));
      }
      cmd.add(mainClass);
      cmd.addAll(args);
      Process process = new ProcessBuilder(cmd).start();
      return new ChildJvm(process, argFile);
    } catch (IOException e) {
      deleteQuietly(argFile);
      throw new UncheckedIOException("cannot start child JVM: " + cmd, e);
    }
  }

  /** The child process, e.g. to write to its stdin or read its pid. */
  public Process process() {
    return process;
  }

  /** Lines the child has printed to stdout so far (a snapshot). */
  public List<String> stdoutLines() {
    return stdout.snapshot();
  }

  /** Lines the child has printed to stderr so far (a snapshot). */
  public List<String> stderrLines() {
    return stderr.snapshot();
  }

  /**
   * Waits until the child prints a matching stdout line, e.g. to know it holds a lock before
   * the parent tries to take it.
   *
   * @return the first matching line
   * @throws IllegalStateException if the child exits or the timeout passes first; the message
   *     includes everything the child printed
   */
  public String awaitLine(Predicate<String> matcher, Duration timeout) {
    return awaitLine(stdout, "stdout", matcher, timeout);
  }

  /** Like {@link #awaitLine} for stderr, where a gateway's logs go. */
  public String awaitStderrLine(Predicate<String> matcher, Duration timeout) {
    return awaitLine(stderr, "stderr", matcher, timeout);
  }

  private String awaitLine(Lines lines, String name, Predicate<String> matcher, Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lines) {
      while (true) {
        Optional<String> hit = lines.lines.stream().filter(matcher).findFirst();
        if (hit.isPresent()) {
          return hit.get();
        }
        long left = deadline - System.nanoTime();
        if (left <= 0 || lines.closed) {
          throw new IllegalStateException((lines.closed ? "child closed " + name + " without a matching line"
              : "no matching line within " + timeout) + "\n" + describeOutput());
        }
        try {
          TimeUnit.NANOSECONDS.timedWait(lines, left);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", e);
        }
      }
    }
  }

  /**
   * Waits for the child to exit, killing it if it outlives {@code timeout}.
   *
   * @return its exit code; a child killed here reports 137 (128 + SIGKILL)
   */
  public int awaitExit(Duration timeout) {
    try {
      if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        process.destroyForcibly();
        process.waitFor();
      }
      // Let the pumps drain so callers see the child's final lines.
      stdoutPump.join(Duration.ofSeconds(5));
      stderrPump.join(Duration.ofSeconds(5));
      return process.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new IllegalStateException("interrupted while waiting for child JVM " + process.pid(), e);
    }
  }

  /** Everything the child printed, for assertion messages. */
  public String describeOutput() {
    return "child JVM " + process.pid() + " stdout:\n  " + String.join("\n  ", stdoutLines())
        + "\nstderr:\n  " + String.join("\n  ", stderrLines());
  }

  /** Kills the child (SIGKILL) if it is still running. */
  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroyForcibly);
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      deleteQuietly(argFile);
    }
  }

  private static String javaExecutable() {
    // java.home is the running JVM itself; the command line is only a fallback for odd launchers.
    Path fromHome = Path.of(System.getProperty("java.home"), "bin", "java");
    if (Files.isExecutable(fromHome)) {
      return fromHome.toString();
    }
    return ProcessHandle.current().info().command()
        .orElseThrow(() -> new IllegalStateException("cannot locate the java executable"));
  }

  private static Thread pump(InputStream stream, Lines sink, String name) {
    return Thread.ofPlatform().daemon().name("child-jvm-" + name).start(() -> {
      try (BufferedReader reader = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
        String line;
        while ((line = reader.readLine()) != null) {
          synchronized (sink) {
            sink.lines.add(line);
            sink.notifyAll();
          }
        }
      } catch (IOException e) {
        // The stream closes when the child is killed; what was read so far is kept.
      } finally {
        synchronized (sink) {
          sink.closed = true;
          sink.notifyAll();
        }
      }
    });
  }

  /** Lines read from one stream; guarded by its own monitor, which also signals new lines. */
  private static final class Lines {
    final List<String> lines = new ArrayList<>();
    boolean closed;

    synchronized List<String> snapshot() {
      return List.copyOf(lines);
    }
  }

  private static void deleteQuietly(Path file) {
    if (file == null) {
      return;
    }
    try {
      Files.deleteIfExists(file);
    } catch (IOException e) {
      // A stray temp file is harmless.
    }
  }
}
