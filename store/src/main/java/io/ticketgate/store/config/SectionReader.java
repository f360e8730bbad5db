package io.ticketgate.store.config;

import io.ticketgate.store.LockStoreConfigException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads one configuration section, collecting every problem instead of stopping at the first, so a
 * user fixes a file in one pass. Messages follow one shape: {@code <section>.<key> was '<value>' but
 * it <reason> (in <file>)}.
 *
 * <p>Internal: not part of the public API and may change without notice.
 */
public final class SectionReader {

  /** {@code ${VAR}}, or {@code ${VAR:-default}} as in a shell: the default when VAR is unset or empty. */
  private static final Pattern VARIABLE = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

  private final String sectionName;
  private final String source;
  private final Map<String, Object> values;
  private final Set<String> read = new TreeSet<>();
  private List<String> problems = new ArrayList<>();
  private List<String> warnings = new ArrayList<>();

  /**
   * @param sectionName the section's name in messages, such as {@code lock_store}; empty for a
   *     file's top level, whose keys are then named alone ({@code kafka.group_id})
   * @param section the raw section; {@code ${VAR}} and {@code ${VAR:-default}} in its strings are
   *     replaced from {@code env}
   * @param source the file it came from, or null
   * @param env the environment to substitute from
   */
  public SectionReader(String sectionName, Map<String, ?> section, String source, Function<String, String> env) {
    this.sectionName = sectionName;
    this.source = source;
    this.values = new LinkedHashMap<>();
    if (section != null) {
      section.forEach((k, v) -> values.put(String.valueOf(k), substitute(String.valueOf(k), v, env)));
    }
  }

  /** A reader that substitutes from the process environment. */
  public static SectionReader of(String sectionName, Map<String, ?> section, String source) {
    return new SectionReader(sectionName, section, source, System::getenv);
  }

  /** The section with variables substituted. */
  public Map<String, Object> values() {
    return values;
  }

  /** Whether {@code key} is present with a non-null value. */
  public boolean has(String key) {
    return values.get(key) != null;
  }

  /** The raw value of {@code key}, marking it as known. */
  public Object raw(String key) {
    read.add(key);
    return values.get(key);
  }

