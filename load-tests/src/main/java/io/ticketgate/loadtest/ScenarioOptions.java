package io.ticketgate.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import picocli.CommandLine.Option;

/**
 * What a load-test run does; the command line's {@link Args} become one by {@link Args#toOptions}.
 *
 * @param conversations how many conversations
 * @param messages messages per conversation
 * @param partitions partitions of the input topic
 * @param replicas gateway replicas
 * @param inProcess replicas as {@code Gateway} instances in this JVM instead of child JVMs
 * @param store {@code in_memory}, {@code redis} or {@code concurrent_redis}
 * @param redis {@code host:port} of an external Redis, or null to start redis-server
 * @param botLatency the bot's latency model, as given
 * @param botWorkers how many calls the bot serves at once (more wait in line, as at a server with a
 *     fixed number of workers); 0 for as many as come
 * @param botConcurrency the gateway's {@code bot.concurrency}: unlimited, adaptive or a number
 * @param bootstrap an external broker, or null to start the embedded one as a child JVM
 * @param lockLifetime ticket lifetime; short so a killed replica's tickets expire quickly
 * @param killReplicaAt SIGKILL one replica when this fraction of messages was dispatched; negative: never
 * @param termReplicaAt SIGTERM one replica when this fraction of messages was dispatched and wait for it to
 *     stop gracefully; negative: never
 * @param restart start the killed or stopped replica again
 * @param pauseReplicaAt SIGSTOP one replica when this fraction of messages was dispatched; negative: never
 * @param pause how long the paused replica stays stopped before SIGCONT; null without a pause
 * @param restartRedisAt stop the harness's redis-server when this fraction was dispatched and start it
 *     again on the same port with its data; negative: never
 * @param redisDown how long Redis stays stopped before it is started again
 * @param timeout give up waiting for dispatches after this long
 * @param out where report.md, report.json and the logs go
 * @param progress draw a progress bar on stderr
 */
