package io.ticketgate.loadtest;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What the replicas themselves counted of turns served only because the ticket ahead expired
 * ({@code ticketgate_turns_after_expiry_total} and {@code ticketgate_lock_wait_after_expiry_seconds}),
 * read from their {@code /metrics} at the end of a run. A killed replica's tickets are counted by the
 * survivors that waited for them, so this is the gateway's own view of what the report's kill stall
 * measures from the bot's side.
 *
 * @param turns turns served after an expired ticket, summed over the replicas that answered
 * @param waitedSeconds how long those turns waited in all
 * @param replicasRead how many replicas' metrics were read
 */
public record ExpiryWaits(long turns, double waitedSeconds, int replicasRead) {

  static final String TURNS = "ticketgate_turns_after_expiry_total";
  static final String WAITED = "ticketgate_lock_wait_after_expiry_seconds_sum";

  /** Scrapes every port; a replica that does not answer (it was killed) counts for nothing. */
  static ExpiryWaits scrape(Collection<Integer> metricsPorts, java.io.PrintStream err) {
    HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    long turns = 0;
    double waited = 0;
    int read = 0;
    for (int port : metricsPorts) {
      HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
          .timeout(Duration.ofSeconds(5)).GET().build();
      try {
        HttpResponse<String> response = http.send(request, HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 200) {
          err.println("metrics on port " + port + " answered " + response.statusCode() + "; not counted");
          continue;
        }
        Map<String, Double> sums = sums(response.body());
        turns += Math.round(sums.getOrDefault(TURNS, 0.0));
        waited += sums.getOrDefault(WAITED, 0.0);
        read++;
      } catch (IOException e) {
        err.println("metrics on port " + port + " unreachable (" + e + "): a killed or stopped replica, or one "
            + "still starting, counts for nothing");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    return new ExpiryWaits(turns, waited, read);
  }

  /** Prometheus text format: each sample's value, summed per metric name over its label sets. */
  static Map<String, Double> sums(String text) {
    Map<String, Double> out = new HashMap<>();
    for (String line : text.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int brace = line.indexOf('{');
      int space = line.lastIndexOf(' ');
      if (space <= 0) {
        continue;
      }
      String name = line.substring(0, brace > 0 && brace < space ? brace : line.indexOf(' '));
      try {
        out.merge(name, Double.parseDouble(line.substring(space + 1)), Double::sum);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("not a Prometheus sample: " + line, e);
      }
    }
    return out;
  }

  /** For report.json. */
  Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("turns", turns);
    m.put("waited_seconds", waitedSeconds);
    m.put("replicas_read", replicasRead);
    return m;
  }
}
