package io.ticketgate.gateway.cli;

import io.ticketgate.gateway.Gateway;
import io.ticketgate.gateway.config.GatewayConfig;
import io.ticketgate.gateway.config.GatewayConfigException;
import io.ticketgate.gateway.config.GatewayConfigs;
import io.ticketgate.store.LockException;
import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreConfigException;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import io.ticketgate.store.config.SectionReader;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;
import picocli.CommandLine.UnmatchedArgumentException;

/**
 * The {@code ticketgate} command line: one small class per command, parsed by picocli. Every
 * command takes {@code --help}; {@code --opt=value} and {@code --opt value} both work; an unknown
 * option or command gets the nearest known ones as suggestions. Exit codes: 0 success, 1 failure
 * (an invalid configuration, an unreachable store or broker, a port in use: one line on stderr), 2
 * wrong usage (one line naming the mistake, then where to find help).
 */
@Command(name = "ticketgate", mixinStandardHelpOptions = true, scope = ScopeType.INHERIT,
    versionProvider = Main.Version.class, synopsisSubcommandLabel = "COMMAND",
    description = "Feeds chat messages from Kafka to a bot, one message of a conversation at a time and in order, "
        + "across replicas.",
    subcommands = {Main.Run.class, Main.CheckConfig.class, Main.Locks.class, Main.DemoCommand.class,
        Main.EchoBotCommand.class, Main.ProduceCommand.class, Main.HealthcheckCommand.class, HelpCommand.class,
        AutoComplete.GenerateCompletion.class},
    footer = {"", "Without --config, run uses Kafka on localhost:9092, the in-memory lock store and Rasa on "
        + "http://localhost:5005. $${VAR} and $${VAR:-default} in configuration values are read from the environment.",
        "Exit codes: 0 success, 1 failure, 2 wrong usage."})
public final class Main implements Runnable {

  @Spec
  CommandSpec spec;

  private Main() {}

  /**
   * The root log level for this run, before any configuration file is read; outranks
   * {@code LOG_LEVEL} and {@code logging.level}.
   */
  @Option(names = "--log-level", paramLabel = "LEVEL", scope = ScopeType.INHERIT, converter = LogLevel.class,
      description = "trace, debug, info, warn, error or off (default: LOG_LEVEL, then logging.level, then info)")
  void setLogLevel(String level) {
    Logging.setCommandLineLevel(level);
  }

