package io.ticketgate.loadtest.compare;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;

/**
 * The command line every compare arm takes (the arm contract is described on {@link ArmProcess}):
 * where to read and write, when to stop, which bot, where to log.
 *
 * @param bootstrap Kafka
 * @param input the topic read from the earliest offset
 * @param output the topic replies go to; null for the drain
 * @param group the arm's fresh consumer group
 * @param expected how many input records make the arm done
 * @param bot the bot to call; null for the ceilings
 * @param maxConcurrency the parallel consumer's maxConcurrency (other arms ignore it)
 * @param dispatchLog where the arm writes one line per bot call
 * @param store the Ticketgate arm's lock store type, or null
 * @param redis {@code host:port} of Redis for the Ticketgate arm's Redis stores, or null
 * @param keyPrefix the lock store's key prefix, so runs sharing a Redis do not meet; or null
 */
public record ArmArgs(String bootstrap, String input, String output, String group, long expected, BotSpec bot,
    int maxConcurrency, Path dispatchLog, String store, String redis, String keyPrefix) {

  /**
   * The {@code --bot} option: {@code inprocess:<ms>} or {@code http:<url>}.
   *
   * @param latencyMillis for the in-process bot: how long it sleeps before answering
   * @param url for the HTTP bot: the Rasa server's base URL; null for the in-process bot
   */
  public record BotSpec(long latencyMillis, URI url) {

    /** Parses {@code inprocess:<ms>} or {@code http:<url>}. */
    public static BotSpec parse(String text) {
      if (text.startsWith("inprocess:")) {
        String ms = text.substring("inprocess:".length());
        try {
          long millis = Long.parseLong(ms);
          if (millis < 0) {
            throw new IllegalArgumentException("--bot " + text + ": the latency must not be negative");
          }
          return new BotSpec(millis, null);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--bot " + text + ": inprocess needs whole milliseconds, e.g. "
              + "inprocess:10", e);
        }
      }
      if (text.startsWith("http:")) {
        String url = text.substring("http:".length());
        URI uri;
        try {
          uri = URI.create(url);
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("--bot " + text + ": '" + url + "' is not a URL", e);
        }
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null) {
          throw new IllegalArgumentException("--bot " + text + ": expected http:http://host:port");
        }
        return new BotSpec(0, uri);
      }
      throw new IllegalArgumentException("--bot was '" + text + "' but must be inprocess:<ms> or http:<url>");
    }

    /** Whether this is the HTTP bot. */
    public boolean http() {
      return url != null;
    }

    /** The option value. */
    @Override
    public String toString() {
      return http() ? "http:" + url : "inprocess:" + latencyMillis;
    }
  }

  /**
   * Parses the arm command line; unknown options are ignored, as the contract says.
   *
   * @throws IllegalArgumentException naming a missing or wrong option
   */
  public static ArmArgs parse(String[] args) {
    String bootstrap = null;
    String input = null;
    String output = null;
    String group = null;
    long expected = -1;
    BotSpec bot = null;
    int maxConcurrency = 100;
    Path log = null;
    String store = null;
    String redis = null;
    String keyPrefix = null;
    List<String> a = List.of(args);
    for (int i = 0; i < a.size(); i++) {
      String arg = a.get(i);
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "'");
      }
      if (i + 1 >= a.size()) {
        throw new IllegalArgumentException("missing value after " + arg);
      }
      String v = a.get(++i);
      switch (arg) {
        case "--bootstrap" -> bootstrap = v;
        case "--input" -> input = v;
        case "--output" -> output = v;
        case "--group" -> group = v;
        case "--expected" -> expected = number(arg, v);
        case "--bot" -> bot = BotSpec.parse(v);
        case "--max-concurrency" -> maxConcurrency = (int) number(arg, v);
        case "--dispatch-log" -> log = Path.of(v);
        case "--store" -> store = v;
        case "--redis" -> redis = v;
        case "--key-prefix" -> keyPrefix = v;
        default -> { } // options of other arms
      }
    }
    require("--bootstrap", bootstrap);
    require("--input", input);
    require("--group", group);
    require("--dispatch-log", log);
    if (expected < 1) {
      throw new IllegalArgumentException("--expected is required and must be at least 1");
    }
    return new ArmArgs(bootstrap, input, output, group, expected, bot, maxConcurrency, log, store, redis, keyPrefix);
  }

  /** The output topic, which this arm cannot do without. */
  public String requireOutput() {
    require("--output", output);
    return output;
  }

  /** The bot, which this arm cannot do without. */
  public BotSpec requireBot() {
    require("--bot", bot);
    return bot;
  }

  private static void require(String option, Object value) {
    if (value == null) {
      throw new IllegalArgumentException(option + " is required");
    }
  }

  private static long number(String arg, String v) {
    try {
      return Long.parseLong(v);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(arg + " needs a whole number, got '" + v + "'", e);
    }
  }
}
