package io.ticketgate.store.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.Base64;
import java.util.List;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.Test;

/** Proves the {@link RedisServer} fixture against a real redis-server before lock tests rely on it. */
class RedisServerIT {

  @Test
  void plainServerStoresAndReturnsValues() {
    try (RedisServer redis = RedisServer.builder().start()) {
      assertThat(redis.host()).isEqualTo("127.0.0.1");
      assertThat(redis.command("SET", "k", "v")).isEqualTo("OK");
      assertThat(redis.command("GET", "k")).isEqualTo("v");
      assertThat(redis.command("GET", "missing")).isNull();
      assertThat(redis.command("INCR", "n")).isEqualTo(1L);
      assertThat(redis.command("RPUSH", "l", "a", "b")).isEqualTo(2L);
      assertThat(redis.command("LRANGE", "l", "0", "-1")).isEqualTo(List.of("a", "b"));
      assertThat((byte[]) redis.commandBinary("GET", "k")).containsExactly('v');
      assertThatThrownBy(() -> redis.command("NO-SUCH-COMMAND"))
          .isInstanceOf(RedisServer.ErrorReply.class)
          .hasMessageContaining("unknown command");
    }
  }

  @Test
  void restartKeepsPortButNotData() {
    try (RedisServer redis = RedisServer.builder().start()) {
      int port = redis.port();
      redis.command("SET", "k", "v");

      redis.restart();

      assertThat(redis.port()).isEqualTo(port);
      assertThat(redis.isRunning()).isTrue();
      assertThat(redis.command("PING")).isEqualTo("PONG");
      assertThat(redis.command("GET", "k")).isNull();
    }
  }

  @Test
  void stoppedServerIsUnreachableUntilStartedAgain() {
    try (RedisServer redis = RedisServer.builder().start()) {
      int port = redis.port();

      redis.stop();

      assertThat(redis.isRunning()).isFalse();
      assertThatThrownBy(() -> redis.command("PING")).isInstanceOf(UncheckedIOException.class);

      redis.start();

      assertThat(redis.port()).isEqualTo(port);
      assertThat(redis.command("PING")).isEqualTo("PONG");
    }
  }

  @Test
  void closeKillsServerAndDeletesDirectory() {
    RedisServer redis = RedisServer.builder().start();
    Path dir = redis.directory();

    redis.close();
    redis.close();

    assertThat(redis.isRunning()).isFalse();
    assertThat(dir).doesNotExist();
    assertThatThrownBy(redis::start).isInstanceOf(IllegalStateException.class);
  }

  /** Child entry point that starts a server and exits without closing it. */
  public static final class Abandon {
    /** Prints the server's port and directory, then exits. */
    public static void main(String[] args) {
      RedisServer redis = RedisServer.builder().start();
      System.out.println(redis.port() + " " + redis.directory());
      System.exit(0);
    }
  }

  @Test
  void serversLeftOpenAreKilledWhenTheJvmExits() throws Exception {
    String[] portAndDir;
    try (ChildJvm child = ChildJvm.start(Abandon.class)) {
      assertThat(child.awaitExit(Duration.ofSeconds(60))).as(child.describeOutput()).isZero();
      portAndDir = child.stdoutLines().getLast().split(" ", 2);
    }

    assertThat(Path.of(portAndDir[1])).doesNotExist();
    assertThatThrownBy(() -> new Socket("127.0.0.1", Integer.parseInt(portAndDir[0])).close())
        .isInstanceOf(ConnectException.class);
  }

  @Test
  void requirePassRefusesUnauthenticatedCommands() {
    try (RedisServer redis = RedisServer.builder().requirePass("s3cret pass").start()) {
      assertThat(redis.password()).isEqualTo("s3cret pass");
      assertThat(redis.command("SET", "k", "v")).isEqualTo("OK");
      assertThatThrownBy(() -> redis.commandAs(null, null, "GET", "k"))
          .isInstanceOf(RedisServer.ErrorReply.class)
          .hasMessageStartingWith("NOAUTH");
      assertThatThrownBy(() -> redis.commandAs(null, "wrong", "GET", "k"))
          .hasMessageStartingWith("WRONGPASS");
      assertThat(redis.commandAs("default", "s3cret pass", "GET", "k")).isEqualTo("v");
    }
  }

  @Test
  void aclUserAuthenticatesWhileDefaultUserStaysOpen() {
    try (RedisServer redis = RedisServer.builder().aclUser("alice", "wonder land").start()) {
      assertThat(redis.commandAs("alice", "wonder land", "ACL", "WHOAMI")).isEqualTo("alice");
      assertThat(redis.commandAs("alice", "wonder land", "SET", "k", "v")).isEqualTo("OK");
      assertThatThrownBy(() -> redis.commandAs("alice", "nope", "PING"))
          .hasMessageStartingWith("WRONGPASS");
      assertThat(redis.command("GET", "k")).isEqualTo("v");
      assertThat(redis.commandAs(null, null, "ACL", "WHOAMI")).isEqualTo("default");
    }
  }

  @Test
  void aclUserAndRequirePassCombine() {
    try (RedisServer redis = RedisServer.builder().requirePass("root").aclUser("bob", "builder").start()) {
      assertThat(redis.command("ACL", "WHOAMI")).isEqualTo("default");
      assertThat(redis.commandAs("bob", "builder", "ACL", "WHOAMI")).isEqualTo("bob");
      assertThatThrownBy(() -> redis.commandAs(null, null, "PING")).hasMessageStartingWith("NOAUTH");
    }
  }

