package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.ScenarioOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What {@code ./load-test compare} does; parsed from the command line by {@link #parse}.
 *
 * @param conversations how many conversations
 * @param messages messages per conversation
 * @param partitions partitions of the input and output topics
 * @param latencies the in-process / recording bot's latencies to run, in milliseconds
 * @param arms the arms to run, in {@link ArmKind} order
 * @param bots the bot passes: {@code inprocess} and/or {@code http}
 * @param bootstrap an external broker, or null to start the embedded one
 * @param redis an external Redis, or null to start redis-server when an arm needs one
 * @param armBudget how long one arm may run (from its first handled record) before it is stopped
 *     and reported as partial
 * @param stallTimeout how long an arm may go without progress before it is killed as stalled
 * @param maxConcurrency the parallel consumer's maxConcurrency
 * @param out where compare.md, compare.json and the logs go
 * @param progress draw a progress line on stderr
 */
public record CompareOptions(int conversations, int messages, int partitions, List<Integer> latencies,
    List<ArmKind> arms, List<String> bots, String bootstrap, String redis, Duration armBudget,
    Duration stallTimeout, int maxConcurrency, Path out, boolean progress) {

  /** The usage text printed for {@code --help} and wrong usage. */
  public static final String USAGE = """
      usage: load-test compare [options]
        --conversations N        conversations (default 1000)
        --messages N             messages per conversation (default 20)
        --partitions N           partitions of the input and output topics (default 12)
        --latencies L            bot latencies in ms, comma-separated (default 0,10,50)
        --arms A                 comma-separated, default all: drain, pipe, plain, parallel-consumer,
                                 ticketgate-in_memory, ticketgate-redis, ticketgate-concurrent_redis
        --bots B                 inprocess, http or both (default inprocess,http: two passes)
        --bootstrap HOST:PORT    external Kafka (default: embedded broker in a child JVM)
        --redis HOST:PORT        external Redis (default: start redis-server from PATH if needed)
        --arm-budget D           time one arm may run before it is stopped as partial (default 60s)
        --stall-timeout D        time without progress before an arm is killed as stalled (default 30s)
        --max-concurrency N      the parallel consumer's maxConcurrency (default 100)
        --out DIR                result directory (default load-test-results/compare-<timestamp>)
        --progress, --no-progress   a progress line on stderr, or none (default: only when
                                 stderr is a terminal)
      """;

  /** Validates and freezes the lists. */
  public CompareOptions {
    latencies = List.copyOf(latencies);
    arms = List.copyOf(arms);
    bots = List.copyOf(bots);
  }

  /**
   * Parses the arguments after {@code compare}.
   *
   * @throws IllegalArgumentException naming the wrong argument; the message is for the user
   */
  public static CompareOptions parse(String[] args) {
    int conversations = 1000;
    int messages = 20;
    int partitions = 12;
    List<Integer> latencies = List.of(0, 10, 50);
    List<ArmKind> arms = ArmKind.all();
    List<String> bots = List.of("inprocess", "http");
    String bootstrap = null;
    String redis = null;
    Duration budget = Duration.ofSeconds(60);
    Duration stall = Duration.ofSeconds(30);
    int maxConcurrency = 100;
    Path out = null;
    // ./load-test says whether stderr is a terminal; a bar redrawn into a log file is noise.
    boolean progress = Boolean.getBoolean(ScenarioOptions.STDERR_IS_TERMINAL);
    List<String> a = List.of(args);
    for (int i = 0; i < a.size(); i++) {
      String arg = a.get(i);
      switch (arg) {
        case "--no-progress" -> progress = false;
        case "--progress" -> progress = true;
        case "--help", "-h" -> throw new ScenarioOptions.HelpRequested();
        default -> {
          if (!arg.startsWith("--")) {
            throw new IllegalArgumentException("unexpected argument '" + arg + "'");
          }
          if (i + 1 >= a.size()) {
            throw new IllegalArgumentException("missing value after " + arg);
          }
          String v = a.get(++i);
          switch (arg) {
            case "--conversations" -> conversations = ScenarioOptions.positive(arg, v);
            case "--messages" -> messages = ScenarioOptions.positive(arg, v);
            case "--partitions" -> partitions = ScenarioOptions.positive(arg, v);
            case "--latencies" -> latencies = latencies(v);
            case "--arms" -> arms = arms(v);
            case "--bots" -> bots = bots(v);
            case "--bootstrap" -> bootstrap = address(arg, v);
            case "--redis" -> redis = address(arg, v);
            case "--arm-budget" -> budget = duration(arg, v);
            case "--stall-timeout" -> stall = duration(arg, v);
            case "--max-concurrency" -> maxConcurrency = ScenarioOptions.positive(arg, v);
            case "--out" -> out = Path.of(v);
            default -> throw new IllegalArgumentException("unknown option " + arg);
          }
        }
      }
    }
    if (out == null) {
      out = Path.of("load-test-results", "compare-"
          + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
    }
    return new CompareOptions(conversations, messages, partitions, latencies, arms, bots, bootstrap, redis, budget,
        stall, maxConcurrency, out, progress);
  }

  /** Input records: conversations x messages. */
  public long total() {
    return (long) conversations * messages;
  }

  /** Whether any selected arm needs Redis. */
  public boolean needsRedis() {
    return arms.stream().anyMatch(ArmKind::needsRedis);
  }

  private static List<Integer> latencies(String v) {
    Set<Integer> values = new LinkedHashSet<>();
    for (String part : v.split(",", -1)) {
      String t = part.trim();
      if (t.endsWith("ms")) {
        t = t.substring(0, t.length() - 2).trim();
      }
      try {
        int ms = Integer.parseInt(t);
        if (ms < 0 || ms > 60_000) {
          throw new IllegalArgumentException("--latencies has " + ms + " ms; each must be between 0 and 60000");
        }
        values.add(ms);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--latencies was '" + v + "' but must be whole milliseconds separated "
            + "by commas, e.g. 0,10,50; '" + part + "' is not", e);
      }
    }
    return new ArrayList<>(values);
  }

  private static List<ArmKind> arms(String v) {
    Set<ArmKind> chosen = new LinkedHashSet<>();
    for (String part : v.split(",", -1)) {
      if (part.isBlank()) {
        throw new IllegalArgumentException("--arms was '" + v + "' and has an empty entry; known: "
            + ArmKind.labels());
      }
      chosen.add(ArmKind.parse(part));
    }
    // Run order is fixed (ceilings first), whatever order they were named in.
    return ArmKind.all().stream().filter(chosen::contains).toList();
  }

  private static List<String> bots(String v) {
    Set<String> chosen = new LinkedHashSet<>();
    for (String part : v.split(",", -1)) {
      String t = part.trim().toLowerCase(Locale.ROOT);
      if (!t.equals("inprocess") && !t.equals("http")) {
        throw new IllegalArgumentException("--bots was '" + v + "' but each must be inprocess or http");
      }
      chosen.add(t);
    }
    return List.of("inprocess", "http").stream().filter(chosen::contains).toList();
  }

  private static String address(String arg, String v) {
    int colon = v.lastIndexOf(':');
    if (colon < 1 || colon == v.length() - 1) {
      throw new IllegalArgumentException(arg + " was '" + v + "' but must be host:port");
    }
    try {
      int port = Integer.parseInt(v.substring(colon + 1));
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(arg + " was '" + v + "' but the port must be between 1 and 65535");
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(arg + " was '" + v + "' but must be host:port", e);
    }
    return v;
  }

  private static Duration duration(String arg, String v) {
    Duration d = io.ticketgate.loadtest.LatencyModel.duration(v, arg);
    if (d.toMillis() < 1000) {
      throw new IllegalArgumentException(arg + " was '" + v + "' but must be at least 1s");
    }
    return d;
  }
}
