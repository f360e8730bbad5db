package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.loadtest.Stats;
import io.ticketgate.loadtest.Verifier;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The compare table: which figure goes where, and the ratios. */
class CompareReportTest {

  private static final CompareReport.Column IN_0 = new CompareReport.Column("inprocess", 0);
  private static final CompareReport.Column IN_10 = new CompareReport.Column("inprocess", 10);
  private static final CompareReport.Setup SETUP = new CompareReport.Setup(1000, 20, 12, 100, 60, 30, "test box");

  @Test
  void ratiosAreToThePipeAndToTheParallelConsumerOfTheSameColumn() {
    List<ArmResult> results = List.of(
        result(ArmKind.PIPE, "inprocess", 0, ArmStatus.DONE, 10_000),
        result(ArmKind.PARALLEL_CONSUMER, "inprocess", 0, ArmStatus.DONE, 2_000),
        result(ArmKind.PARALLEL_CONSUMER, "inprocess", 10, ArmStatus.DONE, 1_000),
        result(ArmKind.TICKETGATE_IN_MEMORY, "inprocess", 0, ArmStatus.DONE, 8_000),
        result(ArmKind.TICKETGATE_IN_MEMORY, "inprocess", 10, ArmStatus.DONE, 4_000));
    ArmResult tg10 = CompareReport.find(results, ArmKind.TICKETGATE_IN_MEMORY, IN_10);
    // The pipe ran once (no bot) and stands for every column.
    assertThat(CompareReport.find(results, ArmKind.PIPE, IN_10)).isSameAs(results.get(0));
    assertThat(CompareReport.ratio(tg10, CompareReport.find(results, ArmKind.PIPE, IN_10))).isEqualTo(0.4);
    assertThat(CompareReport.ratio(tg10, CompareReport.find(results, ArmKind.PARALLEL_CONSUMER, IN_10)))
        .isEqualTo(4.0);
    assertThat(CompareReport.ratio(CompareReport.find(results, ArmKind.TICKETGATE_IN_MEMORY, IN_0),
        CompareReport.find(results, ArmKind.PARALLEL_CONSUMER, IN_0))).isEqualTo(4.0);

    CompareReport report = CompareReport.of(results, List.of(ArmKind.PIPE, ArmKind.PARALLEL_CONSUMER,
        ArmKind.TICKETGATE_IN_MEMORY), List.of(IN_0, IN_10), SETUP);
    assertThat(report.markdown())
        .contains("| arm | inprocess 0 ms | inprocess 10 ms |")
        .contains("| pipe (ceiling) | 10,000 | 10,000 |")
        .contains("| ticketgate-in_memory | 8,000 (0.80x pipe, 4.00x pc) | 4,000 (0.40x pipe, 4.00x pc) |")
        .contains("Machine: test box");
    assertThat(report.passed()).isTrue();
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> rows = (List<Map<String, Object>>) report.numbers().get("results");
    Map<String, Object> row = rows.stream().filter(r -> r.get("arm").equals("ticketgate-in_memory")
        && r.get("latency_ms").equals(10)).findFirst().orElseThrow();
    assertThat(row).containsEntry("ratio_to_pipe", 0.4).containsEntry("ratio_to_parallel_consumer", 4.0)
        .containsEntry("status", "done");
  }

  @Test
  void aMissingParallelConsumerIsNotBuiltWithNoRatioAndDoesNotFailTheRun() {
    ArmResult notBuilt = ArmResult.notRun(ArmKind.PARALLEL_CONSUMER, "inprocess", 0, ArmStatus.NOT_BUILT,
        "no jar; build it with: ./mvnw ...");
    List<ArmResult> results = List.of(result(ArmKind.PIPE, "inprocess", 0, ArmStatus.DONE, 10_000), notBuilt,
        result(ArmKind.TICKETGATE_IN_MEMORY, "inprocess", 0, ArmStatus.DONE, 8_000));
    assertThat(CompareReport.ratio(results.get(2), notBuilt)).isNull();
    CompareReport report = CompareReport.of(results, List.of(ArmKind.PIPE, ArmKind.PARALLEL_CONSUMER,
        ArmKind.TICKETGATE_IN_MEMORY), List.of(IN_0), SETUP);
    assertThat(report.markdown()).contains("| parallel-consumer | not built |")
        .contains("| ticketgate-in_memory | 8,000 (0.80x pipe) |")
        .contains("- parallel-consumer: no jar; build it with: ./mvnw ...");
    assertThat(report.passed()).isTrue();
  }

  @Test
  void aPartialArmHasARatioAndSaysPartial() {
    List<ArmResult> results = List.of(result(ArmKind.PIPE, "inprocess", 0, ArmStatus.DONE, 10_000),
        result(ArmKind.PLAIN, "inprocess", 0, ArmStatus.PARTIAL, 100));
    CompareReport report = CompareReport.of(results, List.of(ArmKind.PIPE, ArmKind.PLAIN), List.of(IN_0), SETUP);
    assertThat(report.markdown()).contains("| plain | 100 (0.01x pipe) partial |");
    assertThat(report.passed()).isTrue();
  }