  @Test
  void commandsShareOneConnectionSoSelectCarriesOver() {
    try (RedisServer redis = RedisServer.builder().requirePass("pw").start()) {
      List<Object> replies = redis.commands(List.of("SELECT", "1"), List.of("SET", "k", "in-db-1"),
          List.of("GET", "k"));

      assertThat(replies).containsExactly("OK", "OK", "in-db-1");
      assertThat(redis.command("GET", "k")).as("db 0 of a fresh connection").isNull();
      assertThatThrownBy(() -> redis.commands(List.of("SELECT", "1"), List.of("NO-SUCH-COMMAND"),
          List.of("SET", "never", "sent")))
          .isInstanceOf(RedisServer.ErrorReply.class)
          .hasMessageContaining("unknown command");
      assertThat(redis.commands(List.of("SELECT", "1"), List.of("EXISTS", "never"))).containsExactly("OK", 0L);
    }
  }

  @Test
  void extraArgsReachTheServer() {
    try (RedisServer redis = RedisServer.builder().extraArgs("--enable-debug-command", "yes").start()) {
      assertThat(redis.commands(List.of("SELECT", "2"), List.of("DEBUG", "POPULATE", "100", "filler", "8"),
          List.of("DBSIZE"))).containsExactly("OK", "OK", 100L);
      assertThat(redis.command("DBSIZE")).isEqualTo(0L);
    }
  }

  @Test
  void notifyKeyspaceEventsIsApplied() {
    try (RedisServer redis = RedisServer.builder().notifyKeyspaceEvents("Kx").start()) {
      List<?> config = (List<?>) redis.command("CONFIG", "GET", "notify-keyspace-events");
      assertThat((String) config.get(1)).contains("K").contains("x");
    }
  }

  @Test
  void startupFailureReportsServerLog() {
    assertThatThrownBy(() -> RedisServer.builder().notifyKeyspaceEvents("not-a-flag").start())
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("exited during startup")
        .hasMessageContaining("notify-keyspace-events");
  }

  @Test
  void tlsPortServesClientsThatTrustTheGeneratedCa() throws Exception {
    try (RedisServer redis = RedisServer.builder().tls(true).start()) {
      assertThat(Files.readString(redis.clientKeyFile())).startsWith("-----BEGIN PRIVATE KEY-----");
      assertThat(redis.tlsPort()).isNotEqualTo(redis.port());

      assertThat(pingOverTls(redis, false)).isEqualTo("+PONG");
      assertThat(pingOverTls(redis, true)).isEqualTo("+PONG");

      int tlsPort = redis.tlsPort();
      redis.restart();
      assertThat(redis.tlsPort()).isEqualTo(tlsPort);
      assertThat(pingOverTls(redis, true)).isEqualTo("+PONG");
    }
  }

  @Test
  void tlsAccessorsRefuseWhenTlsIsOff() {
    try (RedisServer redis = RedisServer.builder().start()) {
      assertThat(redis.tlsEnabled()).isFalse();
      assertThatThrownBy(redis::tlsPort).isInstanceOf(IllegalStateException.class);
      assertThatThrownBy(redis::caCertFile).isInstanceOf(IllegalStateException.class);
    }
  }

  @Test
  void dockerCheckAnswersWithoutThrowing() {
    assertThatCode(RedisServer::dockerAvailable).doesNotThrowAnyException();
  }

  @Test
  void dockerBackedServerBehavesLikeLocalOne() {
    assumeTrue(RedisServer.dockerAvailable(), "no Docker engine");
    try (RedisServer redis = RedisServer.docker().requirePass("pw").start()) {
      int port = redis.port();
      assertThat(redis.command("SET", "k", "v")).isEqualTo("OK");
      redis.restart();
      assertThat(redis.port()).isEqualTo(port);
      assertThat(redis.command("GET", "k")).isNull();
    }
  }

  /** Speaks RESP by hand over JSSE so the test depends on nothing but the JDK. */
  private static String pingOverTls(RedisServer redis, boolean presentClientCert) throws Exception {
    KeyStore trust = KeyStore.getInstance("PKCS12");
    trust.load(null, null);
    trust.setCertificateEntry("ca", readCertificate(redis.caCertFile()));
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);

    KeyManagerFactory kmf = null;
    if (presentClientCert) {
      char[] password = "unused".toCharArray();
      KeyStore keys = KeyStore.getInstance("PKCS12");
      keys.load(null, null);
      keys.setKeyEntry("client", readPkcs8Key(redis.clientKeyFile()), password,
          new Certificate[] {readCertificate(redis.clientCertFile())});
      kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(keys, password);
    }

    SSLContext context = SSLContext.getInstance("TLS");
    context.init(kmf == null ? null : kmf.getKeyManagers(), tmf.getTrustManagers(), null);
    try (SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(redis.host(), redis.tlsPort())) {
      // HTTPS identification checks the certificate's IP:127.0.0.1 subjectAltName.
      SSLParameters params = socket.getSSLParameters();
      params.setEndpointIdentificationAlgorithm("HTTPS");
      socket.setSSLParameters(params);
      socket.setSoTimeout(10_000);
      socket.startHandshake();

      OutputStream out = socket.getOutputStream();
      out.write("*1\r\n$4\r\nPING\r\n".getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = socket.getInputStream();
      StringBuilder line = new StringBuilder();
      for (int b = in.read(); b != '\r' && b >= 0; b = in.read()) {
        line.append((char) b);
      }
      return line.toString();
    }
  }

  private static Certificate readCertificate(Path pem) throws Exception {
    try (InputStream in = Files.newInputStream(pem)) {
      return CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
  }

  private static PrivateKey readPkcs8Key(Path pem) throws Exception {
    String base64 = Files.readString(pem)
        .replace("-----BEGIN PRIVATE KEY-----", "")
        .replace("-----END PRIVATE KEY-----", "")
        .replaceAll("\\s", "");
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(base64)));
  }
}
