package io.ticketgate.store.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;

/**
 * A real Redis server for integration tests, owned by one test class.
 *
 * <p>By default each instance is a {@code redis-server} child process listening on a free
 * loopback port, working in its own temporary directory, with persistence switched off so a
 * restart always comes back empty. {@code ./test} installs {@code redis-server} and
 * {@code openssl} on CI machines; locally they must be on the {@code PATH}.
 *
 * <p>{@link #docker()} offers the same plain server from a {@code redis:7} container instead,
 * for machines that have a Docker engine but no Redis binary. Nothing here talks to Docker
 * unless {@link #docker()} or {@link #dockerAvailable()} is called.
 *
 * <p>{@link #command(String...)} speaks RESP over a fresh socket so tests can inspect keys
 * without going through the client library under test.
 *
 * <pre>{@code
 * try (RedisServer redis = RedisServer.builder().requirePass("s3cret").start()) {
 *     redis.command("SET", "k", "v");
 *     redis.restart();                 // same port, empty data set
 * }
 * }</pre>
 */
public final class RedisServer implements AutoCloseable {

  private static final String LOOPBACK = "127.0.0.1";
  private static final String DEFAULT_IMAGE = "redis:7";
  private static final int CONTAINER_PORT = 6379;
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);
  private static final int SOCKET_TIMEOUT_MILLIS = 10_000;
  private static final int LOG_TAIL_LINES = 30;
  private static final int PORT_ATTEMPTS = 3;

  /** Servers not yet closed; a shutdown hook kills them so a crashed test run leaves no orphans. */
  private static final Set<RedisServer> OPEN = ConcurrentHashMap.newKeySet();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> OPEN.forEach(RedisServer::close),
        "redis-server-reaper"));
  }

  private final Builder options;
  private final Path directory;
  private final Path logFile;
  private final Tls tls;
  private int port;
  private int tlsPort;
  private Process process;
  private Container container;
  private boolean closed;

  private RedisServer(Builder options) throws IOException {
    this.options = options;
    this.directory = Files.createTempDirectory("ticketgate-redis-");
    this.logFile = directory.resolve("redis-server.log");
    this.tls = options.tls ? Tls.generate(directory) : null;
  }

  /** Returns a builder for a local {@code redis-server} process. */
  public static Builder builder() {
    return new Builder(false);
  }

  /**
   * Returns a builder for a plain (non-TLS) server in a {@code redis:7} container.
   *
   * <p>Only meaningful when {@link #dockerAvailable()} is true; local processes stay the
   * default because CI has no Docker engine. {@link #stop()}, {@link #start()} and
   * {@link #restart()} keep the same host port by binding it explicitly.
   */
  public static Builder docker() {
    return new Builder(true);
  }

  /**
   * Tells whether Testcontainers can reach a Docker engine.
   *
   * <p>Never throws: Testcontainers reports a missing engine as {@code false}.
   */
  public static boolean dockerAvailable() {
    try {
      return DockerClientFactory.instance().isDockerAvailable();
    } catch (RuntimeException | LinkageError e) {
      return false;
    }
  }

  /** Host to connect to: {@code 127.0.0.1} for local processes. */
  public String host() {
    return container != null ? container.host() : LOOPBACK;
  }

  /** Plain (non-TLS) port; stable across {@link #restart()}. */
  public synchronized int port() {
    return port;
  }

  /** TLS port; stable across {@link #restart()}. */
  public synchronized int tlsPort() {
    requireTls();
    return tlsPort;
  }

  /** Whether the server was built with {@link Builder#tls(boolean) tls(true)}. */
  public boolean tlsEnabled() {
    return tls != null;
  }

  /** PEM certificate of the test CA that signed the server and client certificates. */
  public Path caCertFile() {
    return requireTls().caCert;
  }

  /** PEM client certificate signed by {@link #caCertFile()}, for mutual TLS. */
  public Path clientCertFile() {
    return requireTls().clientCert;
  }

  /** Unencrypted PKCS#8 PEM ({@code BEGIN PRIVATE KEY}) RSA key of {@link #clientCertFile()}. */
  public Path clientKeyFile() {
    return requireTls().clientKey;
  }

  /** The server's temporary working directory; deleted by {@link #close()}. */
  public Path directory() {
    return directory;
  }

  /** File receiving the server's stdout and stderr across restarts (local processes only). */
  public Path logFile() {
    return logFile;
  }

  /** Password of the default user, or {@code null} when none was required. */
  public String password() {
    return options.requirePass;
  }

  /** Whether the server process (or container) is currently up. */
  public synchronized boolean isRunning() {
    if (container != null) {
      return container.isRunning();
    }
    return process != null && process.isAlive();
  }

  /**
   * Starts the server again after {@link #stop()}, on the same port(s), and waits until it
   * answers {@code PING}. Does nothing if it is already running.
   */
  public synchronized void start() {
    ensureOpen();
    if (isRunning()) {
      return;
    }
    launchAndAwait();
  }

  /**
   * Kills the server abruptly (SIGKILL, like a crash) but keeps its ports and directory so the
   * test can observe Redis being down and later {@link #start()} it again.
   */
  public synchronized void stop() {
    if (container != null) {
      container.kill();
      return;
    }
    if (process != null) {
      process.destroyForcibly();
      try {
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
          throw new IllegalStateException("redis-server pid " + process.pid()
              + " survived SIGKILL for 10s");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while stopping redis-server", e);
      }
    }
  }

  /** {@link #stop()} then {@link #start()}: same port(s), empty data set. */
  public synchronized void restart() {
    stop();
    start();
  }

  /** Kills the server and deletes its directory. Safe to call more than once. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    OPEN.remove(this);
    try {
      if (container != null) {
        container.close();
      } else {
        stop();
      }
    } finally {
      deleteRecursively(directory);
    }
  }

  /**
   * Sends one command as the default user, authenticating with the
   * {@link Builder#requirePass(String) required password} if there is one.
   *
   * @return the reply: {@code String} for simple and bulk strings (UTF-8), {@code Long} for
   *     integers, {@code List<Object>} for arrays, {@code null} for nil; an error nested in an
   *     array comes back as an {@link ErrorReply} element rather than being thrown
   * @throws ErrorReply if Redis answers with an error
   * @throws UncheckedIOException if the server cannot be reached
   */
  public Object command(String... args) {
    return exchange(options.requirePass == null ? null : List.of(options.requirePass), false, args);
  }

  /** Like {@link #command(String...)} but bulk strings come back as raw {@code byte[]}. */
  public Object commandBinary(String... args) {
    return exchange(options.requirePass == null ? null : List.of(options.requirePass), true, args);
  }

  /**
   * Sends several commands, in order, over one socket, so state a command leaves on its
   * connection (such as the database chosen by {@code SELECT}) holds for the ones after it.
   * Authenticates first like {@link #command(String...)}.
   *
   * <pre>{@code
   * redis.commands(List.of("SELECT", "1"), List.of("DEBUG", "POPULATE", "1000", "k", "16"));
   * }</pre>
   *
   * @return each command's reply, decoded as {@link #command(String...)} does
   * @throws ErrorReply at the first command Redis answers with an error; the rest are not sent
   * @throws UncheckedIOException if the server cannot be reached
   */
  @SafeVarargs
  public final List<Object> commands(List<String>... commands) {
    if (commands.length == 0) {
      throw new IllegalArgumentException("commands needs at least one command");
    }
    for (List<String> c : commands) {
      if (c.isEmpty()) {
        throw new IllegalArgumentException("a command needs at least its name");
      }
    }
    try (Socket socket = connect(host(), port())) {
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      if (options.requirePass != null) {
        Resp.write(out, List.of("AUTH", options.requirePass));
        Resp.throwIfError(Resp.read(in, false));
      }
      List<Object> replies = new ArrayList<>(commands.length);
      for (List<String> c : commands) {
        Resp.write(out, c);
        replies.add(Resp.throwIfError(Resp.read(in, false)));
      }
      return replies;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot talk to " + this + ": " + e.getMessage(), e);
    }
  }

  /**
   * Sends one command after {@code AUTH user password}; with a {@code null} password no
   * {@code AUTH} is sent at all, which lets a test prove unauthenticated access is refused.
   * A {@code null} user with a password authenticates the default user.
   *
   * @throws ErrorReply if the authentication or the command fails
   */
  public Object commandAs(String user, String password, String... args) {
    List<String> auth = null;
    if (password != null) {
      auth = user == null ? List.of(password) : List.of(user, password);
    }
    return exchange(auth, false, args);
  }

  /**
   * Calls per command since the server started or the last {@code CONFIG RESETSTAT}, from
   * {@code INFO commandstats}; commands run inside scripts count too.
   */
  public java.util.Map<String, Long> commandCalls() {
    String info = String.valueOf(command("INFO", "commandstats"));
    java.util.Map<String, Long> calls = new java.util.HashMap<>();
    for (String line : info.split("\\r?\\n")) {
      if (line.startsWith("cmdstat_")) {
        String name = line.substring("cmdstat_".length(), line.indexOf(':'));
        int at = line.indexOf("calls=") + "calls=".length();
        calls.put(name, Long.parseLong(line.substring(at, line.indexOf(',', at))));
      }
    }
    return calls;
  }

  @Override
  public String toString() {
    return "RedisServer[" + host() + ":" + port + (tls != null ? ", tls " + tlsPort : "") + "]";
  }

  private Object exchange(List<String> auth, boolean binary, String... args) {
    if (args.length == 0) {
      throw new IllegalArgumentException("a command needs at least its name");
    }
    try (Socket socket = connect(host(), port())) {
      OutputStream out = socket.getOutputStream();
      InputStream in = new BufferedInputStream(socket.getInputStream());
      if (auth != null) {
        List<String> authCommand = new ArrayList<>();
        authCommand.add("AUTH");
        authCommand.addAll(auth);
        Resp.write(out, authCommand);
        Resp.throwIfError(Resp.read(in, false));
      }
      Resp.write(out, Arrays.asList(args));
      return Resp.throwIfError(Resp.read(in, binary));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot talk to " + this + ": " + e.getMessage(), e);
    }
  }

  private static Socket connect(String host, int port) throws IOException {
    Socket socket = new Socket();
    try {
      socket.connect(new InetSocketAddress(host, port), SOCKET_TIMEOUT_MILLIS);
      socket.setSoTimeout(SOCKET_TIMEOUT_MILLIS);
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  private Tls requireTls() {
    if (tls == null) {
      throw new IllegalStateException("TLS is off; build the server with tls(true)");
    }
    return tls;
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  /** First start: a port picked as free can be grabbed by someone else before Redis binds it. */
  private void startFirstTime() {
    for (int attempt = 1; ; attempt++) {
      port = freePort();
      tlsPort = tls != null ? freePort() : 0;
      try {
        launchAndAwait();
        return;
      } catch (IllegalStateException e) {
        boolean portClash = e.getMessage() != null && e.getMessage().contains("Address already in use");
        if (!portClash || attempt == PORT_ATTEMPTS) {
          throw e;
        }
      }
    }
  }

  private void launchAndAwait() {
    if (container != null) {
      container.start();
    } else {
      launchProcess();
    }
    awaitPong();
  }

  private void launchProcess() {
    List<String> cmd = new ArrayList<>();
    cmd.add(findExecutable("redis-server").toString());
    cmd.addAll(List.of("--port", Integer.toString(port), "--bind", LOOPBACK, "--dir", directory.toString()));
    cmd.addAll(commonArgs());
    if (tls != null) {
      cmd.addAll(List.of(
          "--tls-port", Integer.toString(tlsPort),
          "--tls-cert-file", tls.serverCert.toString(),
          "--tls-key-file", tls.serverKey.toString(),
          "--tls-ca-cert-file", tls.caCert.toString(),
          "--tls-auth-clients", "optional"));
    }
    try {
      process = new ProcessBuilder(cmd)
          .directory(directory.toFile())
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
          .start();
    } catch (IOException e) {
      throw new IllegalStateException("cannot launch " + cmd.get(0) + ": " + e.getMessage(), e);
    }
  }

  /** Arguments shared by local processes and containers. */
  private List<String> commonArgs() {
    // Each ACL rule is its own argument: Redis quotes every argument it receives, so a single
    // "name on >pw ..." string would become one odd-looking user name.
    List<String> args = new ArrayList<>(List.of(
        "--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no"));
    if (options.requirePass != null) {
      args.addAll(List.of("--requirepass", options.requirePass));
    }
    options.aclUsers.forEach((user, password) ->
        args.addAll(List.of("--user", user, "on", ">" + password, "~*", "&*", "+@all")));
    if (options.notifyKeyspaceEvents != null) {
      args.addAll(List.of("--notify-keyspace-events", options.notifyKeyspaceEvents));
    }
    args.addAll(options.extraArgs);
    return args;
  }

  private void awaitPong() {
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    String lastProblem = "no answer yet";
    while (System.nanoTime() < deadline) {
      if (!isRunning()) {
        throw startupFailure("exited during startup");
      }
      try (Socket socket = connect(host(), port)) {
        Resp.write(socket.getOutputStream(), List.of("PING"));
        Object reply = Resp.read(new BufferedInputStream(socket.getInputStream()), false);
        // NOAUTH still proves the server is serving; LOADING does not.
        if (!(reply instanceof ErrorReply error) || !error.getMessage().startsWith("LOADING")) {
          return;
        }
        lastProblem = error.getMessage();
      } catch (IOException e) {
        lastProblem = e.toString();
      }
      sleep(Duration.ofMillis(25));
    }
    stop();
    throw startupFailure("did not answer PING within " + STARTUP_TIMEOUT + " (" + lastProblem + ")");
  }

  private IllegalStateException startupFailure(String what) {
    String log;
    if (container != null) {
      log = container.logs();
    } else {
      try {
        log = Files.exists(logFile) ? Files.readString(logFile) : "";
      } catch (IOException e) {
        log = "(cannot read " + logFile + ": " + e + ")";
      }
    }
    List<String> lines = log.lines().toList();
    String tail = String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
    return new IllegalStateException("Redis on port " + port + " " + what + "; last log lines:\n" + tail);
  }

  private static int freePort() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(LOOPBACK))) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot find a free port", e);
    }
  }

  static Path findExecutable(String name) {
    String path = System.getenv().getOrDefault("PATH", "");
    Stream<Path> candidates = Stream.concat(
        Arrays.stream(path.split(File.pathSeparator)).filter(dir -> !dir.isEmpty()).map(Path::of),
        Stream.of(Path.of("/usr/bin"), Path.of("/usr/local/bin"), Path.of("/usr/sbin")));
    return candidates.map(dir -> dir.resolve(name))
        .filter(Files::isExecutable)
        .findFirst()
        .orElseThrow(() -> new IllegalStateException(name + " not found on PATH (" + path
            + "); ./test installs it, or install it yourself (apt-get install redis-server openssl)"));
  }

  private static void sleep(Duration duration) {
    try {
      Thread.sleep(duration);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }

  private static void deleteRecursively(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException e) {
      // A leftover temp directory must not fail a test that otherwise passed.
      System.err.println("could not delete " + root + ": " + e);
    }
  }

  /** Configures a {@link RedisServer}; every option is off unless set. */
  public static final class Builder {
    private final boolean docker;
    private String requirePass;
    private final Map<String, String> aclUsers = new LinkedHashMap<>();
    private boolean tls;
    private String notifyKeyspaceEvents;
    private final List<String> extraArgs = new ArrayList<>();
    private String image = DEFAULT_IMAGE;

    private Builder(boolean docker) {
      this.docker = docker;
    }

    /** Requires this password for the default user ({@code requirepass}). */
    public Builder requirePass(String password) {
      this.requirePass = password;
      return this;
    }

    /**
     * Adds an ACL user with full access ({@code user <name> on ><password> ~* &* +@all}).
     * The default user keeps working, passwordless unless {@link #requirePass} is set.
     */
    public Builder aclUser(String user, String password) {
      aclUsers.put(user, password);
      return this;
    }

    /**
     * Adds a TLS port next to the plain one, using a throw-away CA generated with the
     * {@code openssl} CLI. Client certificates are accepted but not required. Local
     * processes only.
     */
    public Builder tls(boolean enabled) {
      this.tls = enabled;
      return this;
    }

    /** Sets {@code notify-keyspace-events}, e.g. {@code "Kx"} for expiry notifications. */
    public Builder notifyKeyspaceEvents(String flags) {
      this.notifyKeyspaceEvents = flags;
      return this;
    }

    /**
     * Appends raw {@code redis-server} arguments after the fixture's own, for settings that
     * have no option here, e.g. {@code extraArgs("--enable-debug-command", "yes")} so that
     * {@code DEBUG POPULATE} works on Redis 7 and later. Each call adds to the previous ones.
     */
    public Builder extraArgs(String... args) {
      for (String a : args) {
        extraArgs.add(Objects.requireNonNull(a, "extra arguments must not be null"));
      }
      return this;
    }

    /** Image for {@link RedisServer#docker()} servers; {@code redis:7} unless set. */
    public Builder image(String dockerImage) {
      this.image = dockerImage;
      return this;
    }

    /**
     * Starts the server and waits until it answers {@code PING}.
     *
     * @throws IllegalStateException if it cannot start; the message ends with the server log
     */
    public RedisServer start() {
      if (docker && tls) {
        throw new UnsupportedOperationException("TLS servers run as local processes; use builder()");
      }
      RedisServer server;
      try {
        server = new RedisServer(this);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prepare a Redis directory", e);
      }
      OPEN.add(server);
      try {
        if (docker) {
          server.port = freePort();
          server.container = new Container(image, server.port, server.commonArgs());
          server.launchAndAwait();
        } else {
          server.startFirstTime();
        }
        return server;
      } catch (RuntimeException | Error e) {
        server.close();
        throw e;
      }
    }
  }

  /** An error reply from Redis, carrying its text (e.g. {@code "NOAUTH Authentication required."}). */
  public static final class ErrorReply extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Wraps the text Redis sent after the {@code -} marker. */
    public ErrorReply(String message) {
      super(message);
    }
  }

  /** Just enough RESP2 to send commands and decode replies. */
  private static final class Resp {

    static void write(OutputStream out, List<String> args) throws IOException {
      ByteArrayOutputStream buf = new ByteArrayOutputStream();
      buf.writeBytes(("*" + args.size() + "\r\n").getBytes(StandardCharsets.US_ASCII));
      for (String arg : args) {
        byte[] bytes = arg.getBytes(StandardCharsets.UTF_8);
        buf.writeBytes(("$" + bytes.length + "\r\n").getBytes(StandardCharsets.US_ASCII));
        buf.writeBytes(bytes);
        buf.writeBytes(new byte[] {'\r', '\n'});
      }
      out.write(buf.toByteArray());
      out.flush();
    }

    static Object read(InputStream in, boolean binary) throws IOException {
      int type = in.read();
      if (type < 0) {
        throw new EOFException("connection closed before a reply");
      }
      String line = readLine(in);
      return switch (type) {
        case '+' -> line;
        case '-' -> new ErrorReply(line);
        case ':' -> Long.parseLong(line);
        case '$' -> {
          int length = Integer.parseInt(line);
          if (length < 0) {
            yield null;
          }
          byte[] bytes = in.readNBytes(length);
          if (bytes.length != length || in.read() != '\r' || in.read() != '\n') {
            throw new EOFException("truncated bulk string");
          }
          yield binary ? bytes : new String(bytes, StandardCharsets.UTF_8);
        }
        case '*' -> {
          int count = Integer.parseInt(line);
          if (count < 0) {
            yield null;
          }
          List<Object> items = new ArrayList<>(count);
          for (int i = 0; i < count; i++) {
            items.add(read(in, binary));
          }
          yield items;
        }
        default -> throw new IOException("unexpected RESP type '" + (char) type + "' " + line);
      };
    }

    static Object throwIfError(Object reply) {
      if (reply instanceof ErrorReply error) {
        // A fresh instance so the stack trace points at the caller, not the parser.
        throw new ErrorReply(error.getMessage());
      }
      return reply;
    }

    private static String readLine(InputStream in) throws IOException {
      ByteArrayOutputStream line = new ByteArrayOutputStream();
      int b;
      while ((b = in.read()) != '\r') {
        if (b < 0) {
          throw new EOFException("connection closed mid-reply");
        }
        line.write(b);
      }
      if (in.read() != '\n') {
        throw new IOException("malformed RESP line");
      }
      return line.toString(StandardCharsets.UTF_8);
    }
  }

  /** Self-signed CA plus server and client certificates made with the openssl CLI. */
  private record Tls(Path caCert, Path serverCert, Path serverKey, Path clientCert, Path clientKey) {

    /**
     * A private openssl config keeps the result independent of the machine's openssl.cnf,
     * and PKCS#8 keys ({@code genpkey}'s default) are what Java and Netty read without help.
     */
    private static final String CONFIG = """
                [req]
                distinguished_name = dn
                prompt = no
                [dn]
                CN = unused
                [ca]
                basicConstraints = critical, CA:TRUE
                keyUsage = critical, keyCertSign, cRLSign
                subjectKeyIdentifier = hash
                [server]
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature, keyEncipherment
                extendedKeyUsage = serverAuth
                subjectAltName = IP:127.0.0.1, DNS:localhost
                [client]
                basicConstraints = critical, CA:FALSE
                keyUsage = critical, digitalSignature, keyEncipherment
                extendedKeyUsage = clientAuth
                """;

    static Tls generate(Path dir) throws IOException {
      Path tlsDir = Files.createDirectory(dir.resolve("tls"));
      Path config = Files.writeString(tlsDir.resolve("openssl.cnf"), CONFIG);
      Path log = tlsDir.resolve("openssl.log");
      Path caKey = tlsDir.resolve("ca.key");
      Path caCert = tlsDir.resolve("ca.crt");
      Tls tls = new Tls(caCert, tlsDir.resolve("server.crt"), tlsDir.resolve("server.key"),
          tlsDir.resolve("client.crt"), tlsDir.resolve("client.key"));

      newKey(log, caKey);
      openssl(log, "req", "-config", config, "-new", "-x509", "-key", caKey, "-subj", "/CN=Ticketgate test CA",
          "-days", "7", "-sha256", "-extensions", "ca", "-out", caCert);
      sign(log, config, caKey, caCert, "server", "localhost", tls.serverKey, tls.serverCert);
      sign(log, config, caKey, caCert, "client", "ticketgate-test-client", tls.clientKey, tls.clientCert);
      return tls;
    }

    private static void sign(Path log, Path config, Path caKey, Path caCert, String profile, String commonName,
        Path key, Path cert) throws IOException {
      Path csr = key.resolveSibling(profile + ".csr");
      newKey(log, key);
      openssl(log, "req", "-config", config, "-new", "-key", key, "-subj", "/CN=" + commonName, "-out", csr);
      // Random serials: clients cache sessions by issuer+serial, and every server has a new CA anyway.
      byte[] serial = new byte[8];
      new SecureRandom().nextBytes(serial);
      serial[0] &= 0x7f;
      openssl(log, "x509", "-req", "-in", csr, "-CA", caCert, "-CAkey", caKey,
          "-set_serial", "0x" + HexFormat.of().formatHex(serial), "-days", "7", "-sha256",
          "-extfile", config, "-extensions", profile, "-out", cert);
    }

    private static void newKey(Path log, Path key) throws IOException {
      openssl(log, "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", key);
    }

    private static void openssl(Path log, Object... args) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(findExecutable("openssl").toString());
      Stream.of(args).map(String::valueOf).forEach(cmd::add);
      Process p = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
          .start();
      try {
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IOException("openssl timed out: " + cmd);
        }
      } catch (InterruptedException e) {
        p.destroyForcibly();
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while running openssl", e);
      }
      if (p.exitValue() != 0) {
        throw new IOException("openssl failed (exit " + p.exitValue() + "): " + cmd + "\n" + Files.readString(log));
      }
    }
  }

  /**
   * A {@code redis:7} container bound to a fixed host port, so stopping and starting it with
   * the Docker API keeps the address tests already hold (Testcontainers' own stop removes it).
   */
  private static final class Container {
    private final GenericContainer<?> container;
    private boolean created;

    Container(String image, int hostPort, List<String> args) {
      List<String> cmd = new ArrayList<>(List.of("redis-server", "--port", Integer.toString(CONTAINER_PORT)));
      cmd.addAll(args);
      container = new GenericContainer<>(DockerImageName.parse(image))
          .withCommand(cmd.toArray(String[]::new))
          .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));
      container.setPortBindings(List.of(hostPort + ":" + CONTAINER_PORT));
    }

    String host() {
      return created ? container.getHost() : LOOPBACK;
    }

    boolean isRunning() {
      return created && container.isRunning();
    }

    void start() {
      if (!created) {
        container.start();
        created = true;
      } else {
        container.getDockerClient().startContainerCmd(container.getContainerId()).exec();
      }
    }

    void kill() {
      if (isRunning()) {
        container.getDockerClient().killContainerCmd(container.getContainerId()).exec();
      }
    }

    String logs() {
      return created ? container.getLogs() : "";
    }

    void close() {
      container.stop();
    }
  }
}
