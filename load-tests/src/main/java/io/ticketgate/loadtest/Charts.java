package io.ticketgate.loadtest;

import java.util.List;
import java.util.Locale;

/**
 * Draws the report's chart, {@code report.svg}: throughput over time (dispatches finished per
 * second) with the injected faults marked, and a lock-wait histogram with its p50 and p99; both with
 * round ticks and grid lines. Plain SVG so it opens in any
 * browser without a library.
 */
public final class Charts {

  /**
   * A fault to mark on the throughput chart: a line for an instant (a kill), a band for a span.
   *
   * @param kind {@code kill}, {@code term}, {@code pause} or {@code redis-restart}; or {@code p50}/{@code p99} for a
 *     percentile line on the lock-wait histogram (start = end = its value); picks the colour
   * @param startSecond when it began, in seconds since the first message was produced
   * @param endSecond when it ended
   */
  public record Marker(String kind, double startSecond, double endSecond) {

    String colour() {
      return switch (kind) {
        case "kill" -> "red";
        case "term" -> "blue";
        case "pause" -> "orange";
        case "p50" -> "darkgreen";
        case "p99" -> "crimson";
        default -> "purple";
      };
    }

    String legend() {
      return switch (kind) {
        case "kill" -> "red: replica killed";
        case "term" -> "blue: replica stopping (SIGTERM to exit)";
        case "pause" -> "orange: replica paused";
        case "p50", "p99" -> kind;
        default -> "purple: Redis down";
      };
    }
  }

  private static final int WIDTH = 640;
  private static final int HEIGHT = 220;
  private static final int MARGIN = 40;
  private static final int BINS = 20;

  private Charts() {}

  /**
   * The SVG text.
   *
   * @param perSecond finished accepted dispatches in each second since the first message was produced
   * @param lockWaitMillis every reply's lock wait
   * @param faults the faults to mark on the throughput chart
   */
  public static String svg(long[] perSecond, List<Double> lockWaitMillis, List<Marker> faults) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, 2 * HEIGHT + 20));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    long[] counts = perSecond.length == 0 ? new long[] {0} : perSecond;
    String legend = String.join(", ", faults.stream().map(Marker::legend).distinct().toList());
    bars(s, 0, "throughput, messages/s per second of the run" + (legend.isEmpty() ? "" : " (" + legend + ")"),
        counts, "s", 0, 1, faults);
    double max = lockWaitMillis.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double width = Math.max(1, Math.ceil(max / BINS));
    long[] hist = new long[BINS];
    for (double w : lockWaitMillis) {
      hist[(int) Math.min(BINS - 1, Math.floor(w / width))]++;
    }
    List<Double> sorted = lockWaitMillis.stream().sorted().toList();
    List<Marker> percentiles = sorted.isEmpty() ? List.of()
        : List.of(new Marker("p50", percentile(sorted, 0.50), percentile(sorted, 0.50)),
            new Marker("p99", percentile(sorted, 0.99), percentile(sorted, 0.99)));
    bars(s, HEIGHT + 20, "lock wait histogram, replies per " + (long) width + " ms bin", hist, "ms", 0, width,
        percentiles);
    s.append("</svg>\n");
    return s.toString();
  }

  /** The {@code q} quantile of sorted values, nearest rank. */
  static double percentile(List<Double> sorted, double q) {
    int rank = (int) Math.ceil(q * sorted.size());
    return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
  }

  /** A round step (1, 2 or 5 times a power of ten) that cuts {@code range} into about {@code parts}. */
  static double niceStep(double range, int parts) {
    if (range <= 0) {
      return 1;
    }
    double raw = range / parts;
    double power = Math.pow(10, Math.floor(Math.log10(raw)));
    double f = raw / power;
    return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
  }

  private static void bars(StringBuilder s, int top, String title, long[] values, String unit, double origin,
      double step, List<Marker> markers) {
    long max = 1;
    for (long v : values) {
      max = Math.max(max, v);
    }
    int plotW = WIDTH - 2 * MARGIN;
    int plotH = HEIGHT - 2 * MARGIN;
    int baseY = top + MARGIN + plotH;
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">%s</text>%n", MARGIN,
        top + 20, escape(title)));
    // y axis: round ticks up to a round top, with grid lines.
    double yStep = niceStep(max, 4);
    double yTop = Math.ceil(max / yStep) * yStep;
    for (double v = 0; v <= yTop + yStep / 2; v += yStep) {
      double y = baseY - plotH * v / yTop;
      s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>%n",
          MARGIN, y, MARGIN + plotW, y));
      s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>%n", MARGIN - 4,
          y + 4, label(v)));
    }
    double barW = (double) plotW / values.length;
    for (int i = 0; i < values.length; i++) {
      double h = plotH * (double) values[i] / yTop;
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
          + "fill=\"steelblue\"><title>%.0f%s: %d</title></rect>%n", MARGIN + i * barW, baseY - h,
          Math.max(1, barW - 1), h, origin + i * step, unit, values[i]));
    }
    // x axis: ticks at round values of the unit.
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
        MARGIN, baseY, MARGIN + plotW, baseY));
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
        MARGIN, top + MARGIN, MARGIN, baseY));
    double span = values.length * step;
    double xStep = niceStep(span, 8);
    for (double v = 0; v <= span + 1e-9; v += xStep) {
      double x = MARGIN + plotW * v / span;
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"black\"/>%n",
          x, baseY, x, baseY + 4));
      s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n", x,
          baseY + 16, label(origin + v)));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s</text>%n",
        MARGIN + plotW, baseY + 30, unit));
    for (Marker m : markers) {
      double x1 = MARGIN + Math.max(0, m.startSecond() - origin) / span * plotW;
      double x2 = MARGIN + Math.max(0, m.endSecond() - origin) / span * plotW;
      if (x2 - x1 >= 1) {
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
            + "fill-opacity=\"0.25\"><title>%s</title></rect>%n", x1, top + MARGIN, x2 - x1, plotH, m.colour(),
            escape(m.legend())));
      }
      boolean percentile = m.kind().startsWith("p");
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"%s/>%n",
          x1, top + MARGIN, x1, baseY, m.colour(), percentile ? " stroke-dasharray=\"4 3\"" : ""));
      if (percentile) {
        s.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" fill=\"%s\">%s %s %s</text>%n", x1 + 3,
            top + MARGIN + (m.kind().equals("p50") ? 10 : 22), m.colour(), m.kind(), label(m.startSecond()), unit));
      }
    }
  }

  /** A tick label: whole numbers plainly, others with what precision they need. */
  private static String label(double v) {
    if (Math.abs(v - Math.rint(v)) < 1e-9) {
      return String.format(Locale.ROOT, "%,d", (long) Math.rint(v));
    }
    return String.format(Locale.ROOT, "%.2f", v).replaceAll("0+$", "");
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
