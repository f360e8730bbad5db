package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ticketgate.loadtest.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A tiny {@code ./load-test compare} end to end: the embedded broker and a redis-server started by
 * the harness, every arm of this module in both bot passes. Correctness only, no speed assertions.
 */
class CompareIT {

  @Test
  @Timeout(300)
  void everyArmFinishesAndPassesVerification() throws Exception {
    Path out = Path.of("target", "load-test-results", "compare");
    ByteArrayOutputStream stdout = new ByteArrayOutputStream();
    int code;
    try (PrintStream print = new PrintStream(stdout, true, StandardCharsets.UTF_8)) {
      code = Main.run(new String[] {"compare", "--conversations", "50", "--messages", "4", "--partitions", "4",
          "--latencies", "0,5", "--arms",
          "drain,pipe,plain,parallel-consumer,ticketgate-in_memory,ticketgate-concurrent_redis",
          "--bots", "inprocess,http", "--arm-budget", "90s", "--out", out.toString(), "--no-progress"},
          print, System.err);
    }
    String printed = stdout.toString(StandardCharsets.UTF_8);
    System.out.println(printed);
    assertThat(code).as("exit code; report:%n%s", printed).isZero();

    JsonNode report = new ObjectMapper().readTree(Files.readString(out.resolve("compare.json")));
    JsonNode rows = report.path("results");
    // 4 columns (2 bots x 2 latencies) x 6 arms; the ceilings' one run appears in every column.
    assertThat(rows).hasSize(24);
    for (JsonNode row : rows) {
      String name = row.path("column_bot").asText() + " " + row.path("column_latency_ms").asInt() + " ms "
          + row.path("arm").asText();
      assertThat(row.path("status").asText()).as(name + ": " + row.path("detail").asText()).isEqualTo("done");
      assertThat(row.path("verified").asBoolean()).as(name + ": " + row.path("verification")).isTrue();
      assertThat(row.path("handled").asLong()).as(name).isEqualTo(200);
      assertThat(row.path("throughput_msg_per_s").asDouble()).as(name).isPositive();
      if (!row.path("arm").asText().equals("drain")) {
        assertThat(row.path("replies_distinct").asLong()).as(name).isEqualTo(200);
      }
    }
    // The http pass's bot was probed once per latency (50 conversations: 50 calls at once), and answered.
    JsonNode probes = report.path("bot_capacity");
    assertThat(probes).hasSize(2);
    for (JsonNode probe : probes) {
      assertThat(probe.path("calls_at_once").asInt()).isEqualTo(50);
      assertThat(probe.path("calls_per_s").asDouble()).as(probe.toString()).isPositive();
      assertThat(probe.path("failures").asLong()).as(probe.toString()).isZero();
    }
    assertThat(printed).contains("| ticketgate-concurrent_redis |").contains("## HTTP bot capacity")
        .doesNotContain("FAIL");
  }
}
