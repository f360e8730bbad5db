package io.ticketgate.loadtest.compare;

import io.ticketgate.loadtest.ChildJvm;
import io.ticketgate.loadtest.Dispatch;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The compare command's HTTP bot in a JVM of its own ({@link HttpBotMain}), so that it shares no
 * heap, collector or threads with the harness, and its CPU can be read apart from the arm's.
 *
 * <p>Used by one thread: start, run the arm, {@link #close}, then read {@link #dispatches}.
 */
final class HttpBotProcess implements AutoCloseable {

  private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration STOP_GRACE = Duration.ofSeconds(10);

  private final Process process;
  private final Path dispatchLog;
  private final Path outputLog;
  private final URI url;

  private HttpBotProcess(Process process, Path dispatchLog, Path outputLog, URI url) {
    this.process = process;
    this.dispatchLog = dispatchLog;
    this.outputLog = outputLog;
    this.url = url;
  }

  /**
   * Starts the bot and waits until it listens.
   *
   * @param latencyMillis each call's latency
   * @param fencing refuse tickets lower than the highest accepted (implies requireTicket)
   * @param requireTicket answer 400 to calls without a ticket
   * @param dispatchLog where the bot writes its calls
   * @param outputLog where its stdout and stderr go after the listening line
   * @throws IllegalStateException when it does not listen within 30 s, with its last output
   */
  static HttpBotProcess start(long latencyMillis, boolean fencing, boolean requireTicket, Path dispatchLog,
      Path outputLog) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(ChildJvm.command());
    cmd.add(HttpBotMain.class.getName());
    cmd.addAll(List.of("--latency-ms", Long.toString(latencyMillis), "--dispatch-log", dispatchLog.toString()));
    if (fencing) {
      cmd.add("--fencing");
    }
    if (requireTicket) {
      cmd.add("--require-ticket");
    }
    Files.createDirectories(outputLog.toAbsolutePath().getParent());
    Process process = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    CompletableFuture<URI> listening = new CompletableFuture<>();
    Thread.ofPlatform().daemon().name("http-bot-output").start(() -> copyOutput(process, outputLog, listening));
    try {
      URI url = listening.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      return new HttpBotProcess(process, dispatchLog, outputLog, url);
    } catch (TimeoutException | ExecutionException e) {
      ChildJvm.stop(process, STOP_GRACE);
      throw new IllegalStateException("the HTTP bot did not start listening within " + START_TIMEOUT.toSeconds()
          + " s (" + (e instanceof ExecutionException ? e.getCause().getMessage() : "no listening line")
          + "); see " + outputLog);
    }
  }

  /** Copies the process's output to the log, completing {@code listening} on its listening line. */
  private static void copyOutput(Process process, Path outputLog, CompletableFuture<URI> listening) {
    try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
        StandardCharsets.UTF_8)); Writer out = Files.newBufferedWriter(outputLog, StandardCharsets.UTF_8)) {
      String line;
      while ((line = in.readLine()) != null) {
        if (!listening.isDone() && line.startsWith("listening ")) {
          listening.complete(URI.create(line.substring("listening ".length()).trim()));
        }
        out.write(line);
        out.write('\n');
        out.flush();
      }
      listening.completeExceptionally(new IllegalStateException("it exited with " + process.waitFor()));
    } catch (IOException e) {
      listening.completeExceptionally(new UncheckedIOException("cannot copy its output to " + outputLog, e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      listening.completeExceptionally(e);
    }
  }

  /** The base URL for {@code bot.url}. */
  URI url() {
    return url;
  }

  /** The bot's process id, to read its CPU time. */
  long pid() {
    return process.pid();
  }

  /**
   * Every call the bot recorded, in epoch nanos like the arms' dispatch logs; complete only after
   * {@link #close}.
   */
  List<Dispatch> dispatches() throws IOException {
    return DispatchLogs.read(dispatchLog);
  }

  /**
   * Stops the bot (SIGTERM: it flushes its dispatch log) and waits for it to exit. Does nothing once
   * it has exited.
   *
   * @throws IllegalStateException when it had to be killed, so its log may be cut short
   */
  @Override
  public void close() {
    if (!process.isAlive()) {
      return;
    }
    if (ChildJvm.stop(process, STOP_GRACE)) {
      throw new IllegalStateException("the HTTP bot did not stop within " + STOP_GRACE.toSeconds()
          + " s and was killed, so its dispatch log may be incomplete; see " + outputLog);
    }
  }
}
