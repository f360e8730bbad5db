package io.ticketgate.loadtest;

import io.ticketgate.loadtest.compare.CompareMain;
import io.ticketgate.store.config.SectionReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code ./load-test} command, parsed by picocli: without a subcommand it runs one
 * {@link Scenario} and prints and writes its {@link Report}; {@code ./load-test compare} is
 * {@link CompareMain}. {@code --opt=value} and {@code --opt value} both work, and a mistyped option or
 * command gets the nearest known one as a suggestion. Exit codes: 0 every verification line PASS, 1 a
 * FAIL or a run that failed (one line on stderr; {@code --verbose} or {@code LOAD_TEST_DEBUG} adds the
 * stack trace), 2 wrong usage (one line naming the mistake, then where to find help).
 */
@Command(name = "load-test", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    sortOptions = false, abbreviateSynopsis = true,
    description = {"Runs one scenario on loopback: a Kafka broker, Redis, a recording bot and gateway replicas; "
        + "produces the conversations' messages, injects the faults asked for, verifies that nothing was lost, "
        + "order and mutual exclusion, and writes a report.",
        "Without a command, the options below are the scenario's; 'load-test compare' runs Ticketgate against its "
        + "ceilings and peers instead (load-test compare --help).", ""},
    subcommands = {CompareMain.class, HelpCommand.class, AutoComplete.GenerateCompletion.class},
    footer = {"", "N is a whole number of at least 1, F a fraction from 0 to 1, D a duration with a unit (ns, us, ms, "
        + "s), e.g. 8s or 1500ms.",
        "Exit codes: 0 every verification line PASS, 1 a FAIL or a failed run, 2 wrong usage. A failed run is one "
        + "line on stderr; --verbose or LOAD_TEST_DEBUG=1 adds its stack trace."})
public final class Main implements Callable<Integer> {

  /** The environment variable that, when set and not empty, prints the stack trace of a failed run. */
  public static final String DEBUG_ENV = "LOAD_TEST_DEBUG";

  private final PrintStream out;
  private final PrintStream err;

  @Mixin
  private ScenarioOptions.Args args;

  // Inherited, so it is accepted after 'compare' too; the copy there sets this field.
  @Option(names = "--verbose", scope = ScopeType.INHERIT,
      description = "print the stack trace of a run that fails (also: LOAD_TEST_DEBUG=1)")
  private boolean verbose;

  @Spec
  private CommandSpec spec;

