package io.ticketgate.gateway.cli;

import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.joran.JoranConfigurator;
import ch.qos.logback.core.joran.spi.JoranException;
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
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import org.slf4j.LoggerFactory;

/**
 * The {@code ticketgate} command. Exit codes: 0 success, 1 failure (including an invalid
 * configuration), 2 wrong usage.
 */
public final class Main {

  static final String USAGE = """
      usage: ticketgate <command> [options]

      commands:
        run [--config gateway.yml] [--endpoints endpoints.yml]
                      consume, take tickets, dispatch to the bot, publish replies
        check-config [--config gateway.yml] [--endpoints endpoints.yml]
                      validate the configuration and print every problem with its key
        locks show <conversation> [--config ...] [--endpoints ...]
                      print the conversation's tickets in the configured lock store
        locks clear <conversation> [--config ...] [--endpoints ...]
                      delete the conversation's tickets (a stuck lock)
        demo [--keep-running] [--conversations N] [--messages N]
                      run the whole pipeline on an embedded Kafka broker, the in-memory
                      store and a built-in echo bot, print the replies, and exit
        echo-bot [--port 5005] [--delay-min S --delay-max S]
                      serve Rasa's REST webhook (POST /webhooks/rest/webhook) answering
                      "echo: <text>", until SIGTERM; a stand-in bot for the stack
        produce --bootstrap HOST:PORT --topic T [--conversations N] [--messages N]
                      produce Rasa-shaped JSON messages keyed by conversation, interleaved
        healthcheck [--url http://localhost:9404/health/ready]
                      exit 0 when the URL answers 200, 1 otherwise (for container checks)
        help          this text

      Without --config, run uses Kafka on localhost:9092, the in-memory lock store and
      Rasa on http://localhost:5005. ${VAR} in configuration values is read from the environment.
      """;

  /** Commands that read only the shared options, so --port and friends are a mistake there. */
  private static final Set<String> COMMANDS_WITHOUT_OWN_OPTIONS = Set.of("run", "check-config", "locks", "demo");

  private Main() {}

  public static void main(String[] args) {
    System.exit(run(args, System.out, System.err));
  }

  /** Runs a command; returns the exit code. */
  static int run(String[] argv, PrintStream out, PrintStream err) {
    Args args;
    try {
      args = Args.parse(argv);
    } catch (UsageException e) {
      return usageError(e, err);
    }
    try {
      if (COMMANDS_WITHOUT_OWN_OPTIONS.contains(args.command())) {
        args.expectOnlyOptions();
      }
      return switch (args.command()) {
        case "run" -> runGateway(args);
        case "check-config" -> checkConfig(args, out);
        case "locks" -> locks(args, out, err);
        case "demo" -> Demo.run(args, out);
        case "echo-bot" -> Tools.echoBot(args, out);
        case "produce" -> Tools.produce(args, out);
        case "healthcheck" -> Tools.healthcheck(args, out, err);
        case "help", "--help", "-h" -> {
          out.print(USAGE);
          yield 0;
        }
        default -> {
          err.println("ticketgate: unknown command '" + args.command() + "'");
          err.println();
          err.print(USAGE);
          yield 2;
        }
      };
    } catch (UsageException e) {
      // Thrown by a command that checks its own arguments, such as unexpected positionals.
      return usageError(e, err);
    } catch (GatewayConfigException | LockStoreConfigException e) {
      err.println("ticketgate: " + e.getMessage());
      return 1;
    } catch (LockException e) {
      err.println("ticketgate: " + e.getMessage());
      return 1;
    }
  }

  private static int usageError(UsageException e, PrintStream err) {
    err.println("ticketgate: " + e.getMessage());
    err.println();
    err.print(USAGE);
    return 2;
  }