  /** A string value, or {@code fallback} when absent. Numbers and booleans are taken as written. */
  public String string(String key, String fallback) {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Map || v instanceof Collection) {
      problem(key, v, "must be a single value");
      return fallback;
    }
    return String.valueOf(v);
  }

  /** An integer within [min, max], or {@code fallback} when absent. */
  public int integer(String key, int fallback, int min, int max) {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    Long n = null;
    if (v instanceof Number num && num.doubleValue() == Math.rint(num.doubleValue())) {
      n = num.longValue();
    } else if (v instanceof String s) {
      try {
        n = Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        n = null;
      }
    }
    if (n == null) {
      problem(key, v, "must be a whole number");
      return fallback;
    }
    if (n < min || n > max) {
      problem(key, v, "must be between " + min + " and " + max);
      return fallback;
    }
    return n.intValue();
  }

  /** A positive duration written in seconds (fractions allowed), or {@code fallback} when absent. */
  public Duration seconds(String key, Duration fallback) {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    Double d = null;
    if (v instanceof Number num) {
      d = num.doubleValue();
    } else if (v instanceof String s) {
      try {
        d = Double.parseDouble(s.trim());
      } catch (NumberFormatException e) {
        d = null;
      }
    }
    if (d == null || !Double.isFinite(d)) {
      problem(key, v, "must be a number of seconds");
      return fallback;
    }
    if (d <= 0) {
      problem(key, v, "must be greater than 0 seconds");
      return fallback;
    }
    if (d > 365L * 24 * 3600 * 100) {
      problem(key, v, "must be at most 100 years");
      return fallback;
    }
    return Duration.ofNanos(Math.round(d * 1e9));
  }

  /** A boolean ({@code true}/{@code false}, any case), or {@code fallback} when absent. */
  public boolean bool(String key, boolean fallback) {
    Object v = raw(key);
    if (v == null) {
      return fallback;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s) {
      if (s.trim().equalsIgnoreCase("true")) {
        return true;
      }
      if (s.trim().equalsIgnoreCase("false")) {
        return false;
      }
    }
    problem(key, v, "must be true or false");
    return fallback;
  }

  /** A list of strings; a single string counts as a list of one. Empty when absent. */
  public List<String> stringList(String key) {
    Object v = raw(key);
    if (v == null) {
      return List.of();
    }
    if (v instanceof Collection<?> c) {
      List<String> out = new ArrayList<>();
      for (Object o : c) {
        if (o == null || o instanceof Map || o instanceof Collection) {
          problem(key, v, "must be a list of strings");
          return List.of();
        }
        out.add(String.valueOf(o));
      }
      return out;
    }
    if (v instanceof Map) {
      problem(key, v, "must be a list of strings");
      return List.of();
    }
    return List.of(String.valueOf(v));
  }

  /** A nested section as a reader of its own, sharing this reader's problems and warnings; null when absent. */
  public SectionReader section(String key) {
    Object v = raw(key);
    if (v == null) {
      return null;
    }
    if (!(v instanceof Map<?, ?> map)) {
      problem(key, v, "must be a mapping");
      return null;
    }
    SectionReader nested = new SectionReader(qualified(key), Map.of(), source, name -> null);
    map.forEach((k, val) -> nested.values.put(String.valueOf(k), val));
    nested.problems = problems;
    nested.warnings = warnings;
    return nested;
  }

  /** A mapping of scalar values as strings, such as pass-through client properties; empty when absent. */
  public Map<String, String> stringMap(String key) {
    Object v = raw(key);
    if (v == null) {
      return Map.of();
    }
    if (!(v instanceof Map<?, ?> map)) {
      problem(key, v, "must be a mapping");
      return Map.of();
    }
    Map<String, String> out = new LinkedHashMap<>();
    map.forEach((k, val) -> {
      if (val == null || val instanceof Map || val instanceof Collection) {
        problem(key + "." + k, val, "must be a single value");
      } else {
        out.put(String.valueOf(k), String.valueOf(val));
      }
    });
    return out;
  }

  /** Records a problem with {@code key}'s value. */
  public void problem(String key, Object value, String reason) {
    problems.add(qualified(key) + " was '" + value + "' but it " + reason + where());
  }

  /** Records a problem that concerns the section as a whole or several keys. */
  public void problem(String message) {
    problems.add(prefix() + message + where());
  }

  /** Records a warning, for the caller to log or print. */
  public void warn(String message) {
    warnings.add(prefix() + message + where());
  }

  /** Warns about every key that no reader asked for, naming them. */
  public void warnUnknownKeys(String context) {
    List<String> unknown = new ArrayList<>();
    for (String k : values.keySet()) {
      if (!read.contains(k)) {
        unknown.add(k);
      }
    }
    if (!unknown.isEmpty()) {
      StringBuilder hints = new StringBuilder();
      for (String k : unknown) {
        String near = nearest(k, read);
        if (near != null) {
          hints.append(hints.isEmpty() ? "; did you mean " : ", ").append("'").append(near).append("' for '")
              .append(k).append("'");
        }
      }
      warn("ignoring unknown key(s) " + unknown + (context.isEmpty() ? "" : " " + context) + hints);
    }
  }

  /**
   * The candidate closest to {@code word} by edit distance, when it is close enough to be a typo
   * (at most a third of the word's length, at least one edit), else null.
   */
  public static String nearest(String word, Collection<String> candidates) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = editDistance(word.toLowerCase(java.util.Locale.ROOT), c.toLowerCase(java.util.Locale.ROOT));
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best != null && bestDistance <= Math.max(1, word.length() / 3) ? best : null;
  }

  /** Levenshtein distance, with a swap of two neighbours counted as one edit. */
  static int editDistance(String a, String b) {
    int[][] d = new int[a.length() + 1][b.length() + 1];
    for (int i = 0; i <= a.length(); i++) {
      d[i][0] = i;
    }
    for (int j = 0; j <= b.length(); j++) {
      d[0][j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
        if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
          d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      }
    }
    return d[a.length()][b.length()];
  }

  /** How messages name {@code key} of this section. */
  private String qualified(String key) {
    return sectionName.isEmpty() ? key : sectionName + "." + key;
  }

  private String prefix() {
    return sectionName.isEmpty() ? "" : sectionName + ": ";
  }

  /** A reader over {@code section} that shares this reader's problems, warnings and source. */
  public SectionReader sibling(String sectionName, Map<String, ?> section) {
    SectionReader other = new SectionReader(sectionName, Map.of(), source, name -> null);
    if (section != null) {
      section.forEach((k, v) -> other.values.put(String.valueOf(k), v));
    }
    other.problems = problems;
    other.warnings = warnings;
    return other;
  }

  /** Problems found so far. */
  public List<String> problems() {
    return List.copyOf(problems);
  }

  /** Warnings found so far. */
  public List<String> warnings() {
    return List.copyOf(warnings);
  }

  /** Throws one exception listing every problem, if there are any. */
  public void throwIfProblems() {
    if (!problems.isEmpty()) {
      throw new LockStoreConfigException(problems);
    }
  }

  private String where() {
    return source == null ? "" : " (in " + source + ")";
  }

  private Object substitute(String key, Object value, Function<String, String> env) {
    if (value instanceof String s) {
      Matcher m = VARIABLE.matcher(s);
      StringBuilder out = new StringBuilder();
      while (m.find()) {
        String name = m.group(1);
        String replacement = env.apply(name);
        if (m.group(2) != null && (replacement == null || replacement.isEmpty())) {
          replacement = m.group(3);
        }
        if (replacement == null) {
          problems.add(qualified(key) + " refers to ${" + name + "}, which is not set in the environment (give a "
              + "default with ${" + name + ":-value})" + where());
          replacement = m.group(); // left as written, so the value's own check does not pile a second problem on it
        }
        m.appendReplacement(out, Matcher.quoteReplacement(replacement));
      }
      m.appendTail(out);
      return out.toString();
    }
    if (value instanceof List<?> list) {
      List<Object> out = new ArrayList<>();
      for (Object o : list) {
        out.add(substitute(key, o, env));
      }
      return out;
    }
    if (value instanceof Map<?, ?> map) {
      Map<String, Object> out = new LinkedHashMap<>();
      map.forEach((k, v) -> out.put(String.valueOf(k), substitute(key + "." + k, v, env)));
      return out;
    }
    return value;
  }
}
