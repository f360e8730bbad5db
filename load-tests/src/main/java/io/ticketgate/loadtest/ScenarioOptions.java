package io.ticketgate.loadtest;

import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a load-test run does; parsed from the command line by {@link #parse}.
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
 * @param restart start the killed replica again
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
    Duration lockLifetime, double killReplicaAt, boolean restart, double pauseReplicaAt, Duration pause,
    double restartRedisAt, Duration redisDown, Duration timeout, Path out, boolean progress) {

  /**
   * The consumer session timeout every replica gets: Kafka's 45 s default would leave a killed or
   * paused replica's partitions unowned for most of a run.
   */
  public static final Duration SESSION_TIMEOUT = Duration.ofSeconds(6);

  /** The system property {@code ./load-test} sets to true when its stderr is a terminal. */
  public static final String STDERR_IS_TERMINAL = "loadtest.stderr.terminal";

  /** The usage text printed for {@code --help} and wrong usage. */
  public static final String USAGE = """
      usage: load-test [options]             one scenario: replicas, faults, verification
             load-test compare [options]     Ticketgate against its ceilings and peers
                                             (load-test compare --help)
      options of a scenario:
        --conversations N        conversations (default 50)
        --messages N             messages per conversation (default 20)
        --partitions N           input topic partitions (default 4)
        --replicas N             gateway replicas (default 2)
        --in-process             replicas as Gateway instances in this JVM, not child JVMs
        --store S                in_memory | redis | concurrent_redis (default concurrent_redis)
        --redis HOST:PORT        external Redis (default: start redis-server from PATH)
        --bot-latency M          fixed:10ms | uniform:5ms:20ms | lognormal:10ms:50ms (default fixed:5ms)
        --bot-workers N          the bot serves N calls at once, the rest wait in line, like a server
                                 with N workers (default: as many as come)
        --bot-concurrency C      the gateway's bot.concurrency: unlimited | adaptive | a number
                                 (default unlimited)
        --bootstrap HOST:PORT    external Kafka (default: embedded broker in a child JVM)
        --lock-lifetime D        ticket lifetime (default 10s)
        --kill-replica-at F      SIGKILL one replica once this fraction was dispatched (0..1)
        --restart                start the killed replica again
        --pause-replica-at F     SIGSTOP one replica once this fraction was dispatched (0..1) ...
        --pause D                ... and SIGCONT it after D (e.g. 8s; past the 6s session timeout its
                                 partitions move, past the lock lifetime its tickets expire)
        --restart-redis-at F     stop the harness's redis-server once this fraction was dispatched
                                 (SHUTDOWN SAVE) and start it again on the same port with its data
        --redis-down D           how long Redis stays down (default 2s)
        --timeout D              stop waiting for dispatches after this long (default 300s)
        --out DIR                report directory (default load-test-results/<timestamp>)
        --progress, --no-progress   a progress bar on stderr, or none (default: only when
                                 stderr is a terminal)
      """;

  /** {@code --help} was given: print the usage on standard output and exit 0. */
  public static final class HelpRequested extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public HelpRequested() {
      super("help requested");
    }
  }

  /**
   * Parses arguments.
   *
   * @throws IllegalArgumentException naming the wrong argument; the message is for the user
   */
  public static ScenarioOptions parse(String[] args) {
    int conversations = 50;
    int messages = 20;
    int partitions = 4;
    int replicas = 2;
    boolean inProcess = false;
    String store = "concurrent_redis";
    String redis = null;
    String botLatency = "fixed:5ms";
    int botWorkers = 0;
    String botConcurrency = "unlimited";
    String bootstrap = null;
    Duration lockLifetime = Duration.ofSeconds(10);
    double killAt = -1;
    boolean restart = false;
    double pauseAt = -1;
    Duration pause = null;
    double redisAt = -1;
    Duration redisDown = null;
    Duration timeout = Duration.ofSeconds(300);
    Path out = null;
    // ./load-test says whether stderr is a terminal; a bar redrawn into a log file is noise.
    boolean progress = Boolean.getBoolean(STDERR_IS_TERMINAL);
    List<String> a = List.of(args);
    for (int i = 0; i < a.size(); i++) {
      String arg = a.get(i);
      switch (arg) {
        case "--in-process" -> inProcess = true;
        case "--restart" -> restart = true;
        case "--no-progress" -> progress = false;
        case "--progress" -> progress = true;
        case "--help", "-h" -> throw new HelpRequested();
        default -> {
          if (i + 1 >= a.size()) {
            throw new IllegalArgumentException(arg.startsWith("--") ? "missing value after " + arg
                : "unexpected argument '" + arg + "'");
          }
          String v = a.get(++i);
          switch (arg) {
            case "--conversations" -> conversations = positive(arg, v);
            case "--messages" -> messages = positive(arg, v);
            case "--partitions" -> partitions = positive(arg, v);
            case "--replicas" -> replicas = positive(arg, v);
            case "--store" -> store = v;
            case "--redis" -> redis = v;
            case "--bot-latency" -> botLatency = v;
            case "--bot-workers" -> botWorkers = positive(arg, v);
            case "--bot-concurrency" -> botConcurrency = v;
            case "--bootstrap" -> bootstrap = v;
            case "--lock-lifetime" -> lockLifetime = LatencyModel.duration(v, arg);
            case "--kill-replica-at" -> killAt = fraction(arg, v);
            case "--pause-replica-at" -> pauseAt = fraction(arg, v);
            case "--pause" -> pause = LatencyModel.duration(v, arg);
            case "--restart-redis-at" -> redisAt = fraction(arg, v);
            case "--redis-down" -> redisDown = LatencyModel.duration(v, arg);
            case "--timeout" -> timeout = LatencyModel.duration(v, arg);
            case "--out" -> out = Path.of(v);
            default -> throw new IllegalArgumentException("unknown option " + arg);
          }
        }
      }
    }
    if (out == null) {
      out = Path.of("load-test-results",
          LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
    }
    if (redisDown != null && redisAt < 0) {
      throw new IllegalArgumentException("--redis-down only makes sense with --restart-redis-at");
    }
    ScenarioOptions o = new ScenarioOptions(conversations, messages, partitions, replicas, inProcess,
        store, redis, botLatency, botWorkers, botConcurrency, bootstrap, lockLifetime, killAt, restart, pauseAt, pause, redisAt,
        redisDown != null ? redisDown : Duration.ofSeconds(2), timeout, out, progress);
    o.validate();
    return o;
  }

  /** Refuses combinations that cannot work, saying why. */
  public void validate() {
    List<String> problems = new ArrayList<>();
    if (!List.of("in_memory", "redis", "concurrent_redis").contains(store)) {
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
      throw new IllegalArgumentException(String.join("\n", problems));
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

  private static double fraction(String arg, String v) {
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