  private static int runGateway(Args args) {
    args.expectNoPositionals();
    GatewayConfigs.Result checked = GatewayConfigs.check(args.config(), args.endpoints());
    if (!checked.isValid()) {
      throw new GatewayConfigException(checked.problems());
    }
    GatewayConfig config = checked.config();
    configureLogging(config.logFormat());
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

  private static int checkConfig(Args args, PrintStream out) {
    args.expectNoPositionals();
    GatewayConfigs.Result r = GatewayConfigs.check(args.config(), args.endpoints());
    // Names every file that was read, so the verdict cannot be mistaken for another file's.
    String what = (args.config() == null ? "defaults" : args.config().toString())
        + (args.endpoints() == null ? "" : " with lock_store from " + args.endpoints());
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

  private static int locks(Args args, PrintStream out, PrintStream err) {
    List<String> p = args.positionals();
    if (p.size() != 2 || !(p.get(0).equals("show") || p.get(0).equals("clear")) || p.get(1).isEmpty()) {
      err.println("ticketgate: usage: ticketgate locks show|clear <conversation> [--config ...] [--endpoints ...]");
      return 2;
    }
    GatewayConfig config = GatewayConfigs.load(args.config(), args.endpoints());
    String id = p.get(1);
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
      if (p.get(0).equals("clear")) {
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

  private static void printLock(String id, Optional<TicketLock> lock, PrintStream out) {
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

  /** Switches logback to one JSON object per line. */
  static void configureLogging(String format) {
    if (!"json".equals(format)) {
      return;
    }
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return; // another SLF4J binding is in charge; it has its own configuration
    }
    context.reset();
    JoranConfigurator configurator = new JoranConfigurator();
    configurator.setContext(context);
    try {
      configurator.doConfigure(Main.class.getResource("/logback-json.xml"));
    } catch (JoranException e) {
      throw new IllegalStateException("the bundled logback-json.xml is invalid", e);
    }
  }

  /** Wrong usage of the command line; {@link #run} prints it with the usage text and exits 2. */
  static final class UsageException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    UsageException(String message) {
      super(message);
    }
  }

  /** Parsed command line: a command, positionals, and the shared options. */
  record Args(String command, List<String> positionals, Path config, Path endpoints, boolean keepRunning,
      int conversations, int messages, Map<String, String> options) {

    /** Options that only one command reads; each command checks its own values. */
    static final Set<String> COMMAND_OPTIONS =
        Set.of("--port", "--delay-min", "--delay-max", "--bootstrap", "--topic", "--url");

    static Args parse(String[] argv) {
      if (argv.length == 0) {
        throw new UsageException("no command given");
      }
      List<String> positionals = new ArrayList<>();
      Path config = null;
      Path endpoints = null;
      boolean keepRunning = false;
      int conversations = 4;
      int messages = 5;
      Map<String, String> options = new LinkedHashMap<>();
      for (int i = 1; i < argv.length; i++) {
        String a = argv[i];
        if (COMMAND_OPTIONS.contains(a)) {
          options.put(a, value(argv, ++i, a));
          continue;
        }
        switch (a) {
          case "--config", "-c" -> config = Path.of(value(argv, ++i, a));
          case "--endpoints" -> endpoints = Path.of(value(argv, ++i, a));
          case "--keep-running" -> keepRunning = true;
          case "--conversations" -> conversations = positiveInt(value(argv, ++i, a), a);
          case "--messages" -> messages = positiveInt(value(argv, ++i, a), a);
          default -> {
            if (a.startsWith("-")) {
              throw new UsageException("unknown option '" + a + "'");
            }
            positionals.add(a);
          }
        }
      }
      return new Args(argv[0], positionals, config, endpoints, keepRunning, conversations, messages,
          Map.copyOf(options));
    }

    /** The value of a command-specific option, or {@code fallback} when it was not given. */
    String option(String name, String fallback) {
      return options.getOrDefault(name, fallback);
    }

    /** Refuses command-specific options that {@code command} does not read. */
    void expectOnlyOptions(String... allowed) {
      Set<String> extra = new java.util.TreeSet<>(options.keySet());
      List.of(allowed).forEach(extra::remove);
      if (!extra.isEmpty()) {
        throw new UsageException("option(s) " + extra + " do not apply to '" + command + "'");
      }
    }

    void expectNoPositionals() {
      if (!positionals.isEmpty()) {
        throw new UsageException("unexpected argument(s) " + positionals + " for '" + command + "'");
      }
    }

    private static String value(String[] argv, int i, String option) {
      if (i >= argv.length) {
        throw new UsageException(option + " needs a value");
      }
      return argv[i];
    }

    static int positiveInt(String v, String option) {
      try {
        int n = Integer.parseInt(v);
        if (n > 0) {
          return n;
        }
      } catch (NumberFormatException e) {
        // reported below with the value
      }
      throw new UsageException(option + " was '" + v + "' but it must be a positive whole number");
    }
  }
}