  private Main(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /** Entry point; {@code ./load-test --help} lists the options. */
  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command with its report on {@code out} and progress and diagnostics on {@code err}; returns the exit code. */
  public static int run(String[] argv, PrintStream out, PrintStream err) {
    PrintWriter o = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
    PrintWriter e = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
    try {
      return commandLine(new Main(out, err)).setOut(o).setErr(e).execute(argv);
    } finally {
      o.flush();
      e.flush();
    }
  }

  /** The command tree with this harness's handling of mistakes and failures. */
  static CommandLine commandLine(Main main) {
    CommandLine cl = withParsingRules(new CommandLine(main));
    cl.setParameterExceptionHandler(Main::usageError);
    cl.setExecutionExceptionHandler(Main::failure);
    // picocli hides its completion command; listed, users find the script without the docs.
    cl.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
    return cl;
  }

  /** What the hand-written parser before picocli accepted, so that scripts written for it keep working. */
  private static CommandLine withParsingRules(CommandLine cl) {
    // A repeated option was never an error; the last one wins ("--progress --no-progress").
    cl.setOverwrittenOptionsAllowed(true);
    // "--out compare" names a directory, as it did.
    cl.setAllowSubcommandsAsOptionParameters(true);
    return cl;
  }

  /**
   * Fills {@code options}, an object with picocli {@code @Option}s such as {@link ScenarioOptions.Args},
   * from {@code argv} under the same rules as the command line, for callers that want options without
   * running a command.
   *
   * @throws IllegalArgumentException naming the wrong argument; the message is for the user
   */
  public static void parse(Object options, String... argv) {
    try {
      withParsingRules(new CommandLine(options)).parseArgs(argv);
    } catch (ParameterException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /**
   * The options a command's arguments describe; a wrong value or combination is a usage error of that
   * command (exit 2), not a failed run.
   */
  public static <T> T checked(CommandSpec command, Supplier<T> options) {
    try {
      return options.get();
    } catch (IllegalArgumentException e) {
      throw new ParameterException(command.commandLine(), e.getMessage(), e);
    }
  }

  /** Where this invocation prints its report. */
  public PrintStream out() {
    return out;
  }

  /** Where this invocation draws progress and prints what the processes it starts are doing. */
  public PrintStream err() {
    return err;
  }

  @Override
  public Integer call() throws Exception {
    ScenarioOptions options = checked(spec, args::toOptions);
    Report report = Report.of(new Scenario(options, err).run());
    report.write(options.out());
    out.print(report.markdown());
    out.println();
    out.println("report: " + options.out().resolve("report.md") + " and report.json");
    return report.passed() ? 0 : 1;
  }

  private static int usageError(ParameterException e, String[] argv) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter w = cmd.getErr();
    String name = cmd.getCommandSpec().qualifiedName();
    w.println(name + ": " + e.getMessage());
    if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      String unmatched = u.getUnmatched().get(0);
      String word = unmatched.startsWith("-") ? unmatched.split("=", 2)[0] : unmatched;
      String owner = unmatched.startsWith("-") ? ownerOf(word, cmd) : null;
      // picocli offers every name it knows; only a near one helps.
      String near = SectionReader.nearest(word, u.getSuggestions());
      if (owner != null) {
        w.println("'" + word + "' is an option of '" + owner + "', not of '" + name + "'.");
      } else if (near != null) {
        w.println("Did you mean '" + near + "'?");
      }
    }
    w.println("Try '" + name + " --help' for more information.");
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /** The other command of the tree that has {@code option}, or null: a scenario option given to compare, say. */
  private static String ownerOf(String option, CommandLine cmd) {
    CommandLine root = cmd;
    while (root.getParent() != null) {
      root = root.getParent();
    }
    List<CommandLine> commands = new ArrayList<>();
    commands.add(root);
    commands.addAll(root.getSubcommands().values());
    for (CommandLine c : commands) {
      OptionSpec o = c == cmd ? null : c.getCommandSpec().findOption(option);
      if (o != null && !o.inherited()) {
        return c.getCommandSpec().qualifiedName();
      }
    }
    return null;
  }

  /** Usage found during a run is still a usage error; anything else failed the run, in one line. */
  private static int failure(Exception e, CommandLine cmd, ParseResult parsed) {
    if (e instanceof UsageException) {
      return usageError(new ParameterException(cmd, e.getMessage(), e), null);
    }
    PrintWriter w = cmd.getErr();
    w.println(cmd.getCommandSpec().qualifiedName() + ": the run failed: " + causes(e));
    CommandLine root = cmd;
    while (root.getParent() != null) {
      root = root.getParent();
    }
    String debug = System.getenv(DEBUG_ENV);
    if (((Main) root.getCommand()).verbose || (debug != null && !debug.isEmpty())) {
      e.printStackTrace(w);
    }
    return cmd.getCommandSpec().exitCodeOnExecutionException();
  }

  /** {@code e} and its causes on one line, each said once. */
  static String causes(Throwable e) {
    StringBuilder line = new StringBuilder();
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    String previous = "";
    for (Throwable t = e; t != null && seen.add(t); t = t.getCause()) {
      String message = t.getMessage();
      // A wrapper made from its cause (new RuntimeException(cause)) already holds the cause's text.
      if (message != null && !previous.isEmpty() && previous.contains(message)) {
        continue;
      }
      String link = t.getClass().getSimpleName() + (message == null ? "" : ": " + message);
      line.append(line.isEmpty() ? "" : ", caused by ").append(link);
      previous = link;
    }
    return line.toString().replaceAll("\\s*\\R\\s*", " ");
  }

  /** The harness's and the gateway's versions (their jars' manifests) and the Java running them. */
  public static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {"load-test " + built(Main.class) + " (gateway " + built(io.ticketgate.gateway.Gateway.class)
          + ")", "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }

    private static String built(Class<?> of) {
      String v = of.getPackage().getImplementationVersion();
      // Classes straight from target/classes have no manifest.
      return v != null ? v : "(development build)";
    }
  }
}
