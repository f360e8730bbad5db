package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.Dispatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads an arm's dispatch log into {@link Dispatch}es whose times are epoch microseconds times
 * 1000 ("epoch nanos"), the time base every compare figure uses.
 */
public final class DispatchLogs {

  private static final Logger log = LoggerFactory.getLogger(DispatchLogs.class);

  private DispatchLogs() {}

  /**
   * Parses the log. A missing file is an empty log (the arm never got that far); a malformed line,
   * typically the last one of an arm that was killed mid-write, is skipped with a warning.
   */
  public static List<Dispatch> read(Path file) throws IOException {
    List<Dispatch> dispatches = new ArrayList<>();
    if (!Files.exists(file)) {
      return dispatches;
    }
    long malformed = 0;
    String first = null;
    try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        Dispatch d = parse(line);
        if (d == null) {
          malformed++;
          first = first == null ? line : first;
        } else {
          dispatches.add(d);
        }
      }
    }
    if (malformed > 0) {
      log.warn("{}: skipped {} malformed lines, first: '{}'", file, malformed, first);
    }
    return dispatches;
  }

  /** One line, or null when it is not a dispatch line. */
  static Dispatch parse(String line) {
    String[] f = line.split("\t", -1);
    if (f.length != 6 || f[0].isEmpty() || !(f[5].equals("1") || f[5].equals("0"))) {
      return null;
    }
    try {
      return new Dispatch(f[0], Long.parseLong(f[1]), Long.parseLong(f[2]), "", Long.parseLong(f[3]) * 1000,
          Long.parseLong(f[4]) * 1000, f[5].equals("1"));
    } catch (NumberFormatException e) {
      return null;
    }
  }
}
