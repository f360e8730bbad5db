package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.loadtest.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The harness's side of the arm contract, against {@link FakeArm}s in child JVMs: done, stalled,
 * stopped on the budget, crashed; and the parallel consumer arm's jar being absent.
 */
class ArmProcessTest {

  @TempDir
  Path dir;

  @Test
  @Timeout(60)
  void anArmThatFinishesIsDoneWithItsElapsedTime() throws Exception {
    AtomicLong seen = new AtomicLong();
    ArmProcess.Outcome o = run("done", Duration.ofSeconds(30), Duration.ofSeconds(30), seen);
    assertThat(o.status()).isEqualTo(ArmStatus.DONE);
    assertThat(o.handled()).isEqualTo(10);
    assertThat(o.committed()).isEqualTo(10);
    assertThat(o.elapsedMicros()).isEqualTo(123_456);
    assertThat(o.cpuMicros()).isEqualTo(7_890);
    assertThat(o.storeSteps()).as("an arm without a store reports none").isEqualTo(-1);
    assertThat(Files.readString(dir.resolve("arm.log"))).contains("a log line").doesNotContain("progress");
  }

  @Test
  @Timeout(60)
  void anArmWithAStoreReportsItsStepsOnItsProgressAndDoneLines() throws Exception {
    ArmProcess.Outcome o = run("steps", Duration.ofSeconds(30), Duration.ofSeconds(30), new AtomicLong());
    assertThat(o.status()).isEqualTo(ArmStatus.DONE);
    assertThat(o.handled()).isEqualTo(10);
    assertThat(o.cpuMicros()).isEqualTo(7_890);
    assertThat(o.storeSteps()).as("from the done line, the last").isEqualTo(77);
    assertThat(Files.readString(dir.resolve("arm.log"))).doesNotContain("progress").doesNotContain("done");
  }

  @Test
  @Timeout(60)
  void anArmThatMakesNoProgressIsKilledAsStalled() throws Exception {
    ArmProcess.Outcome o = run("hang", Duration.ofSeconds(2), Duration.ofSeconds(30), new AtomicLong());
    assertThat(o.status()).isEqualTo(ArmStatus.STALLED);
    assertThat(o.detail()).contains("no progress for 2 s").contains("handled 3");
  }

  @Test
  @Timeout(60)
  void anArmStillWorkingAtItsBudgetIsStoppedAsPartial() throws Exception {
    AtomicLong seen = new AtomicLong();
    ArmProcess.Outcome o = run("forever", Duration.ofSeconds(30), Duration.ofSeconds(2), seen);
    assertThat(o.status()).isEqualTo(ArmStatus.PARTIAL);
    assertThat(o.handled()).isPositive();
    assertThat(o.elapsedMicros()).isEqualTo(-1);
    assertThat(seen.get()).isPositive();
    // SIGTERM, not SIGKILL: the arm's shutdown hook ran (it flushes the dispatch log there).
    assertThat(Files.readString(dir.resolve("arm.log"))).contains("terminated politely");
  }

  @Test
  @Timeout(60)
  void anArmThatExitsBeforeItIsDoneFailedAndSaysWhy() throws Exception {
    ArmProcess.Outcome o = run("crash", Duration.ofSeconds(30), Duration.ofSeconds(30), new AtomicLong());
    assertThat(o.status()).isEqualTo(ArmStatus.FAILED);
    assertThat(o.detail()).contains("exited 3").contains("cannot reach the bot");
  }

  @Test
  void theParallelConsumerArmIsNotBuiltUntilItsJarExists() throws Exception {
    assertThat(Compare.armCommand(ArmKind.PARALLEL_CONSUMER, dir)).isNull();
    Path jar = Compare.parallelConsumerJar(dir);
    Files.createDirectories(jar.getParent());
    Files.writeString(jar, "not really a jar");
    List<String> cmd = Compare.armCommand(ArmKind.PARALLEL_CONSUMER, dir);
    assertThat(cmd).isNotNull().endsWith("io.ticketgate.loadtest.peers.ParallelConsumerArm");
    assertThat(cmd.get(cmd.indexOf("-cp") + 1)).startsWith(jar.toString())
        .endsWith(jar.getParent().resolve("lib").resolve("*").toString());
    // The other arms run from the harness's own class path.
    assertThat(Compare.armCommand(ArmKind.PLAIN, dir)).endsWith(PlainArm.class.getName());
  }

  private ArmProcess.Outcome run(String mode, Duration stall, Duration budget, AtomicLong seen) throws Exception {
    List<String> cmd = new ArrayList<>(ChildJvm.command());
    cmd.add(FakeArm.class.getName());
    cmd.add(mode);
    return new ArmProcess(cmd, dir.resolve("arm.log"), stall, budget).run(p -> { },
        (handled, committed, seconds) -> seen.set(Math.max(seen.get(), handled)));
  }
}
