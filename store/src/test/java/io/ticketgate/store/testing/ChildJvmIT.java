package io.ticketgate.store.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;

import org.junit.jupiter.api.Test;

/** Proves {@link ChildJvm} runs test classes in a separate process and reports on them. */
class ChildJvmIT {

  /** Child entry point: echoes its arguments, then exits with the code given first. */
  public static final class Echo {
    /** Prints each argument after the first on its own line. */
    public static void main(String[] args) {
      for (int i = 1; i < args.length; i++) {
        System.out.println(args[i]);
      }
      System.err.println("pid " + ProcessHandle.current().pid());
      System.exit(Integer.parseInt(args[0]));
    }
  }

  /** Child entry point that announces itself and then never finishes. */
  public static final class Sleeper {
    /** Prints "ready" and sleeps forever. */
    public static void main(String[] args) throws InterruptedException {
      System.out.println("ready");
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  @Test
  void runsMainInSeparateProcessAndCollectsOutput() {
    try (ChildJvm child = ChildJvm.start(Echo.class, "3", "hello", "wörld")) {
      assertThat(child.awaitExit(Duration.ofSeconds(60))).isEqualTo(3);
      assertThat(child.stdoutLines()).containsExactly("hello", "wörld");
      assertThat(child.stderrLines()).containsExactly("pid " + child.process().pid());
      assertThat(child.process().pid()).isNotEqualTo(ProcessHandle.current().pid());
    }
  }

  @Test
  void passesJvmOptions() {
    try (ChildJvm child = ChildJvm.start(List.of("-Dunused=1", "-Xmx64m"), Echo.class.getName(), List.of("0"))) {
      assertThat(child.awaitExit(Duration.ofSeconds(60))).isZero();
    }
  }

  @Test
  void killsChildThatOutlivesTimeout() {
    try (ChildJvm child = ChildJvm.start(Sleeper.class)) {
      assertThat(child.awaitLine("ready"::equals, Duration.ofSeconds(60))).isEqualTo("ready");

      assertThat(child.awaitExit(Duration.ofMillis(200))).isEqualTo(137);
      assertThat(child.process().isAlive()).isFalse();
    }
  }

  @Test
  void awaitLineFailsFastWhenChildExits() {
    try (ChildJvm child = ChildJvm.start(Echo.class, "0", "something else")) {
      assertThatThrownBy(() -> child.awaitLine("ready"::equals, Duration.ofSeconds(60)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageContaining("without a matching line")
          .hasMessageContaining("something else");
    }
  }
}
