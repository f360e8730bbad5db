package io.ticketgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code ./load-test} command line: help, version, completion, usage errors and a run that
 * fails. Nothing here starts a broker, Redis or a replica: every run stops at its arguments or at
 * its output directory.
 */
class MainTest {

  @TempDir Path dir;

  /** What one invocation printed and returned. */
  private record Outcome(int exit, String out, String err) {
    List<String> errLines() {
      return err.lines().toList();
    }
  }

  private static Outcome run(String... argv) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = Main.run(argv, o, e);
    }
    return new Outcome(exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * A usage error: exit 2, nothing on stdout, the mistake on one line, at most one line of advice,
   * then where to find help.
   */
  private static void assertUsageError(Outcome o, String command, String message) {
    assertThat(o.exit()).as("exit code of a usage error; stderr: %s", o.err()).isEqualTo(2);
    assertThat(o.out()).isEmpty();
    List<String> lines = o.errLines();
    assertThat(lines.get(0)).startsWith(command + ": ").contains(message);
    assertThat(lines).hasSizeBetween(2, 3).last().isEqualTo("Try '" + command + " --help' for more information.");
    assertThat(o.err()).doesNotContain("\tat ").doesNotContain("Exception");
  }

  /** A path no run can create its output directory at: below a regular file. */
  private Path unwritable() throws IOException {
    return Files.createFile(dir.resolve("file")).resolve("out");
  }

  // --- help, version, completion ---------------------------------------------------------------

  @Test
  void helpListsTheScenarioOptionsAndTheCommandsOnStandardOutput() {
    for (String[] help : List.of(new String[] {"--help"}, new String[] {"-h"}, new String[] {"help"})) {
      Outcome o = run(help);
      assertThat(o.exit()).as(String.join(" ", help)).isZero();
      assertThat(o.err()).isEmpty();
      assertThat(o.out()).startsWith("Usage: load-test")
          .contains("--conversations=N", "--kill-replica-at=F", "--[no-]progress", "--verbose", "LOAD_TEST_DEBUG",
              "Exit codes: 0 every verification line PASS, 1 a FAIL or a failed run, 2 wrong");
      assertThat(o.out().lines()).anySatisfy(l -> assertThat(l).startsWith("  compare "))
          .anySatisfy(l -> assertThat(l).startsWith("  generate-completion "));
    }
  }

  @Test
  void compareHasItsOwnHelp() {
    for (String[] argv : List.of(new String[] {"compare", "--help"}, new String[] {"help", "compare"})) {
      Outcome o = run(argv);
      assertThat(o.exit()).as(String.join(" ", argv)).isZero();
      assertThat(o.err()).isEmpty();
      assertThat(o.out()).startsWith("Usage: load-test compare").contains("--arms=A", "--arm-budget=D",
          "ticketgate-concurrent_redis", "--verbose").doesNotContain("--kill-replica-at");
    }
  }

  @Test
  void versionNamesTheBuildAndTheJava() {
    for (String[] argv : List.of(new String[] {"--version"}, new String[] {"compare", "-V"})) {
      Outcome o = run(argv);
      assertThat(o.exit()).isZero();
      List<String> lines = o.out().lines().toList();
      assertThat(lines).hasSize(2);
      assertThat(lines.get(0)).startsWith("load-test ").contains("(gateway ");
      assertThat(lines.get(1)).startsWith("Java " + Runtime.version().feature());
    }
  }

  @Test
  void generateCompletionPrintsABashScript() {
    Outcome o = run("generate-completion");

    assertThat(o.exit()).isZero();
    assertThat(o.out()).contains("complete -F").contains("compare").contains("--kill-replica-at")
        .contains("--arm-budget").contains("concurrent_redis");
  }

  // --- usage errors ----------------------------------------------------------------------------

  @Test
  void aMistypedOptionGetsTheNearestOne() {
    Outcome scenario = run("--conversatons", "60");
    assertUsageError(scenario, "load-test", "'--conversatons'");
    assertThat(scenario.err()).contains("Did you mean '--conversations'?");

    Outcome compare = run("compare", "--arm-budgt=40s");
    assertUsageError(compare, "load-test compare", "'--arm-budgt=40s'");
    assertThat(compare.err()).contains("Did you mean '--arm-budget'?");
  }

  @Test
  void aMistypedCommandGetsTheNearestOne() {
    Outcome near = run("compar", "--arms", "drain");
    assertUsageError(near, "load-test", "'compar'");
    assertThat(near.err()).contains("Did you mean 'compare'?");

    Outcome far = run("benchmark");
    assertUsageError(far, "load-test", "'benchmark'");
    assertThat(far.err()).doesNotContain("Did you mean");
  }

  @Test
  void anOptionOfTheOtherCommandIsRefusedNamingItsCommand() {
    Outcome scenarioOnly = run("compare", "--replicas", "2");
    assertUsageError(scenarioOnly, "load-test compare", "'--replicas'");
    assertThat(scenarioOnly.errLines().get(1))
        .isEqualTo("'--replicas' is an option of 'load-test', not of 'load-test compare'.");

    Outcome compareOnly = run("--arms=drain");
    assertUsageError(compareOnly, "load-test", "'--arms=drain'");
    assertThat(compareOnly.errLines().get(1)).isEqualTo("'--arms' is an option of 'load-test compare', not of "
        + "'load-test'.");
  }

  @Test
  void scenarioOptionsBeforeCompareAreRefusedRatherThanIgnored() {
    assertUsageError(run("--conversations", "5", "compare", "--arms", "drain"), "load-test compare",
        "--conversations before 'compare' is an option of a scenario run");
  }

  @Test
  void aWrongValueIsOneLineNamingTheOptionWithAnEqualsSignToo() {
    assertUsageError(run("--kill-replica-at=half"), "load-test", "--kill-replica-at needs a fraction like 0.3, "
        + "got 'half'");
    assertUsageError(run("compare", "--latencies=fast"), "load-test compare", "'fast' is not");
    assertUsageError(run("--out"), "load-test", "'--out'");
  }

  @Test
  void everyProblemOfACombinationIsOnTheOneLine() {
    Outcome o = run("--store=in_memory", "--kill-replica-at", "0.3", "--in-process");

    assertUsageError(o, "load-test", "--store in_memory with --replicas 2");
    assertThat(o.errLines()).hasSize(2);
    assertThat(o.errLines().get(0)).contains("--kill-replica-at needs child-JVM replicas",
        "--kill-replica-at with in_memory");
  }

  // --- a run that fails ------------------------------------------------------------------------

  @Test
  void aFailedRunIsOneLineWithItsCauseAndExitsOne() throws IOException {
    Path out = unwritable();

    Outcome o = run("--store", "in_memory", "--replicas", "1", "--in-process", "--no-progress", "--out", out.toString());

    assertThat(o.exit()).as("stderr: %s", o.err()).isEqualTo(1);
    assertThat(o.errLines()).hasSize(1);
    assertThat(o.errLines().get(0)).startsWith("load-test: the run failed: ").contains(dir.resolve("file").toString());
  }

  @Test
  void verboseAddsTheStackTraceOnEitherSideOfCompare() throws IOException {
    Path out = unwritable();
    for (String[] argv : List.of(new String[] {"compare", "--verbose", "--arms", "drain", "--out", out.toString()},
        new String[] {"--verbose", "compare", "--arms", "drain", "--out", out.toString()})) {
      Outcome o = run(argv);
      assertThat(o.exit()).as("stderr: %s", o.err()).isEqualTo(1);
      assertThat(o.errLines().get(0)).startsWith("load-test compare: the run failed: ");
      assertThat(o.err()).contains("\tat ");
    }
  }

  @Test
  void theCauseChainSaysEachCauseOnce() {
    Exception wrapped = new RuntimeException(new java.io.IOException("disk full"));
    Exception explained = new IllegalStateException("could not write the report\nto x",
        new java.io.IOException("disk full"));

    assertThat(Main.causes(wrapped)).isEqualTo("RuntimeException: java.io.IOException: disk full");
    assertThat(Main.causes(explained))
        .isEqualTo("IllegalStateException: could not write the report to x, caused by IOException: disk full");
  }
}
