package io.ticketgate.loadtest;

import io.ticketgate.loadtest.compare.CompareMain;
import java.io.PrintStream;

/**
 * The {@code ./load-test} command: runs one {@link Scenario}, prints and writes its {@link Report};
 * {@code ./load-test compare ...} runs {@link CompareMain} instead.
 * Exit codes: 0 every verification line PASS, 1 a FAIL or an error, 2 wrong usage.
 */
public final class Main {

  private Main() {}

  /** Entry point; see {@link ScenarioOptions#USAGE}. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs with the given streams and returns the exit code (for tests). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].equals("compare")) {
      return CompareMain.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    ScenarioOptions options;
    try {
      options = ScenarioOptions.parse(args);
    } catch (IllegalArgumentException e) {
      if (!e.getMessage().equals("help requested")) {
        err.println("load-test: " + e.getMessage());
      }
      err.print(ScenarioOptions.USAGE);
      return 2;
    }
    try {
      Report report = Report.of(new Scenario(options, err).run());
      report.write(options.out());
      out.print(report.markdown());
      out.println();
      out.println("report: " + options.out().resolve("report.md") + " and report.json");
      return report.passed() ? 0 : 1;
    } catch (IllegalArgumentException e) {
      err.println("load-test: " + e.getMessage());
      return 2;
    } catch (Exception e) {
      err.println("load-test: the run failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }
}
