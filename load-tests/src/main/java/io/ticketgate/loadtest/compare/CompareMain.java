package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.Main;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

/**
 * The {@code ./load-test compare} command: runs {@link Compare}, prints and writes its
 * {@link CompareReport}. Exit codes: 0 every arm that ran passed verification and none failed or
 * stalled (partial and not-built arms are reported, not failed), 1 otherwise or on a failed run, 2
 * wrong usage.
 */
@Command(name = "compare", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    sortOptions = false, abbreviateSynopsis = true,
    description = {"Ticketgate against its ceilings and peers: produces the input once, then runs each arm in a "
        + "JVM of its own on it, at each bot latency, with an in-process and an HTTP bot, and reports throughput, "
        + "latency and verification per arm.", ""},
    footer = {"", "N is a whole number of at least 1, D a duration with a unit (ns, us, ms, s) of at least 1s.",
        "Exit codes: 0 every arm that ran passed (partial and not-built arms are reported, not failed), 1 a failed "
        + "or stalled arm or a failed run, 2 wrong usage. A failed run is one line on stderr; --verbose or "
        + "LOAD_TEST_DEBUG=1 adds its stack trace."})
public final class CompareMain implements Callable<Integer> {

  @ParentCommand
  private Main parent;

  @Mixin
  private CompareOptions.Args args;

  @Spec
  private CommandSpec spec;

  private CompareMain() {}

  @Override
  public Integer call() throws Exception {
    refuseScenarioOptions();
    CompareOptions options = Main.checked(spec, args::toOptions);
    CompareReport report = new Compare(options, parent.err()).run();
    report.write(options.out());
    parent.out().print(report.markdown());
    parent.out().println();
    parent.out().println("report: " + options.out().resolve("compare.md") + " and compare.json; arm logs in "
        + options.out().resolve("logs"));
    return report.passed() ? 0 : 1;
  }

  /**
   * picocli parses {@code load-test --conversations 5 compare} as a scenario option and then compare,
   * which would silently run compare's default of 1000 conversations.
   */
  private void refuseScenarioOptions() {
    List<String> before = spec.parent().commandLine().getParseResult().matchedOptions().stream()
        .filter(o -> o.scopeType() != ScopeType.INHERIT).map(OptionSpec::longestName).toList();
    if (!before.isEmpty()) {
      throw new ParameterException(spec.commandLine(), String.join(", ", before) + " before 'compare' "
          + (before.size() == 1 ? "is an option" : "are options") + " of a scenario run; compare's options go "
          + "after 'compare'");
    }
  }
}
