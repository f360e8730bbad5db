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
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts a throw-away {@code redis-server} on a free loopback port in a directory of the run, so a
 * load test needs no Redis of its own. No persistence: the data lives only as long as the run.
 */
public final class RedisLauncher implements AutoCloseable {

  private static final long STARTUP_MILLIS = 20_000;

  private final Process process;
  private final int port;
  private final Path log;

  private RedisLauncher(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
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
    int port = freePort();
    Path log = dir.resolve("redis.log");
    Process process = new ProcessBuilder(List.of("redis-server", "--port", String.valueOf(port),
        "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir.toString(),
        "--daemonize", "no"))
        .redirectErrorStream(true)
        .redirectOutput(log.toFile())
        .start();
    RedisLauncher redis = new RedisLauncher(process, port, log);
    long deadline = System.currentTimeMillis() + STARTUP_MILLIS;
    while (!redis.ping()) {
      if (!process.isAlive() || System.currentTimeMillis() > deadline) {
        redis.close();
        throw new IllegalStateException("redis-server on 127.0.0.1:" + port + " did not answer PING within "
            + STARTUP_MILLIS / 1000 + " s" + (process.isAlive() ? "" : " (exited " + process.exitValue() + ")")
            + "; see " + log);
      }
      sleepMillis(50);
    }
    return redis;
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
    process.destroy();
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "redis-server at " + address() + " (log " + log + ")";
  }
}
