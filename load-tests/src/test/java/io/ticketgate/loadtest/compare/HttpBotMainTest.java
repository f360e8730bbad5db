package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class HttpBotMainTest {

  @Test
  void theProcessOptionsAreParsedAndCheckedByName() {
    HttpBotMain.Options o = HttpBotMain.Options.parse(new String[] {"--latency-ms", "10", "--fencing", "--threads",
        "3", "--dispatch-log", "/tmp/x.tsv"});
    assertThat(o).isEqualTo(new HttpBotMain.Options(10, true, false, 3, 0, Path.of("/tmp/x.tsv")));
    assertThatThrownBy(() -> HttpBotMain.Options.parse(new String[] {"--latency-ms", "10"}))
        .hasMessage("--dispatch-log is required");
    assertThatThrownBy(() -> HttpBotMain.Options.parse(new String[] {"--latency-ms", "soon", "--dispatch-log", "x"}))
        .hasMessage("--latency-ms was 'soon' but must be a whole number");
    assertThatThrownBy(() -> HttpBotMain.Options.parse(new String[] {"--threads", "0", "--dispatch-log", "x"}))
        .hasMessage("--threads was 0 but must be at least 1");
    assertThatThrownBy(() -> HttpBotMain.Options.parse(new String[] {"--lag", "1"}))
        .hasMessage("unknown option '--lag'");
  }}