  public static void main(String[] args) {
    try {
      Logging.start();
    } catch (IllegalArgumentException e) {
      System.err.println("ticketgate: " + e.getMessage());
      System.exit(2);
    }
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command with its output on {@code out} and diagnostics on {@code err}; returns the exit code. */
  static int run(String[] argv, PrintStream out, PrintStream err) {
    PrintWriter o = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
    PrintWriter e = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
    CommandLine cl = commandLine().setOut(o).setErr(e);
    try {
      return cl.execute(argv);
    } finally {
      o.flush();
      e.flush();
    }
  }

  /** The command tree with this project's handling of mistakes and failures. */
  static CommandLine commandLine() {
    CommandLine cl = new CommandLine(new Main());
    cl.setParameterExceptionHandler(Main::usageError);
    cl.setExecutionExceptionHandler(Main::failure);
    // picocli hides its completion command; listed, users find the script without the docs.
    cl.getSubcommands().get("generate-completion").getCommandSpec().usageMessage().hidden(false);
    return cl;
  }

  /** {@code ticketgate} alone: name the mistake like any other usage error. */
  @Override
  public void run() {
    throw new ParameterException(spec.commandLine(), "no command given");
  }

  private static int usageError(ParameterException e, String[] args) {
    CommandLine cmd = e.getCommandLine();
    PrintWriter err = cmd.getErr();
    err.println(cmd.getCommandSpec().qualifiedName() + ": " + e.getMessage());
    if (e instanceof UnmatchedArgumentException u && !u.getUnmatched().isEmpty()) {
      // picocli offers every name it knows; only a near one helps ("serve" is not "generate-completion").
      String near = SectionReader.nearest(u.getUnmatched().get(0), u.getSuggestions());
      if (near != null) {
        err.println("Did you mean '" + near + "'?");
      }
    }
    err.println("Try '" + cmd.getCommandSpec().qualifiedName() + " --help' for more information.");
    return cmd.getCommandSpec().exitCodeOnInvalidInput();
  }

  /** Expected failures are one line; anything else is a bug and keeps its stack trace. */
  private static int failure(Exception e, CommandLine cmd, CommandLine.ParseResult parsed) throws Exception {
    if (e instanceof UsageException u) {
      return usageError(new ParameterException(cmd, u.getMessage(), u), null);
    }
    if (e instanceof org.apache.kafka.common.KafkaException) {
      // Kafka refusing to build a client names the client and hides why in the causes.
      cmd.getErr().println("ticketgate: " + causes(e));
      return 1;
    }
    if (!(e instanceof GatewayConfigException || e instanceof LockStoreConfigException || e instanceof LockException
        || e instanceof CommandFailure || e instanceof UncheckedIOException)) {
      throw e;
    }
    cmd.getErr().println("ticketgate: " + e.getMessage());
    return 1;
  }

  /** {@code e}'s message and its causes', each once, on one line. */
  static String causes(Throwable e) {
    StringBuilder line = new StringBuilder();
    for (Throwable t = e; t != null && t.getCause() != t; t = t.getCause()) {
      String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage().replaceAll("\\s*\\R\\s*", " ");
      if (line.indexOf(m) < 0) {
        line.append(line.isEmpty() ? "" : ": ").append(m);
      }
    }
    return line.toString();
  }

  /** Where each command's configuration comes from. */
  static final class ConfigFiles {
    @Option(names = {"-c", "--config"}, paramLabel = "FILE",
        description = "gateway.yml (default: every setting at its default)")
    Path config;

    @Option(names = "--endpoints", paramLabel = "FILE",
        description = "Rasa's endpoints.yml, whose lock_store section is then used")
    Path endpoints;
  }

  /** How many conversations, and messages each, {@code demo} and {@code produce} send. */
  static final class Traffic {
    @Option(names = "--conversations", paramLabel = "N", defaultValue = "4", converter = PositiveInt.class,
        description = "conversations (default: ${DEFAULT-VALUE})")
    int conversations;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "5", converter = PositiveInt.class,
        description = "messages per conversation (default: ${DEFAULT-VALUE})")
    int messages;
  }

  @Command(name = "run", description = "Consume, take tickets, dispatch to the bot and publish replies, until "
      + "SIGTERM or SIGINT.")
  static final class Run implements Callable<Integer> {
    @Mixin
    ConfigFiles files;

    @Override
    public Integer call() {
      GatewayConfigs.Result checked = GatewayConfigs.check(files.config, files.endpoints);
      if (!checked.isValid()) {
        throw new GatewayConfigException(checked.problems());
      }
      GatewayConfig config = checked.config();
      Logging.apply(config.logging());
      var log = LoggerFactory.getLogger(Main.class);
      checked.warnings().forEach(log::warn);
      Gateway gateway = Gateway.start(config);
      CountDownLatch stopping = new CountDownLatch(1);
      Signals.onTermination(stopping::countDown);
      Thread waiter = Thread.ofPlatform().name("ticketgate-main-wait").start(() -> {
        gateway.stopped().join();
        stopping.countDown();
      });
      try {
        stopping.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      waiter.interrupt();
      boolean failed = gateway.pipeline().failure() != null;
      gateway.stop();
      return failed ? 1 : 0;
    }
  }

  @Command(name = "check-config", description = "Validate the configuration and print every problem with its key, "
      + "value and file.")
  static final class CheckConfig implements Callable<Integer> {
    @Mixin
    ConfigFiles files;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      GatewayConfigs.Result r = GatewayConfigs.check(files.config, files.endpoints);
      // Names every file that was read, so the verdict cannot be mistaken for another file's.
      String what = (files.config == null ? "defaults" : files.config.toString())
          + (files.endpoints == null ? "" : " with lock_store from " + files.endpoints);
      for (String w : r.warnings()) {
        out.println("warning: " + w);
      }
      for (String p : r.problems()) {
        out.println("error: " + p);
      }
      if (r.isValid()) {
        out.println(what + ": OK" + (r.warnings().isEmpty() ? "" : " (" + r.warnings().size() + " warning(s))"));
        return 0;
      }
      out.println(what + ": " + r.problems().size() + " problem(s)");
      return 1;
    }
  }

