package io.ticketgate.store.testing;

import java.lang.management.LockInfo;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/**
 * Waits with a generous timeout and, when the timeout passes, fails with every thread's stack in
 * the message, so a hang in CI shows where each thread was stuck instead of just "timed out".
 *
 * <p>Timeouts here are safety nets, never assertions about speed: a healthy run finishes long
 * before them.
 */
public final class Hang {

  /** The default safety net for anything that should finish quickly. */
  public static final Duration DEFAULT = Duration.ofSeconds(60);

  private Hang() {}

  /** Waits for {@code future}; returns its value, rethrows its failure, or fails with a dump on timeout. */
  public static <T> T get(Future<T> future, Duration timeout, String what) {
    try {
      return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      throw new AssertionError(message(what, timeout), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof RuntimeException re) {
        throw re;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw new AssertionError(what + " failed", cause);
    }
  }

  /**
   * Waits for {@code future} to fail and returns the failure (unwrapped from {@link ExecutionException});
   * fails when it succeeds instead, or with a dump on timeout.
   */
  public static Throwable failure(Future<?> future, Duration timeout, String what) {
    try {
      Object value = future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      throw new AssertionError(what + ": expected a failure but got " + value);
    } catch (TimeoutException e) {
      throw new AssertionError(message(what, timeout), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    } catch (ExecutionException e) {
      return e.getCause();
    } catch (java.util.concurrent.CancellationException e) {
      return e;
    }
  }

  /** Waits for every future in order; fails with a dump when the total wait passes {@code timeout}. */
  public static void all(List<? extends Future<?>> futures, Duration timeout, String what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    for (Future<?> f : futures) {
      long left = Math.max(0, deadline - System.nanoTime());
      get(f, Duration.ofNanos(left), what);
    }
  }

  /** Waits for {@code latch}; fails with a dump on timeout. */
  public static void await(CountDownLatch latch, Duration timeout, String what) {
    try {
      if (!latch.await(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
        throw new AssertionError(message(what, timeout));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  /**
   * Polls {@code condition} until it holds; fails with a dump on timeout. For outcomes that have no
   * event to wait on (a store's contents, a thread's state); the poll interval is not a delay the
   * test relies on.
   */
  public static void until(BooleanSupplier condition, Duration timeout, Supplier<String> what) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError(message(what.get(), timeout));
      }
      if (Thread.interrupted()) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted while waiting for " + what.get());
      }
      LockSupport.parkNanos(1_000_000);
    }
  }

  /** {@link #until(BooleanSupplier, Duration, Supplier)} with a fixed description. */
  public static void until(BooleanSupplier condition, Duration timeout, String what) {
    until(condition, timeout, () -> what);
  }

  /** Waits for {@code thread} to end; fails with a dump on timeout. */
  public static void join(Thread thread, Duration timeout, String what) {
    try {
      if (!thread.join(timeout)) {
        throw new AssertionError(message(what, timeout));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for " + what, e);
    }
  }

  /** The failure message for a hang: what, how long, then every thread's stack. */
  public static String message(String what, Duration timeout) {
    return "timed out after " + timeout.toMillis() + " ms waiting for " + what
        + "; all thread stacks follow\n" + dumpAllThreads();
  }

  /**
   * Every live platform thread's name, state, held and awaited locks, and stack
   * ({@link Thread#getAllStackTraces()}), followed by the JDK's own thread dump, which also shows
   * virtual threads (where the stores' blocking calls run).
   */
  public static String dumpAllThreads() {
    return platformThreads() + virtualThreads();
  }

  private static String virtualThreads() {
    try {
      var bean = ManagementFactory.getPlatformMXBean(com.sun.management.HotSpotDiagnosticMXBean.class);
      java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("hang-dump");
      java.nio.file.Path file = dir.resolve("threads.txt");
      try {
        bean.dumpThreads(file.toString(), com.sun.management.HotSpotDiagnosticMXBean.ThreadDumpFormat.TEXT_PLAIN);
        return "\n----- JDK thread dump, virtual threads included -----\n" + java.nio.file.Files.readString(file);
      } finally {
        java.nio.file.Files.deleteIfExists(file);
        java.nio.file.Files.deleteIfExists(dir);
      }
    } catch (Exception | LinkageError e) {
      return "\n(no JDK thread dump with virtual threads: " + e + ")\n";
    }
  }

  private static String platformThreads() {
    StringBuilder sb = new StringBuilder();
    Map<Thread, StackTraceElement[]> traces = Thread.getAllStackTraces();
    Map<Long, ThreadInfo> infos = new java.util.HashMap<>();
    try {
      for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(true, true)) {
        infos.put(info.getThreadId(), info);
      }
    } catch (RuntimeException | LinkageError e) {
      sb.append("(lock information unavailable: ").append(e).append(")\n");
    }
    traces.entrySet().stream()
        .sorted(Comparator.comparing(e -> e.getKey().getName()))
        .forEach(e -> {
          Thread t = e.getKey();
          sb.append('"').append(t.getName()).append("\" id=").append(t.threadId())
              .append(t.isDaemon() ? " daemon" : "").append(t.isVirtual() ? " virtual" : "")
              .append(' ').append(t.getState()).append('\n');
          ThreadInfo info = infos.get(t.threadId());
          if (info != null) {
            LockInfo waitingOn = info.getLockInfo();
            if (waitingOn != null) {
              sb.append("    waiting on ").append(waitingOn);
              if (info.getLockOwnerName() != null) {
                sb.append(" owned by \"").append(info.getLockOwnerName()).append('"');
              }
              sb.append('\n');
            }
            for (LockInfo held : info.getLockedSynchronizers()) {
              sb.append("    holds ").append(held).append('\n');
            }
          }
          for (StackTraceElement frame : e.getValue()) {
            sb.append("    at ").append(frame).append('\n');
          }
          sb.append('\n');
        });
    return sb.toString();
  }
}