public record ScenarioOptions(int conversations, int messages, int partitions, int replicas,
    boolean inProcess, String store, String redis, String botLatency, int botWorkers, String botConcurrency,
    String bootstrap,
    Duration lockLifetime, double killReplicaAt, double termReplicaAt, boolean restart, double pauseReplicaAt,
    Duration pause,
    double restartRedisAt, Duration redisDown, Duration timeout, Path out, boolean progress) {

  /**
   * The consumer session timeout every replica gets: Kafka's 45 s default would leave a killed or
   * paused replica's partitions unowned for most of a run.
   */
  public static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

  /** The system property {@code ./load-test} sets to true when its stderr is a terminal. */
  public static final String STDERR_IS_TERMINAL = "loadtest.stderr.terminal";

  /** The lock stores a scenario can run on, as {@code --store} names them. */
  public static final List<String> STORES = List.of("in_memory", "redis", "concurrent_redis");

  /**
   * Parses arguments the way {@code ./load-test} does.
   *
   * @throws IllegalArgumentException naming the wrong argument; the message is for the user
   */
  public static ScenarioOptions parse(String... args) {
    Args parsed = new Args();
    Main.parse(parsed, args);
    return parsed.toOptions();
  }

  /**
   * The scenario's command-line options, filled in by picocli (a mixin of {@link Main}). Values stay
   * text until {@link #toOptions}: converted there, a wrong one is reported naming its option, which
   * picocli's type converters cannot do.
   */
  public static final class Args {
    @Option(names = "--conversations", paramLabel = "N", defaultValue = "50",
        description = "conversations (default: ${DEFAULT-VALUE})")
    private String conversations;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "20",
        description = "messages per conversation (default: ${DEFAULT-VALUE})")
    private String messages;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "4",
        description = "input topic partitions (default: ${DEFAULT-VALUE})")
    private String partitions;

    @Option(names = "--replicas", paramLabel = "N", defaultValue = "2",
        description = "gateway replicas (default: ${DEFAULT-VALUE})")
    private String replicas;

    @Option(names = "--in-process", description = "replicas as Gateway instances in this JVM, not child JVMs")
    private boolean inProcess;

    @Option(names = "--store", paramLabel = "S", defaultValue = "concurrent_redis", completionCandidates = Stores.class,
        description = "${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE})")
    private String store;

    @Option(names = "--redis", paramLabel = "HOST:PORT",
        description = "external Redis (default: start redis-server from PATH)")
    private String redis;

    @Option(names = "--bot-latency", paramLabel = "M", defaultValue = "fixed:5ms",
        description = "fixed:10ms | uniform:5ms:20ms | lognormal:10ms:50ms (default: ${DEFAULT-VALUE})")
    private String botLatency;

    @Option(names = "--bot-workers", paramLabel = "N", description = "the bot serves N calls at once, the rest "
        + "wait in line, like a server with N workers (default: as many as come)")
    private String botWorkers;

    @Option(names = "--bot-concurrency", paramLabel = "C", defaultValue = "unlimited",
        description = "the gateway's bot.concurrency: unlimited | adaptive | a number (default: ${DEFAULT-VALUE})")
    private String botConcurrency;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
        description = "external Kafka (default: embedded broker in a child JVM)")
    private String bootstrap;

    @Option(names = "--lock-lifetime", paramLabel = "D", defaultValue = "10s",
        description = "ticket lifetime (default: ${DEFAULT-VALUE})")
    private String lockLifetime;

    @Option(names = "--kill-replica-at", paramLabel = "F",
        description = "SIGKILL one replica once this fraction was dispatched (0..1)")
    private String killReplicaAt;

    @Option(names = "--term-replica-at", paramLabel = "F", description = "SIGTERM one replica once this fraction "
        + "was dispatched (0..1) and wait for its graceful stop; not one bot call or reply may repeat")
    private String termReplicaAt;

    @Option(names = "--restart", description = "start the killed or stopped replica again")
    private boolean restart;

    @Option(names = "--pause-replica-at", paramLabel = "F",
        description = "SIGSTOP one replica once this fraction was dispatched (0..1) ...")
    private String pauseReplicaAt;

    @Option(names = "--pause", paramLabel = "D", description = "... and SIGCONT it after D (e.g. 8s; past the "
        + "6s session timeout its partitions move, past the lock lifetime its tickets expire)")
    private String pause;

    @Option(names = "--restart-redis-at", paramLabel = "F", description = "stop the harness's redis-server once "
        + "this fraction was dispatched (SHUTDOWN SAVE) and start it again on the same port with its data")
    private String restartRedisAt;

    @Option(names = "--redis-down", paramLabel = "D", description = "how long Redis stays down (default: 2s)")
    private String redisDown;

    @Option(names = "--timeout", paramLabel = "D", defaultValue = "300s",
        description = "stop waiting for dispatches after this long (default: ${DEFAULT-VALUE})")
    private String timeout;

    @Option(names = "--out", paramLabel = "DIR", description = "report directory (default: "
        + "load-test-results/<timestamp>)")
    private Path out;

    @Option(names = "--progress", negatable = true, description = "a progress bar on stderr, or none (default: "
        + "only when stderr is a terminal)")
    private Boolean progress;

    /**
     * The options these arguments describe, checked.
     *
     * @throws IllegalArgumentException naming the wrong value or combination; the message is for the user
     */
    public ScenarioOptions toOptions() {
      double redisAt = fraction("--restart-redis-at", restartRedisAt);
      if (redisDown != null && redisAt < 0) {
        throw new IllegalArgumentException("--redis-down only makes sense with --restart-redis-at");
      }
      ScenarioOptions o = new ScenarioOptions(positive("--conversations", conversations),
          positive("--messages", messages), positive("--partitions", partitions), positive("--replicas", replicas),
          inProcess, store, redis, botLatency, botWorkers == null ? 0 : positive("--bot-workers", botWorkers),
          botConcurrency, bootstrap, duration("--lock-lifetime", lockLifetime), fraction("--kill-replica-at", killReplicaAt),
          fraction("--term-replica-at", termReplicaAt), restart, fraction("--pause-replica-at", pauseReplicaAt),
          duration("--pause", pause), redisAt,
          redisDown != null ? duration("--redis-down", redisDown) : Duration.ofSeconds(2),
          duration("--timeout", timeout), out != null ? out : resultsDir(""), drawProgress(progress));
      o.validate();
      return o;
    }

    private static Duration duration(String option, String value) {
      return value == null ? null : LatencyModel.duration(value, option);
    }
  }

  /** A new directory for a run's results: {@code load-test-results/<prefix><timestamp>}. */
  public static Path resultsDir(String prefix) {
    return Path.of("load-test-results",
        prefix + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
  }

  /** Whether to draw progress: as {@code --[no-]progress} said, else only when stderr is a terminal. */
  public static boolean drawProgress(Boolean given) {
    // ./load-test says whether stderr is a terminal; a bar redrawn into a log file is noise.
    return given != null ? given : Boolean.getBoolean(STDERR_IS_TERMINAL);
  }

  /** What {@code --store} completes to. */
  static final class Stores extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    Stores() {
      super(STORES);
    }
  }

  /** Refuses combinations that cannot work, saying why: every problem, in one line. */
  public void validate() {
    List<String> problems = new ArrayList<>();
    if (!STORES.contains(store)) {
      problems.add("--store was '" + store + "' but must be in_memory, redis or concurrent_redis");
    }
    if (!botConcurrency.equals("unlimited") && !botConcurrency.equals("adaptive")
        && !botConcurrency.matches("[1-9][0-9]{0,8}")) {
      problems.add("--bot-concurrency was '" + botConcurrency + "' but must be unlimited, adaptive or a positive number");
    }
    if (store.equals("in_memory") && replicas > 1) {
      problems.add("--store in_memory with --replicas " + replicas + ": the in-memory lock store lives in "
          + "one process, so replicas would not coordinate and mutual exclusion would fail by design; "
          + "use --replicas 1 or --store concurrent_redis");
    }
    if (killReplicaAt >= 0 && replicas < 2 && !restart) {
      problems.add("--kill-replica-at with one replica and no --restart would leave nobody to finish the run");
    }
    if (killReplicaAt >= 0 && inProcess) {
      problems.add("--kill-replica-at needs child-JVM replicas (SIGKILL); drop --in-process");
    }
    if (killReplicaAt >= 0 && store.equals("in_memory")) {
      problems.add("--kill-replica-at with in_memory: the store dies with its only replica");
    }
    validateTerm(problems);
    validatePause(problems);
    validateRedisRestart(problems);
    if (lockLifetime.toMillis() < 1000) {
      problems.add("--lock-lifetime was " + lockLifetime.toMillis() + " ms but must be at least 1s");
    }
    try {
      LatencyModel.parse(botLatency);
    } catch (IllegalArgumentException e) {
      problems.add(e.getMessage());
    }
    if (!problems.isEmpty()) {
      // One line: the command line prints a usage error as one line, then where the help is.
      throw new IllegalArgumentException(String.join("; ", problems));
    }
  }

  private void validateTerm(List<String> problems) {
    if (termReplicaAt < 0) {
      return;
    }
    if (replicas < 2 && !restart) {
      problems.add("--term-replica-at with one replica and no --restart would leave nobody to finish the run");
    }
    if (inProcess) {
      problems.add("--term-replica-at needs child-JVM replicas (SIGTERM); drop --in-process");
    }
    if (store.equals("in_memory")) {
      problems.add("--term-replica-at with in_memory: the store stops with its only replica");
    }
    // A kill or a pause redelivers by design; in the same run its repeats could be taken for the
    // graceful stop's, whose bound is zero.
    if (killReplicaAt >= 0) {
      problems.add("--term-replica-at with --kill-replica-at: a graceful stop is verified to repeat nothing, and "
          + "the kill's redeliveries would blur that; run them apart");
    }
    if (pauseReplicaAt >= 0) {
      problems.add("--term-replica-at with --pause-replica-at: a graceful stop is verified to repeat nothing, and "
          + "the pause's redeliveries would blur that; run them apart");
    }
  }

  private void validatePause(List<String> problems) {
    if (pauseReplicaAt < 0) {
      if (pause != null) {
        problems.add("--pause needs --pause-replica-at: when to SIGSTOP the replica");
      }
      return;
    }
    if (pause == null) {
      problems.add("--pause-replica-at needs --pause: how long the replica stays stopped (e.g. 8s)");
    } else if (pause.toMillis() < 100 || pause.compareTo(timeout) >= 0) {
      problems.add("--pause was " + pause.toMillis() + " ms but must be at least 100ms and shorter than --timeout ("
          + timeout.toSeconds() + "s)");
    }
    if (inProcess) {
      problems.add("--pause-replica-at needs child-JVM replicas (SIGSTOP); drop --in-process");
    }
    if (killReplicaAt >= 0 && replicas < 2) {
      problems.add("--pause-replica-at with --kill-replica-at needs two replicas: one to kill and another to pause");
    }
    if (pause != null && store.equals("redis") && pause.compareTo(SESSION_TIMEOUT) >= 0) {
      // Past the session timeout the partition moves while the paused replica may still be about to
      // call the bot with a ticket that expired meanwhile. Only fencing stops that stale call, and Rasa's
      // numbering starts again at 0 once a queue empties, so the bot cannot fence: mutual exclusion
      // would fail by design, not by a gateway bug.
      problems.add("--store redis with --pause " + pause.toMillis() + " ms: a pause of at least the "
          + SESSION_TIMEOUT.toSeconds() + " s session timeout moves the partition while the paused replica may still "
          + "call the bot with an expired ticket, and the redis store's ticket numbers restart, so the bot cannot "
          + "fence that call; mutual exclusion would fail by design. Use --store concurrent_redis, or a pause "
          + "below " + SESSION_TIMEOUT.toSeconds() + "s");
    }
  }

  private void validateRedisRestart(List<String> problems) {
    if (restartRedisAt < 0) {
      return;
    }
    if (store.equals("in_memory")) {
      problems.add("--restart-redis-at with --store in_memory: there is no Redis to restart");
    } else if (redis != null) {
      problems.add("--restart-redis-at with --redis " + redis + ": the harness restarts only a redis-server it "
          + "started itself; drop --redis");
    }
    if (redisDown.isNegative() || redisDown.compareTo(timeout) >= 0) {
      problems.add("--redis-down was " + redisDown.toMillis() + " ms but must be shorter than --timeout ("
          + timeout.toSeconds() + "s)");
    }
  }

  /** Total messages produced. */
  public long total() {
    return (long) conversations * messages;
  }

  /**
   * A command-line count of at least 1.
   *
   * @throws IllegalArgumentException naming the option and the value
   */
  public static int positive(String arg, String v) {
    try {
      int n = Integer.parseInt(v);
      if (n < 1) {
        throw new IllegalArgumentException(arg + " was " + n + " but must be at least 1");
      }
      return n;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(arg + " needs a whole number, got '" + v + "'", e);
    }
  }

  /** A fraction from 0 to 1, or -1 (never) when {@code v} is null. */
  private static double fraction(String arg, String v) {
    if (v == null) {
      return -1;
    }
    try {
      double f = Double.parseDouble(v);
      if (f < 0 || f > 1) {
        throw new IllegalArgumentException(arg + " was " + v + " but must be between 0 and 1");
      }
      return f;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(arg + " needs a fraction like 0.3, got '" + v + "'", e);
    }
  }
}
