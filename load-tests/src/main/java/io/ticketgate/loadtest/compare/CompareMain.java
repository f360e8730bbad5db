package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.Main;
import io.ticketgate.loadtest.ScenarioOptions;
import java.io.PrintStream;

/**
 * The {@code ./load-test compare} command: runs {@link Compare}, prints and writes its
 * {@link CompareReport}. Exit codes: 0 every arm that ran passed verification and none failed or
 * stalled (partial and not-built arms are reported, not failed), 1 otherwise or on an error, 2
 * wrong usage.
 */
public final class CompareMain {

  private CompareMain() {}

  /** Runs with the arguments after {@code compare} and returns the exit code. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    CompareOptions options;
    try {
      options = CompareOptions.parse(args);
    } catch (ScenarioOptions.HelpRequested e) {
      out.print(CompareOptions.USAGE);
      return 0;
    } catch (IllegalArgumentException e) {
      return Main.usageError("load-test compare", e, err);
    }
    try {
      CompareReport report = new Compare(options, err).run();
      report.write(options.out());
      out.print(report.markdown());
      out.println();
      out.println("report: " + options.out().resolve("compare.md") + " and compare.json; arm logs in "
          + options.out().resolve("logs"));
      return report.passed() ? 0 : 1;
    } catch (IllegalArgumentException e) {
      return Main.usageError("load-test compare", e, err);
    } catch (Exception e) {
      err.println("load-test compare: the run failed: " + e);
      e.printStackTrace(err);
      return 1;
    }
  }
}
