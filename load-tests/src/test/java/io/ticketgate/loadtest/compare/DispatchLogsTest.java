package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.loadtest.Dispatch;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The dispatch log written from many threads at once and read back whole. */
class DispatchLogsTest {

  @Test
  void everyLineWrittenFromManyThreadsBeforeCloseIsReadBack(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("arm.dispatches.tsv");
    DispatchLogs.Writer log = DispatchLogs.open(file);
    int threads = 200;
    int perThread = 250;
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      List<Future<?>> writers = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        String conversation = "conv-" + t;
        writers.add(pool.submit(() -> {
          for (int seq = 0; seq < perThread; seq++) {
            log.write(conversation, seq, seq + 1, 1_000 + seq, 2_000 + seq, seq % 2 == 0);
          }
        }));
      }
      for (Future<?> w : writers) {
        w.get();
      }
    }
    log.close();
    log.write("late", 0, -1, 1, 2, true); // dropped: the process is stopping

    List<Dispatch> read = DispatchLogs.read(file);
    assertThat(read).hasSize(threads * perThread);
    assertThat(read.stream().collect(Collectors.groupingBy(Dispatch::conversation, Collectors.counting())))
        .hasSize(threads).allSatisfy((conversation, n) -> assertThat(n).isEqualTo(perThread));
    Dispatch one = read.stream().filter(d -> d.conversation().equals("conv-7") && d.seq() == 3).findFirst().orElseThrow();
    assertThat(one.ticket()).isEqualTo(4);
    assertThat(one.startNanos()).isEqualTo(1_003_000);
    assertThat(one.endNanos()).isEqualTo(2_003_000);
    assertThat(one.accepted()).isFalse();
  }
}