  @Command(name = "locks", description = "Inspect or clear a conversation's tickets in the configured lock store.",
      synopsisSubcommandLabel = "(show | clear)", subcommands = {Locks.Show.class, Locks.Clear.class})
  static final class Locks implements Runnable {
    @Spec
    CommandSpec spec;

    @Override
    public void run() {
      throw new ParameterException(spec.commandLine(), "missing subcommand: show or clear");
    }

    /** What both subcommands take. */
    abstract static class Target implements Callable<Integer> {
      @Parameters(paramLabel = "CONVERSATION", description = "the conversation id")
      String conversation;

      @Mixin
      ConfigFiles files;

      @Spec
      CommandSpec spec;

      @Override
      public Integer call() {
        if (conversation.isEmpty()) {
          throw new ParameterException(spec.commandLine(), "the conversation id must not be empty");
        }
        return locks(conversation, this instanceof Clear, files, spec.commandLine().getOut(),
            spec.commandLine().getErr());
      }
    }

    @Command(name = "show", description = "Print the conversation's tickets.")
    static final class Show extends Target {}

    @Command(name = "clear", description = "Delete the conversation's tickets (a stuck lock).")
    static final class Clear extends Target {}
  }

  @Command(name = "demo", description = "Run the whole pipeline on an embedded Kafka broker, the in-memory store and "
      + "a built-in echo bot, print the replies, and exit.")
  static final class DemoCommand implements Callable<Integer> {
    @Option(names = "--keep-running", description = "keep the gateway running after the replies")
    boolean keepRunning;

    @Mixin
    Traffic traffic;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      try {
        Class.forName("io.ticketgate.embedded.EmbeddedKafka", false, Main.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new CommandFailure("the demo needs the embedded Kafka broker, which the production class path leaves "
            + "out; run ./ticketgate demo from the source tree, which adds it", e);
      }
      return Demo.run(traffic.conversations, traffic.messages, keepRunning, spec.commandLine().getOut());
    }
  }

  @Command(name = "echo-bot", description = "Serve Rasa's REST webhook (POST " + Tools.WEBHOOK_PATH + ") answering "
      + "\"echo: <text>\" until SIGTERM: a stand-in bot for the stack.")
  static final class EchoBotCommand implements Callable<Integer> {
    @Option(names = "--port", defaultValue = "5005", converter = Port.class,
        description = "port to listen on, 0 for any (default: ${DEFAULT-VALUE})")
    int port;

    @Option(names = "--delay-min", paramLabel = "SECONDS", description = "shortest pretended work, with --delay-max")
    String delayMin;

