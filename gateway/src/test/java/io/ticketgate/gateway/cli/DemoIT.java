package io.ticketgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * {@code ticketgate demo} end to end in this JVM: its own embedded broker, the in-memory store and
 * the echo bot; what it prints is what a first-time user reads, so it is checked line by line.
 */
class DemoIT {

  private static final List<String> CONVERSATIONS = List.of("alice", "bob", "carol");
  private static final int MESSAGES = 4;
  private static final int TOTAL = CONVERSATIONS.size() * MESSAGES;
  /** Ticket numbers are not checked: the in-memory store, like Rasa's, restarts at 0 once a queue empties. */
  private static final Pattern REPLY =
      Pattern.compile("  ticket (\\d+)\\s+waited\\s+(\\d+) ms  "
          + "(\\{.*\"text\":\"echo: message (\\d+) from (\\w+)\".*})");
  private static final Pattern METRIC = Pattern.compile("  (ticketgate_[a-z_]+)(\\{[^}]*})? ([0-9.eE+-]+)");

  @Test
  void demoPrintsEveryConversationsRepliesInOrderAndTheLockWaitMetrics() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int exit;
    try (PrintStream o = new PrintStream(out, true, StandardCharsets.UTF_8);
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8)) {
      exit = Main.run(new String[] {"demo", "--conversations", "3", "--messages", "4"}, o, e);
    }
    String printed = out.toString(StandardCharsets.UTF_8);
    List<String> lines = printed.lines().toList();

    assertThat(exit).as(printed + err).isZero();
    assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    assertThat(lines.get(0)).isEqualTo("Starting an embedded Kafka broker ...");
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("Gateway running: Kafka 127.0.0.1:")
        .contains("in-memory lock store, echo bot").contains("/metrics"));
    assertThat(lines).contains("Produced " + TOTAL + " messages for 3 conversations, two at a time per conversation.");

    for (String conversation : CONVERSATIONS) {
      int header = lines.indexOf(conversation + ":");
      assertThat(header).as("a heading for %s in:%n%s", conversation, printed).isNotNegative();
      List<Integer> numbers = new ArrayList<>();
      for (String line : lines.subList(header + 1, header + 1 + MESSAGES)) {
        Matcher m = REPLY.matcher(line);
        assertThat(m.matches()).as("a reply line: %s", line).isTrue();
        assertThat(m.group(5)).isEqualTo(conversation);
        assertThat(m.group(3)).contains("\"recipient_id\":\"" + conversation + "\"");
        numbers.add(Integer.parseInt(m.group(4)));
      }
      assertThat(numbers).as("%s's replies in order", conversation).containsExactly(1, 2, 3, 4);
    }
    assertThat(lines).contains(TOTAL + " of " + TOTAL + " replies received; every conversation answered in order: yes");

    int from = lines.indexOf("From /metrics:");
    assertThat(from).as(printed).isNotNegative();
    List<String> metrics = lines.subList(from + 1, lines.size());
    assertThat(metrics).allSatisfy(l -> assertThat(l).matches(METRIC));
    assertThat(value(metrics, "ticketgate_lock_wait_seconds_count")).as("one lock wait per message").isEqualTo(TOTAL);
    assertThat(value(metrics, "ticketgate_lock_wait_seconds_sum")).isNotNegative();
    assertThat(metrics).anySatisfy(l -> assertThat(l).startsWith("  ticketgate_messages_total")
        .contains("replied").endsWith(" " + TOTAL + ".0"));
  }

  private static double value(List<String> metrics, String name) {
    return metrics.stream().map(METRIC::matcher).filter(Matcher::matches).filter(m -> m.group(1).equals(name))
        .mapToDouble(m -> Double.parseDouble(m.group(3))).findFirst()
        .orElseThrow(() -> new AssertionError("no " + name + " in " + metrics));
  }
}
