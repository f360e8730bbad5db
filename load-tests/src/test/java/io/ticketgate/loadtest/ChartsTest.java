package io.ticketgate.loadtest;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChartsTest {

  @Test
  void stepsAreRound() {
    assertThat(Charts.niceStep(87, 4)).isEqualTo(50);
    assertThat(Charts.niceStep(1234, 4)).isEqualTo(500);
    assertThat(Charts.niceStep(9, 8)).isEqualTo(2);
    assertThat(Charts.niceStep(0.3, 4)).isEqualTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(Charts.niceStep(0, 4)).isEqualTo(1);
  }

  @Test
  void percentilesAreNearestRank() {
    List<Double> values = new ArrayList<>();
    for (int i = 1; i <= 100; i++) {
      values.add((double) i);
    }
    assertThat(Charts.percentile(values, 0.5)).isEqualTo(50);
    assertThat(Charts.percentile(values, 0.99)).isEqualTo(99);
    assertThat(Charts.percentile(List.of(7.0), 0.99)).isEqualTo(7);
  }

  @Test
  void theChartHasTicksGridFaultsAndPercentileMarkers() {
    long[] perSecond = new long[30];
    java.util.Arrays.fill(perSecond, 870);
    List<Double> waits = new ArrayList<>();
    for (int i = 0; i < 1000; i++) {
      waits.add(i < 990 ? 10.0 + i % 20 : 400.0);
    }

    String svg = Charts.svg(perSecond, waits, List.of(new Charts.Marker("kill", 10, 10)));

    assertThat(svg).startsWith("<svg").endsWith("</svg>\n");
    assertThat(svg).contains("stroke=\"#ddd\"").contains(">1,000</text>").contains(">500</text>");
    assertThat(svg).contains(">25</text>").contains(">s</text>").contains(">ms</text>");
    assertThat(svg).contains("stroke=\"red\"").contains("replica killed");
    assertThat(svg).contains("p50 19 ms").contains("p99 29 ms").contains("stroke-dasharray");
  }
}
