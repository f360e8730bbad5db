package io.ticketgate.loadtest.compare;

import java.lang.management.ManagementFactory;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The CPU time one arm cost, by process: what tells whether a slower arm spends its time in its own
 * JVM, in Redis or in the broker. On a machine with few cores they share, that is the question.
 *
 * <p>The arm measures its own JVM from its first consumed record to its last committed one (its
 * done line); Redis, the broker and the harness are read before the arm starts and right after it
 * exits, so they also count the arm's start-up and shutdown, which are short next to a run.
 *
 * @param armMicros the arm JVM; -1 when it did not report it (it did not finish)
 * @param redisMicros the Redis server ({@code INFO cpu}, user + system); -1 without Redis
 * @param brokerMicros the embedded broker's JVM; -1 with an external broker
 * @param botMicros the HTTP bot's process; -1 in the in-process pass (the bot is in the arm's JVM)
 * @param harnessMicros this JVM: watching the arm
 */
public record CpuUse(long armMicros, long redisMicros, long brokerMicros, long botMicros, long harnessMicros) {

  /** What the processes outside the arm had used at one moment; -1 where unknown. */
  record Snapshot(long redisMicros, long brokerMicros, long botMicros, long harnessMicros) {

    /**
     * Reads Redis at {@code redis} (null: none), the broker process {@code brokerPid} and the HTTP
     * bot's {@code botPid} (-1: none).
     */
    static Snapshot take(String redis, long brokerPid, long botPid) {
      return new Snapshot(redis == null ? -1 : CpuUse.redisMicros(redis), brokerPid < 0 ? -1 : processMicros(brokerPid),
          botPid < 0 ? -1 : processMicros(botPid), processMicros(ProcessHandle.current().pid()));
    }

    /** The arm's use: its own report, and the others' growth since {@code this}. */
    CpuUse until(Snapshot after, long armMicros) {
      return new CpuUse(armMicros, delta(redisMicros, after.redisMicros), delta(brokerMicros, after.brokerMicros),
          delta(botMicros, after.botMicros), delta(harnessMicros, after.harnessMicros));
    }

    private static long delta(long before, long after) {
      return before < 0 || after < 0 ? -1 : after - before;
    }
  }

  /** This JVM's CPU time so far, in nanoseconds; -1 where the platform does not say. */
  public static long selfNanos() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  static long processMicros(long pid) {
    return ProcessHandle.of(pid).flatMap(h -> h.info().totalCpuDuration()).map(d -> d.toNanos() / 1000)
        .orElse(-1L);
  }

  static long redisMicros(String address) {
    return parseRedisCpu(RedisCalls.info(address, "cpu"));
  }

  /** {@code used_cpu_user} + {@code used_cpu_sys} of {@code INFO cpu}, in microseconds; -1 when absent. */
  static long parseRedisCpu(String info) {
    double seconds = 0;
    int found = 0;
    for (String line : info.split("\r?\n")) {
      if (line.startsWith("used_cpu_user:") || line.startsWith("used_cpu_sys:")) {
        seconds += Double.parseDouble(line.substring(line.indexOf(':') + 1).trim());
        found++;
      }
    }
    return found == 2 ? Math.round(seconds * 1e6) : -1;
  }

  /** Microseconds per message of {@code messages}, or null when unknown. */
  private static Double per(long micros, long messages) {
    return micros < 0 || messages <= 0 ? null : (double) micros / messages;
  }

  /** The known parts' sum per message, or null when the arm's own is unknown. */
  public Double totalPerMessage(long messages) {
    if (armMicros < 0 || messages <= 0) {
      return null;
    }
    return (double) (armMicros + Math.max(0, redisMicros) + Math.max(0, brokerMicros) + Math.max(0, botMicros)
        + Math.max(0, harnessMicros)) / messages;
  }

  /** For the report: {@code total (arm / Redis / broker / bot / harness)} µs per message, - where unknown. */
  public String cell(long messages) {
    Double total = totalPerMessage(messages);
    if (total == null) {
      return "-";
    }
    return String.format(java.util.Locale.ROOT, "%.0f (%s / %s / %s / %s / %s)", total, f(per(armMicros, messages)),
        f(per(redisMicros, messages)), f(per(brokerMicros, messages)), f(per(botMicros, messages)),
        f(per(harnessMicros, messages)));
  }

  private static String f(Double v) {
    return v == null ? "-" : String.format(java.util.Locale.ROOT, "%.0f", v);
  }

  /** For compare.json: microseconds per message of {@code messages} by process. */
  public Map<String, Object> toMap(long messages) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("arm_us_per_msg", per(armMicros, messages));
    m.put("redis_us_per_msg", per(redisMicros, messages));
    m.put("broker_us_per_msg", per(brokerMicros, messages));
    m.put("bot_us_per_msg", per(botMicros, messages));
    m.put("harness_us_per_msg", per(harnessMicros, messages));
    m.put("total_us_per_msg", totalPerMessage(messages));
    return m;
  }
}
