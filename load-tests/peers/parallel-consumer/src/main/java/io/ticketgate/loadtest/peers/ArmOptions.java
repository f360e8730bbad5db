package io.ticketgate.loadtest.peers;

import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The Parallel Consumer arm's command line, as the compare-arm contract defines it.
 *
 * @param bootstrap Kafka's host:port
 * @param input the topic to read from its earliest offset
 * @param output the topic for the bot's replies
 * @param group the consumer group id
 * @param expected done once this many input records were handled and committed
 * @param botLatencyMillis the in-process bot's sleep, or -1 with {@code botUrl}
 * @param botUrl the webhook to POST to, or null for the in-process bot
 * @param maxConcurrency Parallel Consumer's maxConcurrency
 * @param dispatchLog where to write one line per bot call, or null for none
 * @param commitInterval how often Parallel Consumer commits
 * @param ignored options of other arms, kept for the log
 */
record ArmOptions(String bootstrap, String input, String output, String group, long expected,
    long botLatencyMillis, URI botUrl, int maxConcurrency, Path dispatchLog, Duration commitInterval,
    List<String> ignored) {

  /** Rasa's REST webhook path, appended to an http: bot URL that does not name it. */
  static final String WEBHOOK_PATH = "/webhooks/rest/webhook";

  static final String USAGE = """
      usage: java -cp <jar>:<lib>/* io.ticketgate.loadtest.peers.ParallelConsumerArm
        --bootstrap HOST:PORT --input TOPIC --output TOPIC --group ID --expected N
        --bot inprocess:<ms> | --bot http:<rasa-url>
        [--max-concurrency N]       Parallel Consumer's maxConcurrency (default 100)
        [--dispatch-log FILE]       one line per bot call
        [--commit-interval-ms N]    Parallel Consumer's commitInterval (default 500)
      Options of other arms (such as --store) are ignored.
      """;

  /** Parses the arguments; throws IllegalArgumentException naming the option and value at fault. */
  static ArmOptions parse(String[] args) {
    String bootstrap = null;
    String input = null;
    String output = null;
    String group = null;
    Long expected = null;
    String bot = null;
    int maxConcurrency = 100;
    Path dispatchLog = null;
    long commitIntervalMs = 500;
    List<String> ignored = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new IllegalArgumentException("help requested");
      }
      if (!arg.startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument '" + arg + "': options are --name value");
      }
      String name = arg;
      String value;
      int eq = arg.indexOf('=');
      if (eq > 0) {
        name = arg.substring(0, eq);
        value = arg.substring(eq + 1);
      } else if (i + 1 < args.length && !args[i + 1].startsWith("--")) {
        value = args[++i];
      } else {
        value = null;
      }
      switch (name) {
        case "--bootstrap" -> bootstrap = hostPort(name, need(name, value));
        case "--input" -> input = nonBlank(name, need(name, value));
        case "--output" -> output = nonBlank(name, need(name, value));
        case "--group" -> group = nonBlank(name, need(name, value));
        case "--expected" -> expected = positive(name, need(name, value));
        case "--bot" -> bot = need(name, value);
        case "--max-concurrency" -> {
          long n = positive(name, need(name, value));
          if (n > 10_000) {
            throw new IllegalArgumentException(name + " was " + n + " but must be at most 10000 (one thread each)");
          }
          maxConcurrency = (int) n;
        }
        case "--dispatch-log" -> dispatchLog = Path.of(nonBlank(name, need(name, value)));
        case "--commit-interval-ms" -> commitIntervalMs = positive(name, need(name, value));
        default -> {
          // The contract: every arm gets the same options and ignores the ones it has no use for.
          ignored.add(value == null ? name : name + " " + value);
        }
      }
    }
    require("--bootstrap", bootstrap);
    require("--input", input);
    require("--output", output);
    require("--group", group);
    require("--expected", expected);
    require("--bot", bot);
    long latency = -1;
    URI url = null;
    if (bot.startsWith("inprocess:")) {
      String ms = bot.substring("inprocess:".length());
      try {
        latency = Long.parseLong(ms);
      } catch (NumberFormatException e) {
        latency = -1;
      }
      if (latency < 0) {
        throw new IllegalArgumentException("--bot was '" + bot + "' but inprocess: takes a whole number of "
            + "milliseconds >= 0, e.g. inprocess:10");
      }
    } else if (bot.startsWith("http:")) {
      url = httpUrl(bot);
    } else {
      throw new IllegalArgumentException("--bot was '" + bot + "' but must be inprocess:<ms> or http:<url>");
    }
    return new ArmOptions(bootstrap, input, output, group, expected, latency, url, maxConcurrency, dispatchLog,
        Duration.ofMillis(commitIntervalMs), List.copyOf(ignored));
  }

  private static URI httpUrl(String bot) {
    String text = bot.substring("http:".length());
    try {
      URI url = new URI(text);
      if (!("http".equals(url.getScheme()) || "https".equals(url.getScheme())) || url.getHost() == null) {
        throw new IllegalArgumentException("--bot was '" + bot + "' but http: needs an http(s) URL with a host, "
            + "e.g. http:http://127.0.0.1:5005");
      }
      // Like the other arms and bot.url in gateway.yml, the URL is the Rasa server's; the webhook path
      // is Rasa's fixed one. A URL that already names it is taken as it is.
      String path = url.getPath() == null ? "" : url.getPath();
      if (path.endsWith(WEBHOOK_PATH)) {
        return url;
      }
      return URI.create(text.replaceAll("/+$", "") + WEBHOOK_PATH);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("--bot was '" + bot + "' but '" + text + "' is not a URL: "
          + e.getMessage(), e);
    }
  }

  private static String need(String name, String value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " needs a value");
    }
    return value;
  }

  private static void require(String name, Object value) {
    if (value == null) {
      throw new IllegalArgumentException(name + " is required");
    }
  }

  private static String nonBlank(String name, String value) {
    if (value.isBlank()) {
      throw new IllegalArgumentException(name + " was blank");
    }
    return value;
  }

  private static long positive(String name, String value) {
    long n;
    try {
      n = Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(name + " was '" + value + "' but must be a whole number", e);
    }
    if (n < 1) {
      throw new IllegalArgumentException(name + " was " + n + " but must be at least 1");
    }
    return n;
  }

  private static String hostPort(String name, String value) {
    for (String server : value.split(",")) {
      int colon = server.lastIndexOf(':');
      boolean ok = colon > 0 && colon < server.length() - 1;
      if (ok) {
        try {
          int port = Integer.parseInt(server.substring(colon + 1));
          ok = port > 0 && port < 65536;
        } catch (NumberFormatException e) {
          ok = false;
        }
      }
      if (!ok) {
        throw new IllegalArgumentException(name + " was '" + value + "' but must be host:port");
      }
    }
    return value;
  }
}
