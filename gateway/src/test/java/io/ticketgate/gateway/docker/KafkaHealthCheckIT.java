package io.ticketgate.gateway.docker;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.testing.KafkaFixture;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@code docker/kafka-healthcheck.sh}, the compose stack's probe of its Kafka container, run by bash
 * against a real broker and against listeners that are not a serving broker: it must pass only when
 * the broker answers.
 */
class KafkaHealthCheckIT {

  private static final Path SCRIPT = script();

  @Test
  void aServingBrokerIsHealthy() throws Exception {
    String bootstrap = KafkaFixture.shared().bootstrapServers().split(",")[0];
    int colon = bootstrap.lastIndexOf(':');
    Probe probe = run(bootstrap.substring(0, colon), Integer.parseInt(bootstrap.substring(colon + 1)));
    assertThat(probe.exit).as("exit status against the broker at %s; output: %s", bootstrap, probe.output).isZero();
  }

  @Test
  void aPortNobodyListensOnIsUnhealthy() throws Exception {
    int port;
    try (ServerSocket free = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = free.getLocalPort();
    }
    assertThat(run("127.0.0.1", port).exit).isNotZero();
  }

  /** What a starting broker looks like: the kernel accepts the connection, nobody answers. */
  @Test
  void aListenerThatNeverAnswersIsUnhealthy() throws Exception {
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      assertThat(run("127.0.0.1", silent.getLocalPort()).exit).isNotZero();
    }
  }

  @Test
  void aServerSpeakingAnotherProtocolIsUnhealthy() throws Exception {
    assertThat(runAgainstAServerAnswering(
        "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.US_ASCII)).exit)
        .isNotZero();
  }

  /** A Kafka-framed reply that carries an error code: not healthy either. */
  @Test
  void anErrorInTheReplyIsUnhealthy() throws Exception {
    // size 6, correlation id 1, error 35 (UNSUPPORTED_VERSION)
    assertThat(runAgainstAServerAnswering(new byte[] {0, 0, 0, 6, 0, 0, 0, 1, 0, 35}).exit).isNotZero();
  }

  /** Runs the probe against a loopback server that answers every connection with {@code reply}. */
  private static Probe runAgainstAServerAnswering(byte[] reply) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      Thread answerer = Thread.ofVirtual().start(() -> answerEachConnection(server, reply));
      Probe probe = run("127.0.0.1", server.getLocalPort());
      server.close();
      answerer.join(TimeUnit.SECONDS.toMillis(5));
      return probe;
    }
  }

  private static void answerEachConnection(ServerSocket server, byte[] reply) {
    while (!server.isClosed()) {
      try (Socket s = server.accept()) {
        InputStream in = s.getInputStream();
        in.readNBytes(16);
        s.getOutputStream().write(reply);
        s.getOutputStream().flush();
      } catch (IOException closed) {
        // The test closed the server socket: nothing left to answer.
        return;
      }
    }
  }

  private record Probe(int exit, String output) {}

  private static Probe run(String host, int port) throws Exception {
    Process p = new ProcessBuilder("bash", SCRIPT.toString(), host, Integer.toString(port))
        .redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("the probe ended by itself; output: %s", output).isTrue();
    return new Probe(p.exitValue(), output);
  }

  private static Path script() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isRegularFile(p.resolve("docker/kafka-healthcheck.sh"))) {
        return p.resolve("docker/kafka-healthcheck.sh");
      }
    }
    throw new IllegalStateException("no docker/kafka-healthcheck.sh above " + Path.of("").toAbsolutePath());
  }
}
