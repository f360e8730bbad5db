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
 * @param bootstrap an external broker, or null to start the embedded one as a child JVM
 * @param lockLifetime ticket lifetime; short so a killed replica's tickets expire quickly
 * @param killReplicaAt SIGKILL one replica when this fraction of messages was dispatched; negative: never
 * @param restart start the killed replica again
 * @param timeout give up waiting for dispatches after this long
 * @param out where report.md, report.json and the logs go
 * @param progress draw a progress bar on stderr
 */
public record ScenarioOptions(int conversations, int messages, int partitions, int replicas,
    boolean inProcess, String store, String redis, String botLatency, String bootstrap,
    Duration lockLifetime, double killReplicaAt, boolean restart, Duration timeout, Path out,
    boolean progress) {

  /** The usage text printed for {@code --help} and wrong usage. */
  public static final String USAGE = """
      usage: load-test [options]
        --conversations N        conversations (default 50)
        --messages N             messages per conversation (default 20)
        --partitions N           input topic partitions (default 4)
        --replicas N             gateway replicas (default 2)
        --in-process             replicas as Gateway instances in this JVM, not child JVMs
        --store S                in_memory | redis | concurrent_redis (default concurrent_redis)
        --redis HOST:PORT        external Redis (default: start redis-server from PATH)
        --bot-latency M          fixed:10ms | uniform:5ms:20ms | lognormal:10ms:50ms (default fixed:5ms)
        --bootstrap HOST:PORT    external Kafka (default: embedded broker in a child JVM)
        --lock-lifetime D        ticket lifetime (default 10s)
        --kill-replica-at F      SIGKILL one replica once this fraction was dispatched (0..1)
        --restart                start the killed replica again
        --timeout D              stop waiting for dispatches after this long (default 300s)
        --out DIR                report directory (default load-test-results/<timestamp>)
        --no-progress            no progress bar on stderr
      """;

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
    String bootstrap = null;
    Duration lockLifetime = Duration.ofSeconds(10);
    double killAt = -1;
    boolean restart = false;
    Duration timeout = Duration.ofSeconds(300);
    Path out = null;
    boolean progress = true;
    List<String> a = List.of(args);
    for (int i = 0; i < a.size(); i++) {
      String arg = a.get(i);
      switch (arg) {
        case "--in-process" -> inProcess = true;
        case "--restart" -> restart = true;
        case "--no-progress" -> progress = false;
        case "--help", "-h" -> throw new IllegalArgumentException("help requested");
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
            case "--bootstrap" -> bootstrap = v;
            case "--lock-lifetime" -> lockLifetime = LatencyModel.duration(v, arg);
            case "--kill-replica-at" -> killAt = fraction(arg, v);
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
    ScenarioOptions o = new ScenarioOptions(conversations, messages, partitions, replicas, inProcess,
        store, redis, botLatency, bootstrap, lockLifetime, killAt, restart, timeout, out, progress);
    o.validate();
    return o;
  }

  /** Refuses combinations that cannot work, saying why. */
  public void validate() {
    List<String> problems = new ArrayList<>();
    if (!List.of("in_memory", "redis", "concurrent_redis").contains(store)) {
      problems.add("--store was '" + store + "' but must be in_memory, redis or concurrent_redis");
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

  /** Total messages produced. */
  public long total() {
    return (long) conversations * messages;
  }

  private static int positive(String arg, String v) {
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
