package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CpuUseTest {

  @Test
  void redisCpuIsUserPlusSystemFromInfoCpu() {
    String info = "# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:2.500000\r\nused_cpu_sys_children:9.0\r\n"
        + "used_cpu_user_children:9.0\r\n";

    assertThat(CpuUse.parseRedisCpu(info)).isEqualTo(3_750_000);
    assertThat(CpuUse.parseRedisCpu("# CPU\r\n")).as("a Redis that does not say").isEqualTo(-1);
  }

  @Test
  void theOthersUseIsTheirGrowthWhileTheArmRanAndUnknownStaysUnknown() {
    CpuUse.Snapshot before = new CpuUse.Snapshot(1_000, -1, 400, 50);
    CpuUse use = before.until(new CpuUse.Snapshot(3_000, -1, 900, 150), 10_000);

    assertThat(use).isEqualTo(new CpuUse(10_000, 2_000, -1, 500, 100));
    assertThat(use.totalPerMessage(100)).isEqualTo(126.0);
    assertThat(use.cell(100)).isEqualTo("126 (100 / 20 / - / 5 / 1)");
    assertThat(new CpuUse(-1, 2_000, 0, -1, 0).cell(100)).as("an arm that did not report its own").isEqualTo("-");
  }

  @Test
  void thisJvmKnowsItsOwnCpuTime() {
    assertThat(CpuUse.selfNanos()).isPositive();
    assertThat(CpuUse.processMicros(ProcessHandle.current().pid())).isPositive();
  }
}
