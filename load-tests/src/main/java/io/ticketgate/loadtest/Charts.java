package io.ticketgate.loadtest;

import java.util.List;
import java.util.Locale;

/**
 * Draws the report's chart, {@code report.svg}: throughput over time (dispatches finished per
 * second) with the injected faults marked, and a lock-wait histogram. Plain SVG so it opens in any
 * browser without a library.
 */
public final class Charts {

  /**
   * A fault to mark on the throughput chart: a line for an instant (a kill), a band for a span.
   *
   * @param kind {@code kill}, {@code pause} or {@code redis-restart}; picks the colour
   * @param startSecond when it began, in seconds since the first message was produced
   * @param endSecond when it ended
   */
  public record Marker(String kind, double startSecond, double endSecond) {

    String colour() {
      return switch (kind) {
        case "kill" -> "red";
        case "pause" -> "orange";
        default -> "purple";
      };
    }

    String legend() {
      return switch (kind) {
        case "kill" -> "red: replica killed";
        case "pause" -> "orange: replica paused";
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
    bars(s, HEIGHT + 20, "lock wait histogram, replies per " + (long) width + " ms bin", hist, "ms", 0, width,
        List.of());
    s.append("</svg>\n");
    return s.toString();
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
    s.append(String.format(Locale.ROOT, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"black\"/>%n",
        MARGIN, baseY, MARGIN + plotW, baseY));
    s.append(String.format(Locale.ROOT, "<text x=\"2\" y=\"%d\">%d</text>%n", top + MARGIN + 4, max));
    double barW = (double) plotW / values.length;
    for (int i = 0; i < values.length; i++) {
      double h = plotH * (double) values[i] / max;
      s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
          + "fill=\"steelblue\"><title>%.0f%s: %d</title></rect>%n", MARGIN + i * barW, baseY - h,
          Math.max(1, barW - 1), h, origin + i * step, unit, values[i]));
    }
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">0 %s</text>%n", MARGIN, baseY + 14, unit));
    s.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%.0f %s</text>%n",
        MARGIN + plotW, baseY + 14, origin + values.length * step, unit));
    for (Marker m : markers) {
      double x1 = MARGIN + Math.max(0, m.startSecond()) / step * barW;
      double x2 = MARGIN + Math.max(0, m.endSecond()) / step * barW;
      if (x2 - x1 >= 1) {
        s.append(String.format(Locale.ROOT, "<rect x=\"%.1f\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\" "
            + "fill-opacity=\"0.25\"><title>%s</title></rect>%n", x1, top + MARGIN, x2 - x1, plotH, m.colour(),
            escape(m.legend())));
      }
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"%s\"/>%n",
          x1, top + MARGIN, x1, baseY, m.colour()));
    }
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
