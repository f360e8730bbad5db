package io.ticketgate.loadtest;

import java.util.List;
import java.util.Locale;

/**
 * Draws the report's chart, {@code report.svg}: throughput over time (dispatches finished per
 * second) and a lock-wait histogram. Plain SVG so it opens in any browser without a library.
 */
public final class Charts {

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
   * @param killSecond the second the replica was killed, or negative for none
   */
  public static String svg(long[] perSecond, List<Double> lockWaitMillis, double killSecond) {
    StringBuilder s = new StringBuilder();
    s.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
        + "font-family=\"sans-serif\" font-size=\"11\">%n", WIDTH, 2 * HEIGHT + 20));
    s.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    long[] counts = perSecond.length == 0 ? new long[] {0} : perSecond;
    String killNote = killSecond >= 0 ? " (red line: replica killed)" : "";
    bars(s, 0, "throughput, messages/s per second of the run" + killNote, counts, "s", 0, 1, killSecond);
    double max = lockWaitMillis.stream().mapToDouble(Double::doubleValue).max().orElse(0);
    double width = Math.max(1, Math.ceil(max / BINS));
    long[] hist = new long[BINS];
    for (double w : lockWaitMillis) {
      hist[(int) Math.min(BINS - 1, Math.floor(w / width))]++;
    }
    bars(s, HEIGHT + 20, "lock wait histogram, replies per " + (long) width + " ms bin", hist, "ms", 0, width, -1);
    s.append("</svg>\n");
    return s.toString();
  }

  private static void bars(StringBuilder s, int top, String title, long[] values, String unit, double origin,
      double step, double marker) {
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
    if (marker >= 0) {
      double x = MARGIN + marker / step * barW;
      s.append(String.format(Locale.ROOT, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"red\"/>%n",
          x, top + MARGIN, x, baseY));
    }
  }

  private static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
