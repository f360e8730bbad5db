package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.HttpBotServer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The HTTP bot's own process, as {@link HttpBotProcess} starts it: an {@link HttpBotServer} that
 * writes every call to a dispatch log in epoch microseconds (so the harness can verify it like an
 * arm's), prints {@code listening <url>} on stdout once it accepts calls, flushes the log when it is
 * terminated, and exits when its stdin closes (the harness died).
 *
 * <p>Options: {@code --latency-ms <n>} (default 0), {@code --fencing}, {@code --require-ticket},
 * {@code --threads <n>} (default 2), {@code --port <n>} (default 0: a free one),
 * {@code --dispatch-log <file>} (required). Exit 2 on a wrong option.
 */
public final class HttpBotMain {

  private HttpBotMain() {}

  /** Settings parsed from the command line. */
  record Options(long latencyMillis, boolean fencing, boolean requireTicket, int threads, int port, Path dispatchLog) {

    static Options parse(String[] argv) {
      long latency = 0;
      boolean fencing = false;
      boolean requireTicket = false;
      int threads = 2;
      int port = 0;
      Path log = null;
      for (int i = 0; i < argv.length; i++) {
        String a = argv[i];
        switch (a) {
          case "--fencing" -> fencing = true;
          case "--require-ticket" -> requireTicket = true;
          case "--latency-ms" -> latency = number(a, value(argv, ++i, a), 0);
          case "--threads" -> threads = (int) number(a, value(argv, ++i, a), 1);
          case "--port" -> port = (int) number(a, value(argv, ++i, a), 0);
          case "--dispatch-log" -> log = Path.of(value(argv, ++i, a));
          default -> throw new IllegalArgumentException("unknown option '" + a + "'");
        }
      }
      if (log == null) {
        throw new IllegalArgumentException("--dispatch-log is required");
      }
      if (port > 65535) {
        throw new IllegalArgumentException("--port was " + port + " but must be at most 65535");
      }
      return new Options(latency, fencing, requireTicket, threads, port, log);
    }

    private static String value(String[] argv, int i, String option) {
      if (i >= argv.length) {
        throw new IllegalArgumentException(option + " needs a value");
      }
      return argv[i];
    }

    private static long number(String option, String value, long min) {
      long n;
      try {
        n = Long.parseLong(value);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(option + " was '" + value + "' but must be a whole number");
      }
      if (n < min) {
        throw new IllegalArgumentException(option + " was " + n + " but must be at least " + min);
      }
      return n;
    }
  }

  /** Runs the bot until the process is terminated or stdin closes. */
  public static void main(String[] argv) throws IOException {
    Options options;
    try {
      options = Options.parse(argv);
    } catch (IllegalArgumentException e) {
      System.err.println("http bot: " + e.getMessage());
      System.exit(2);
      return;
    }
    DispatchLogs.Writer log = DispatchLogs.open(options.dispatchLog());
    HttpBotServer bot = HttpBotServer.start(options.latencyMillis(), options.fencing(), options.requireTicket(),
        options.threads(), options.port(), (conversation, seq, ticket, replica, start, end, accepted) ->
            log.write(conversation, seq, ticket, ArmRuntime.epochMicros(start), ArmRuntime.epochMicros(end), accepted));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      bot.close();
      log.close();
      System.err.printf(Locale.ROOT, "http bot: stopped; answered %d, fenced %d, malformed %d%n", bot.answered(),
          bot.fenced(), bot.malformed());
    }, "http-bot-stop"));
    System.out.println("listening " + bot.url());
    System.out.flush();
    ArmRuntime.awaitStdinEnd();
    // Not a halt: a stop by SIGTERM also closes stdin, and the shutdown hook must still flush the log.
    System.exit(0);
  }
}
