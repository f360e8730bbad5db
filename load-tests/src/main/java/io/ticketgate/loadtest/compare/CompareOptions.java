package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.Main;
import io.ticketgate.loadtest.ScenarioOptions;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Option;

/**
 * What {@code ./load-test compare} does; the command line's {@link Args} become one by {@link Args#toOptions}.
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
 * @param botProbe before each latency's http pass, measure what the http bot sustains ({@link BotCapacity})
 */
public record CompareOptions(int conversations, int messages, int partitions, List<Integer> latencies,
    List<ArmKind> arms, List<String> bots, String bootstrap, String redis, Duration armBudget,
    Duration stallTimeout, int maxConcurrency, Path out, boolean progress, boolean botProbe) {

  /** Validates and freezes the lists. */
  public CompareOptions {
    latencies = List.copyOf(latencies);
    arms = List.copyOf(arms);
    bots = List.copyOf(bots);
  }

  /**
   * Parses the arguments after {@code compare} the way {@code ./load-test compare} does.
   *
   * @throws IllegalArgumentException naming the wrong argument; the message is for the user
   */
  public static CompareOptions parse(String... args) {
    Args parsed = new Args();
    Main.parse(parsed, args);
    return parsed.toOptions();
  }

  /**
   * The compare command's options, filled in by picocli (a mixin of {@link CompareMain}); text until
   * {@link #toOptions}, for the reason {@link ScenarioOptions.Args} gives.
   */
  public static final class Args {
    @Option(names = "--conversations", paramLabel = "N", defaultValue = "1000",
        description = "conversations (default: ${DEFAULT-VALUE})")
    private String conversations;

    @Option(names = "--messages", paramLabel = "N", defaultValue = "20",
        description = "messages per conversation (default: ${DEFAULT-VALUE})")
    private String messages;

    @Option(names = "--partitions", paramLabel = "N", defaultValue = "12",
        description = "partitions of the input and output topics (default: ${DEFAULT-VALUE})")
    private String partitions;

    @Option(names = "--latencies", paramLabel = "L", defaultValue = "0,10,50",
        description = "bot latencies in ms, comma-separated (default: ${DEFAULT-VALUE})")
    private String latencies;

    @Option(names = "--arms", paramLabel = "A", completionCandidates = ArmLabels.class,
        description = "comma-separated, default all: ${COMPLETION-CANDIDATES}")
    private String arms;

    @Option(names = "--bots", paramLabel = "B", defaultValue = "inprocess,http",
        description = "inprocess, http or both (default: ${DEFAULT-VALUE}: two passes)")
    private String bots;

    @Option(names = "--bootstrap", paramLabel = "HOST:PORT",
        description = "external Kafka (default: embedded broker in a child JVM)")
    private String bootstrap;

    @Option(names = "--redis", paramLabel = "HOST:PORT",
        description = "external Redis (default: start redis-server from PATH if needed)")
    private String redis;

    @Option(names = "--arm-budget", paramLabel = "D", defaultValue = "60s",
        description = "time one arm may run before it is stopped as partial (default: ${DEFAULT-VALUE})")
    private String armBudget;

    @Option(names = "--stall-timeout", paramLabel = "D", defaultValue = "30s",
        description = "time without progress before an arm is killed as stalled (default: ${DEFAULT-VALUE})")
    private String stallTimeout;

    @Option(names = "--max-concurrency", paramLabel = "N", defaultValue = "100",
        description = "the parallel consumer's maxConcurrency (default: ${DEFAULT-VALUE})")
    private String maxConcurrency;

    @Option(names = "--out", paramLabel = "DIR",
        description = "result directory (default: load-test-results/compare-<timestamp>)")
    private Path out;

    @Option(names = "--progress", negatable = true,
        description = "a progress line on stderr, or none (default: only when stderr is a terminal)")
    private Boolean progress;

    @Option(names = "--bot-probe", negatable = true, defaultValue = "true", fallbackValue = "true",
        description = "before each latency's http pass, measure what the http bot sustains (default: on)")
    private boolean botProbe;

    /**
     * The options these arguments describe, checked.
     *
     * @throws IllegalArgumentException naming the wrong value; the message is for the user
     */
    public CompareOptions toOptions() {
      return new CompareOptions(ScenarioOptions.positive("--conversations", conversations),
          ScenarioOptions.positive("--messages", messages), ScenarioOptions.positive("--partitions", partitions),
          latencies(latencies), arms == null ? ArmKind.all() : arms(arms), bots(bots),
          bootstrap == null ? null : address("--bootstrap", bootstrap), redis == null ? null : address("--redis", redis),
          duration("--arm-budget", armBudget), duration("--stall-timeout", stallTimeout),
          ScenarioOptions.positive("--max-concurrency", maxConcurrency),
          out != null ? out : ScenarioOptions.resultsDir("compare-"), ScenarioOptions.drawProgress(progress),
          botProbe);
    }
  }

  /** What {@code --arms} completes to: every arm's label. */
  static final class ArmLabels extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    ArmLabels() {
      super(ArmKind.all().stream().map(ArmKind::label).toList());
    }
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