    @Option(names = "--delay-max", paramLabel = "SECONDS", description = "longest pretended work, with --delay-min")
    String delayMax;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return Tools.echoBot(port, delayMin, delayMax, spec.commandLine().getOut());
    }
  }

  @Command(name = "produce", description = "Produce Rasa-shaped JSON messages keyed by conversation, interleaved so "
      + "each conversation has several queued at once.")
  static final class ProduceCommand implements Callable<Integer> {
    @Option(names = "--bootstrap", required = true, paramLabel = "HOST:PORT", description = "the Kafka cluster")
    String bootstrap;

    @Option(names = "--topic", required = true, paramLabel = "TOPIC", description = "the input topic")
    String topic;

    @Mixin
    Traffic traffic;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return Tools.produce(bootstrap, topic, traffic.conversations, traffic.messages, spec.commandLine().getOut());
    }
  }

  @Command(name = "healthcheck", description = "Exit 0 when the URL answers 200, 1 otherwise (for container checks).")
  static final class HealthcheckCommand implements Callable<Integer> {
    @Option(names = "--url", defaultValue = "http://localhost:9404/health/ready", converter = HttpUrl.class,
        description = "what to GET (default: ${DEFAULT-VALUE})")
    URI url;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
      return Tools.healthcheck(url, spec.commandLine().getOut(), spec.commandLine().getErr());
    }
  }

  private static int locks(String id, boolean clear, ConfigFiles files, PrintWriter out, PrintWriter err) {
    GatewayConfig config = GatewayConfigs.load(files.config, files.endpoints);
    LockStores.Kind kind = LockStores.validate(config.lockStore(), config.lockStoreSource()).kind();
    if (kind == LockStores.Kind.IN_MEMORY) {
      err.println("ticketgate: warning: the in-memory lock store lives inside each gateway process; this command "
          + "sees a new, empty one. Configure the lock store the gateways use (--config / --endpoints).");
    }
    try (LockStore store = LockStores.create(config.lockStore(), config.lockStoreSource())) {
      Optional<TicketLock> lock = store.getLock(id);
      // Counted before anything queries the lock: TicketLock drops expired tickets as it answers.
      int listed = lock.map(l -> l.tickets().size()).orElse(0);
      out.println("lock store: " + store);
      printLock(id, lock, out);
      if (clear) {
        if (kind == LockStores.Kind.REDIS && lock.isPresent() && lock.get().isSomeoneWaiting()) {
          // Rasa's layout numbers tickets from the live ones, so numbers restart at 0 after a clear.
          err.println("ticketgate: warning: with type redis, numbering restarts after a clear; a holder that is still "
              + "alive may release a newer ticket with its old number. Clear only tickets of stopped gateways, or use "
              + "concurrent_redis, whose numbers never repeat.");
        }
        store.deleteLock(id);
        out.println("cleared " + listed + " ticket(s) of conversation '" + id + "'");
      }
    }
    return 0;
  }

  private static void printLock(String id, Optional<TicketLock> lock, PrintWriter out) {
    if (lock.isEmpty() || lock.get().tickets().isEmpty()) {
      out.println("conversation '" + id + "': no tickets");
      return;
    }
    TicketLock l = lock.get();
    double now = System.currentTimeMillis() / 1000.0;
    out.println("conversation '" + id + "': " + l.tickets().size() + " ticket(s)");
    List<String> rows = new ArrayList<>();
    boolean first = true;
    for (Ticket t : l.tickets()) {
      String state = t.hasExpiredAt(now) ? "expired" : first ? "serving" : "waiting";
      if (!t.hasExpiredAt(now)) {
        first = false;
      }
      rows.add(String.format("  ticket %-8d %-8s expires %s (%+.1f s)", t.number(), state,
          Instant.ofEpochMilli((long) (t.expires() * 1000)), t.expires() - now));
    }
    rows.forEach(out::println);
  }

  /** The jar's version (its manifest) and the Java running it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Main.class.getPackage().getImplementationVersion();
      return new String[] {"ticketgate " + (v == null ? "(development build)" : v),
          "Java " + Runtime.version() + " (" + System.getProperty("java.vendor") + ")"};
    }
  }

  /** A log level, in any case. */
  static final class LogLevel implements ITypeConverter<String> {
    @Override
    public String convert(String value) {
      if (!io.ticketgate.gateway.config.LoggingSettings.isLevel(value)) {
        throw new TypeConversionException("'" + value + "' is not one of trace, debug, info, warn, error, off");
      }
      return value;
    }
  }

  /** A whole number above zero. */
  static final class PositiveInt implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return wholeNumber(value, 1, Integer.MAX_VALUE, "a positive whole number");
    }
  }

  /** A TCP port, 0 meaning any free one. */
  static final class Port implements ITypeConverter<Integer> {
    @Override
    public Integer convert(String value) {
      return wholeNumber(value, 0, 65535, "a number from 0 to 65535");
    }
  }

  /** {@code value} as a whole number from {@code min} to {@code max}, or a conversion error naming {@code expected}. */
  private static int wholeNumber(String value, int min, int max, String expected) {
    try {
      int n = Integer.parseInt(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below with the value
    }
    throw new TypeConversionException("'" + value + "' is not " + expected);
  }

  /** An absolute http(s) URL with a host. */
  static final class HttpUrl implements ITypeConverter<URI> {
    @Override
    public URI convert(String value) {
      try {
        URI uri = new URI(value);
        if (("http".equalsIgnoreCase(uri.getScheme()) || "https".equalsIgnoreCase(uri.getScheme()))
            && uri.getHost() != null) {
          return uri;
        }
      } catch (URISyntaxException e) {
        // reported below with the value
      }
      throw new TypeConversionException("'" + value + "' is not an http:// or https:// URL with a host");
    }
  }

  /** Wrong usage found by a command itself; printed like picocli's own usage errors, exit 2. */
  static final class UsageException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** A command could not do its job for a reason the user can act on; one line on stderr, exit 1. */
  static final class CommandFailure extends RuntimeException {

    private static final long serialVersionUID = 1L;

    CommandFailure(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
