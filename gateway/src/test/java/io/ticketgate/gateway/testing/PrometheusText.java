package io.ticketgate.gateway.testing;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * A strict little parser for Prometheus text format 0.0.4, for tests that check what a scraper
 * would see: every line that is not blank or a {@code #} comment must be
 * {@code name{label="value",...} value [timestamp]}, with valid names and escapes.
 */
public final class PrometheusText {

  /**
   * One sample line.
   *
   * @param name the series name, such as {@code ticketgate_lock_wait_seconds_bucket}
   * @param labels the labels, in written order
   * @param value the value ({@code +Inf}, {@code -Inf} and {@code NaN} allowed)
   */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private static final Pattern FLOAT = Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?");

  private final List<Sample> samples;

  private PrometheusText(List<Sample> samples) {
    this.samples = samples;
  }

  /**
   * Parses a scrape.
   *
   * @throws IllegalArgumentException naming the line number, the line and what is wrong with it
   */
  public static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    String[] lines = text.split("\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      try {
        samples.add(new LineParser(line).sample());
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("line " + (i + 1) + " '" + line + "': " + e.getMessage(), e);
      }
    }
    return new PrometheusText(Collections.unmodifiableList(samples));
  }

  /** Every sample, in order. */
  public List<Sample> samples() {
    return samples;
  }

  /** The distinct series names. */
  public Set<String> names() {
    Set<String> names = new TreeSet<>();
    samples.forEach(s -> names.add(s.name()));
    return names;
  }

  /** The distinct label names across all samples. */
  public Set<String> labelNames() {
    Set<String> names = new TreeSet<>();
    samples.forEach(s -> names.addAll(s.labels().keySet()));
    return names;
  }

  /** The samples named {@code name}. */
  public List<Sample> samples(String name) {
    return samples.stream().filter(s -> s.name().equals(name)).toList();
  }

  /**
   * The value of the one sample named {@code name} whose labels include {@code labels}.
   *
   * @throws IllegalArgumentException when there is not exactly one
   */
  public double value(String name, Map<String, String> labels) {
    List<Sample> matches = samples.stream()
        .filter(s -> s.name().equals(name) && s.labels().entrySet().containsAll(labels.entrySet()))
        .toList();
    if (matches.size() != 1) {
      throw new IllegalArgumentException("expected one sample " + name + labels + " but found " + matches);
    }
    return matches.get(0).value();
  }

  /** Reads one sample line. */
  private static final class LineParser {
    private final String line;
    private int pos;

    LineParser(String line) {
      this.line = line;
    }

    Sample sample() {
      String name = name(true);
      Map<String, String> labels = new LinkedHashMap<>();
      if (peek() == '{') {
        pos++;
        while (peek() != '}') {
          String label = name(false);
          if (labels.containsKey(label)) {
            throw new IllegalArgumentException("label " + label + " appears twice");
          }
          expect('=');
          labels.put(label, quoted());
          if (peek() == ',') {
            pos++;
          } else if (peek() != '}') {
            throw new IllegalArgumentException("expected ',' or '}' at column " + (pos + 1));
          }
        }
        pos++;
      }
      expect(' ');
      int end = line.indexOf(' ', pos);
      String valueText = end < 0 ? line.substring(pos) : line.substring(pos, end);
      double value = number(valueText);
      if (end >= 0) {
        String timestamp = line.substring(end + 1);
        try {
          Long.parseLong(timestamp);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("timestamp '" + timestamp + "' is not an integer", e);
        }
      }
      return new Sample(name, Collections.unmodifiableMap(labels), value);
    }

    private String name(boolean metric) {
      int start = pos;
      while (pos < line.length()) {
        char c = line.charAt(pos);
        boolean letter = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || metric && c == ':';
        boolean digit = c >= '0' && c <= '9';
        if (!(letter || digit && pos > start)) {
          break;
        }
        pos++;
      }
      if (pos == start) {
        throw new IllegalArgumentException("expected a " + (metric ? "metric" : "label") + " name at column "
            + (start + 1));
      }
      return line.substring(start, pos);
    }

    private String quoted() {
      expect('"');
      StringBuilder out = new StringBuilder();
      while (true) {
        if (pos >= line.length()) {
          throw new IllegalArgumentException("unterminated label value");
        }
        char c = line.charAt(pos++);
        if (c == '"') {
          return out.toString();
        }
        if (c == '\\') {
          if (pos >= line.length()) {
            throw new IllegalArgumentException("dangling backslash in a label value");
          }
          char e = line.charAt(pos++);
          switch (e) {
            case '\\' -> out.append('\\');
            case '"' -> out.append('"');
            case 'n' -> out.append('\n');
            default -> throw new IllegalArgumentException("invalid escape \\" + e + " in a label value");
          }
        } else {
          out.append(c);
        }
      }
    }

    private static double number(String text) {
      switch (text) {
        case "+Inf":
          return Double.POSITIVE_INFINITY;
        case "-Inf":
          return Double.NEGATIVE_INFINITY;
        case "NaN":
          return Double.NaN;
        default:
          // Double.parseDouble alone would also take "1f", "0x1p3" or "Infinity", which scrapers refuse.
          if (!FLOAT.matcher(text).matches()) {
            throw new IllegalArgumentException("value '" + text + "' is not a number");
          }
          try {
            return Double.parseDouble(text);
          } catch (NumberFormatException e) {
            throw new IllegalArgumentException("value '" + text + "' is not a number", e);
          }
      }
    }

    private char peek() {
      if (pos >= line.length()) {
        throw new IllegalArgumentException("line ends early at column " + (pos + 1));
      }
      return line.charAt(pos);
    }

    private void expect(char c) {
      if (peek() != c) {
        throw new IllegalArgumentException("expected '" + c + "' at column " + (pos + 1) + " but found '"
            + line.charAt(pos) + "'");
      }
      pos++;
    }
  }
}
