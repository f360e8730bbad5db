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

  /** A wrong argument: one line naming it, then where the usage is; exit 2. */
  public static int usageError(String command, IllegalArgumentException e, PrintStream err) {
    err.println(command + ": " + e.getMessage());
    err.println("Try '" + command + " --help' for more information.");
    return 2;
  }

  /** Runs with the given streams and returns the exit code (for tests). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].equals("compare")) {
      return CompareMain.run(java.util.Arrays.copyOfRange(args, 1, args.length), out, err);
    }
    ScenarioOptions options;
    try {
      options = ScenarioOptions.parse(args);
    } catch (ScenarioOptions.HelpRequested e) {
      out.print(ScenarioOptions.USAGE);
      return 0;
    } catch (IllegalArgumentException e) {
      return usageError("load-test", e, err);
    }
    try {
      Report report = Report.of(new Scenario(options, err).run());
      report.write(options.out());
      out.print(report.markdown());
      out.println();
      out.println("report: " + options.out().resolve("report.md") + " and report.json");
      return report.passed() ? 0 : 1;
    } catch (IllegalArgumentException e) {
      return usageError("load-test", e, err);
    } catch (Exception e) {
      err.println("load-test: the run failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }
}
