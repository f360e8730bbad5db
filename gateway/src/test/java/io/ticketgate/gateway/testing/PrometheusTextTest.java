package io.ticketgate.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The test parser must accept what scrapers accept and nothing else, or the scrape tests prove little. */
class PrometheusTextTest {

  @Test
  void parsesSamplesLabelsEscapesAndSpecialValues() {
    PrometheusText text = PrometheusText.parse("""
        # HELP a_total Things.
        # TYPE a_total counter
        a_total{kind="x",path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",} 3.0
        b 1.5E-4 1700000000000
        c_bucket{le="+Inf"} +Inf
        d NaN

        """);

    assertThat(text.names()).containsExactly("a_total", "b", "c_bucket", "d");
    assertThat(text.labelNames()).containsExactly("kind", "le", "nl", "path", "quote");
    assertThat(text.samples("a_total").get(0).labels())
        .containsExactly(Map.entry("kind", "x"), Map.entry("path", "C:\\dir"), Map.entry("quote", "say \"hi\""),
            Map.entry("nl", "a\nb"));
    assertThat(text.value("b", Map.of())).isEqualTo(1.5e-4);
    assertThat(text.value("c_bucket", Map.of("le", "+Inf"))).isInfinite();
    assertThat(text.value("d", Map.of())).isNaN();
  }

  @Test
  void refusesMalformedLinesNamingThem() {
    for (String bad : new String[] {
        "1abc 1", "a{b=\"c\"}", "a 1f", "a{b=c} 1", "a{b=\"c} 1", "a{b=\"\\x\"} 1", "a 1 later", "a{b=\"1\",b=\"2\"} 1",
        "a  1", "a Infinity"}) {
      assertThatThrownBy(() -> PrometheusText.parse("ok 1\n" + bad + "\n"))
          .as(bad)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageStartingWith("line 2 '" + bad + "'");
    }
  }
}