  @Test
  void aStalledArmOrAFailedVerificationFailsTheRun() {
    ArmResult stalled = result(ArmKind.PARALLEL_CONSUMER, "inprocess", 0, ArmStatus.STALLED, 0);
    assertThat(CompareReport.of(List.of(stalled), List.of(ArmKind.PARALLEL_CONSUMER), List.of(IN_0), SETUP)
        .passed()).isFalse();
    assertThat(CompareReport.ratio(stalled, stalled)).isNull();

    ArmResult lost = new ArmResult(ArmKind.TICKETGATE_REDIS, "inprocess", 0, ArmStatus.DONE, "", 10, 10, 1, 10,
        Stats.of(new double[] {1}), List.of(new Verifier.Check("nothing-lost", false, 1, "1 of 10 never accepted")),
        0, 10, null, null);
    CompareReport report = CompareReport.of(List.of(lost), List.of(ArmKind.TICKETGATE_REDIS), List.of(IN_0), SETUP);
    assertThat(report.passed()).isFalse();
    assertThat(report.markdown()).contains("| ticketgate-redis | 10 FAIL |")
        .contains("inprocess 0 ms ticketgate-redis: FAIL nothing-lost: 1 of 10 never accepted");
  }

  @Test
  void theBotCapacityIsSetAgainstTheFastestHttpArmOfItsLatency() {
    CompareReport.Column http10 = new CompareReport.Column("http", 10);
    List<ArmResult> results = List.of(result(ArmKind.PIPE, "inprocess", 0, ArmStatus.DONE, 50_000),
        result(ArmKind.PARALLEL_CONSUMER, "http", 10, ArmStatus.DONE, 1_000),
        result(ArmKind.TICKETGATE_IN_MEMORY, "http", 10, ArmStatus.DONE, 2_500),
        result(ArmKind.TICKETGATE_REDIS, "http", 10, ArmStatus.STALLED, 9_000),
        result(ArmKind.TICKETGATE_IN_MEMORY, "inprocess", 10, ArmStatus.DONE, 8_000));
    BotCapacity.Result probe = new BotCapacity.Result(10, 1000, 12_500, 61.4, 20.2, 0);
    CompareReport report = CompareReport.of(results, List.of(ArmKind.PIPE, ArmKind.PARALLEL_CONSUMER,
        ArmKind.TICKETGATE_IN_MEMORY, ArmKind.TICKETGATE_REDIS), List.of(IN_10, http10), SETUP, List.of(probe));
    // The pipe calls no bot and a stalled arm was not measured: neither is the fastest http arm.
    assertThat(report.markdown()).contains("## HTTP bot capacity")
        .contains("| 10 ms | 1000 | 12,500 | 5.00x | 61 | 20 | 0 |");
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> probes = (List<Map<String, Object>>) report.numbers().get("bot_capacity");
    assertThat(probes).singleElement().satisfies(m -> assertThat(m).containsEntry("calls_per_s", 12_500.0)
        .containsEntry("bot_cpu_us_per_call", 61.4));

    assertThat(CompareReport.of(results, List.of(ArmKind.PIPE), List.of(IN_10), SETUP).markdown())
        .doesNotContain("## HTTP bot capacity");
  }

  @Test
  void redisCallsPerMessageAreShownForTheRedisArmsAndADashForTheOthers() {
    List<ArmResult> results = List.of(result(ArmKind.PIPE, "inprocess", 0, ArmStatus.DONE, 10_000),
        result(ArmKind.TICKETGATE_IN_MEMORY, "inprocess", 0, ArmStatus.DONE, 8_000),
        result(ArmKind.TICKETGATE_REDIS, "inprocess", 0, ArmStatus.DONE, 5_000)
            .withRedis(new RedisCalls(250, 200, 3, 1_400)),
        result(ArmKind.TICKETGATE_CONCURRENT_REDIS, "inprocess", 0, ArmStatus.DONE, 6_000)
            .withRedis(new RedisCalls(184, 180, 2, 1_100)));
    CompareReport report = CompareReport.of(results, List.of(ArmKind.PIPE, ArmKind.TICKETGATE_IN_MEMORY,
        ArmKind.TICKETGATE_REDIS, ArmKind.TICKETGATE_CONCURRENT_REDIS), List.of(IN_0), SETUP);

    // Each arm handled 100 messages.
    assertThat(redisCallsCell(report, "ticketgate-redis")).isEqualTo("2.50");
    assertThat(redisCallsCell(report, "ticketgate-concurrent_redis")).isEqualTo("1.84");
    assertThat(redisCallsCell(report, "ticketgate-in_memory")).isEqualTo("-");
    assertThat(redisCallsCell(report, "pipe")).isEqualTo("-");
  }

  /** The "Redis calls/msg" cell of {@code arm}'s row in the report's table of its one column. */
  private static String redisCallsCell(CompareReport report, String arm) {
    List<String> lines = report.markdown().lines().toList();
    String header = lines.stream().filter(l -> l.startsWith("| arm | status |")).findFirst().orElseThrow();
    List<String> names = cells(header);
    int at = names.indexOf("Redis calls/msg");
    assertThat(at).as("the column in %s", header).isNotNegative();
    List<String> row = lines.stream().filter(l -> l.startsWith("| " + arm + " | ")).map(CompareReportTest::cells)
        .filter(c -> c.size() == names.size()).findFirst().orElseThrow();
    return row.get(at);
  }

  private static List<String> cells(String row) {
    String inner = row.substring(row.indexOf('|') + 1, row.lastIndexOf('|'));
    return java.util.Arrays.stream(inner.split("\\|", -1)).map(String::trim).toList();
  }

  private static ArmResult result(ArmKind arm, String bot, int latency, ArmStatus status, double throughput) {
    return new ArmResult(arm, bot, latency, status, "", 100, 100, 1, throughput, Stats.of(new double[] {1, 2}),
        List.of(new Verifier.Check("nothing-lost", true, 0, "all")), 0, arm.output() ? 100 : -1, null, null);
  }
}
