package io.ticketgate.loadtest;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a throw-away {@code redis-server} on a free loopback port in a directory of the run, so a
 * load test needs no Redis of its own. No background saving; {@link #restart} stops it with
 * {@code SHUTDOWN SAVE} and starts it again on the same port from that {@code dump.rdb}, as a
 * production Redis for a lock store keeps its data across a restart.
 */
public final class RedisLauncher implements AutoCloseable {

  private static final long STARTUP_MILLIS = 20_000;
  private static final int STARTUP_MILLIS_INT = (int) STARTUP_MILLIS;

  private static final String DUMP = "dump.rdb";

  private volatile Process process;
  private final int port;
  private final Path dir;
  private final Path log;

  private RedisLauncher(int port, Path dir, Path log) {
    this.port = port;
    this.dir = dir;
    this.log = log;
  }

  /** Whether {@code redis-server} is on the PATH. */
  public static boolean available() {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(java.io.File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, "redis-server"))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Starts redis-server with its files and log in {@code dir}, and waits until it answers PING.
   *
   * @throws IllegalStateException naming the port and the log when it does not come up
   */
  public static RedisLauncher start(Path dir) throws IOException {
    Files.createDirectories(dir);
    // A dump left by an earlier run into the same directory is not this run's data.
    Files.deleteIfExists(dir.resolve(DUMP));
    Files.deleteIfExists(dir.resolve("redis.log"));
    RedisLauncher redis = new RedisLauncher(freePort(), dir, dir.resolve("redis.log"));
    redis.launch();
    return redis;
  }

  private void launch() throws IOException {
    Process p = new ProcessBuilder(List.of("redis-server", "--port", String.valueOf(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
        "--dbfilename", DUMP, "--daemonize", "no"))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
        .start();
    process = p;
    long deadline = System.currentTimeMillis() + STARTUP_MILLIS;
    while (!ping()) {
      if (!p.isAlive() || System.currentTimeMillis() > deadline) {
        close();
        throw new IllegalStateException("redis-server on 127.0.0.1:" + port + " did not answer PING within "
            + STARTUP_MILLIS / 1000 + " s" + (p.isAlive() ? "" : " (exited " + p.exitValue() + ")")
            + "; see " + log);
      }
      sleepMillis(50);
    }
  }

  /**
   * Stops redis-server with {@code SHUTDOWN SAVE} (its data goes to {@code dump.rdb}), waits
   * {@code down}, and starts it again on the same port, which loads the dump.
   *
   * @return {@link System#nanoTime()} when it answered PING again
   * @throws IllegalStateException naming the log when it does not stop or come back
   */
  public long restart(Duration down) throws IOException, InterruptedException {
    Process old = process;
    try {
      command("SHUTDOWN SAVE");
    } catch (java.net.SocketException e) {
      // A server that saved and exited may reset the connection instead of closing it: the exit decides.
      org.slf4j.LoggerFactory.getLogger(RedisLauncher.class).debug("SHUTDOWN SAVE: {}", e.toString());
    }
    if (!old.waitFor(STARTUP_MILLIS, TimeUnit.MILLISECONDS)) {
      old.destroyForcibly();
      throw new IllegalStateException("redis-server on 127.0.0.1:" + port + " did not stop within "
          + STARTUP_MILLIS / 1000 + " s of SHUTDOWN SAVE; see " + log);
    }
    if (!Files.exists(dir.resolve(DUMP))) {
      throw new IllegalStateException("redis-server on 127.0.0.1:" + port + " stopped without writing "
          + dir.resolve(DUMP) + "; the restart would lose the locks; see " + log);
    }
    Thread.sleep(down);
    launch();
    return System.nanoTime();
  }

  /** Sends one inline command; the connection closing before an answer (SHUTDOWN) is expected. */
  private void command(String line) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 1000);
      s.setSoTimeout(STARTUP_MILLIS_INT);
      OutputStream out = s.getOutputStream();
      out.write((line + "\r\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String answer = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      if (answer != null && answer.startsWith("-")) {
        throw new IllegalStateException("redis-server on 127.0.0.1:" + port + " refused '" + line + "': " + answer);
      }
    }
  }

  /** The address for {@code --redis}. */
  public String address() {
    return "127.0.0.1:" + port;
  }

  private boolean ping() {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 500);
      s.setSoTimeout(1000);
      OutputStream out = s.getOutputStream();
      out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      String line = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII)).readLine();
      return "+PONG".equals(line);
    } catch (IOException e) {
      return false; // not listening yet; the caller retries until its deadline
    }
  }

  static int freePort() throws IOException {
    try (ServerSocket socket = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    }
  }

  private static void sleepMillis(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for redis-server", e);
    }
  }

  @Override
  public void close() {
    Process process = this.process;
    if (ChildJvm.stop(process, Duration.ofSeconds(5))) {
      org.slf4j.LoggerFactory.getLogger(RedisLauncher.class).warn("redis-server (pid {}) did not stop within 5 s of SIGTERM; "
          + "killed it", process.pid());
    }
  }

  @Override
  public String toString() {
    return "redis-server at " + address() + " (log " + log + ")";
  }
}
