package io.ticketgate.loadtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the gateway's embedded KRaft broker ({@code EmbeddedKafka}) as a child JVM, so a load test
 * needs no Kafka of its own. Its stdin stays a pipe: the broker stops when it closes, so it dies
 * with the harness even when the harness is SIGKILLed.
 */
public final class BrokerLauncher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BrokerLauncher.class);
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);

  private final Process process;
  private final Path logFile;
  private volatile String bootstrap;
  private volatile boolean stopping;

  private BrokerLauncher(Process process, Path logFile) {
    this.process = process;
    this.logFile = logFile;
  }

  /**
   * Starts the broker, its output going to {@code logFile}, and waits for its address.
   *
   * @param partitions the broker's default partition count for new topics
   * @throws IllegalStateException naming the log when it does not come up
   */
  public static BrokerLauncher start(Path logFile, int partitions) throws IOException, InterruptedException {
    List<String> cmd = ChildJvm.command();
    cmd.addAll(List.of("io.ticketgate.embedded.EmbeddedKafka", "--partitions", String.valueOf(partitions)));
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    BrokerLauncher broker = new BrokerLauncher(process, logFile);
    try {
      broker.bootstrap = broker.awaitAddress();
      return broker;
    } catch (RuntimeException | InterruptedException e) {
      broker.kill();
      throw e;
    }
  }

  private String awaitAddress() throws InterruptedException {
    BufferedReader lines = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> address = new CompletableFuture<>();
    Thread.ofVirtual().name("kafka-log").start(() -> {
      try (var out = Files.newBufferedWriter(logFile, StandardCharsets.UTF_8)) {
        String line;
        while ((line = lines.readLine()) != null) {
          if (line.startsWith("bootstrap=")) {
            address.complete(line.substring("bootstrap=".length()).trim());
          }
          out.write(line);
          out.newLine();
          out.flush();
        }
      } catch (IOException e) {
        // The JDK closes a destroyed process's streams under the reader: expected when stopping.
        if (stopping) {
          log.debug("embedded broker output closed while stopping", e);
        } else {
          log.warn("lost the embedded broker's output (log {})", logFile, e);
        }
      }
      address.completeExceptionally(new IllegalStateException("the embedded broker exited before printing its "
          + "address; see " + logFile));
    });
    try {
      return address.get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
    } catch (TimeoutException e) {
      throw new IllegalStateException("the embedded broker printed no address within "
          + STARTUP_TIMEOUT.toSeconds() + " s; see " + logFile, e);
    }
  }

  /** The address for {@code --bootstrap}. */
  public String bootstrap() {
    return bootstrap;
  }

  /** The broker's process id. */
  public long pid() {
    return process.pid();
  }

  /** Stops the broker at once, for shutdown hooks: no time for manners. */
  public void kill() {
    stopping = true;
    process.destroyForcibly();
  }

  /** Stops the broker (SIGTERM, then SIGKILL after 15 s). */
  @Override
  public void close() {
    stopping = true;
    if (ChildJvm.stop(process, Duration.ofSeconds(15))) {
      log.warn("the embedded broker (pid {}) did not stop within 15 s of SIGTERM; killed it", process.pid());
    }
  }

  @Override
  public String toString() {
    return "embedded Kafka at " + bootstrap + " (pid " + process.pid() + ", log " + logFile + ")";
  }
}
