package io.ticketgate.embedded;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.turbo.TurboFilter;
import ch.qos.logback.core.spi.FilterReply;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.common.utils.internals.Exit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.Marker;

/**
 * A single-node Kafka cluster (one KRaft process acting as broker and controller) running inside
 * this JVM, for {@code ticketgate demo}, tests and local experiments.
 *
 * <pre>{@code
 * try (EmbeddedKafka kafka = EmbeddedKafka.start()) {
 *   kafka.createTopic("chat-in", 4);
 *   runGateway(kafka.bootstrapServers());
 * }
 * }</pre>
 *
 * <p>What it is suitable for: anything that needs a real Kafka protocol endpoint on this machine:
 * producers, consumers with consumer groups (classic and the new consumer protocol), offset
 * commits, transactions, share groups, restarts on the same data directory, and crash tests (run
 * {@link #main} as a child JVM and kill it). The broker is the real Apache Kafka server of the
 * version on the class path, not a mock.
 *
 * <p>What it is not suitable for: production or anything that needs durability or availability.
 * There is one node, so every topic has replication factor 1 and losing the process or its
 * directory loses the data; internal topics are configured for replication 1 and fewer partitions
 * than a production cluster. It listens on 127.0.0.1 only, in plaintext without authentication,
 * so other machines and containers cannot reach it. The broker shares this JVM's heap, threads and
 * Kafka version: clients in the same JVM must be that same version. Faults while starting (such as
 * a port taken at the last moment) fail {@link #start} with an exception, but once running, a
 * fatal fault halts the whole JVM as in any Kafka server (for example deleting the data directory
 * under a running broker), which is one more reason to run it as a child JVM where that matters.
 *
 * <p>Logging: the broker logs through SLF4J. Unless the application's logging configuration sets a
 * level for them, the {@code kafka}, {@code org.apache.kafka} and {@code state.change.logger}
 * loggers are set to WARN when the first instance starts (Logback only; no other logger is
 * touched). Note that {@code org.apache.kafka} also covers Kafka's client loggers. Two WARN lines
 * that Kafka logs on every start and stop of a healthy single node are dropped as well (see
 * {@code RoutineBrokerWarnings}).
 *
 * <p>Instances are thread-safe.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  /** Logger names the broker writes to; quieted by default because INFO is very verbose. */
  private static final List<String> BROKER_LOGGERS =
      List.of("kafka", "org.apache.kafka", "state.change.logger");

  private static final String HOST = "127.0.0.1";
  private static final int NODE_ID = 1;
  private static final String CONFIG_FILE = "embedded-kafka.properties";
  private static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
  /** Auto-chosen ports can be taken by someone else between choosing and binding. */
  private static final int BIND_ATTEMPTS = 3;

  private final Options options;
  private final Path dataDir;
  private final boolean ownsDataDir;
  private final int port;
  private final int controllerPort;
  private final KafkaRaftServer server;
  private Admin admin;
  private boolean closed;

  private EmbeddedKafka(
      Options options,
      Path dataDir,
      boolean ownsDataDir,
      int port,
      int controllerPort,
      KafkaRaftServer server) {
    this.options = options;
    this.dataDir = dataDir;
    this.ownsDataDir = ownsDataDir;
    this.port = port;
    this.controllerPort = controllerPort;
    this.server = server;
  }

  /** Starts a broker with default {@link Options}: free port, temporary directory. */
  public static EmbeddedKafka start() {
    return start(Options.builder().build());
  }

  /**
   * Starts a broker and returns once it accepts clients.
   *
   * @throws IllegalStateException when the broker cannot start; the message says why
   */
  public static EmbeddedKafka start(Options options) {
    Objects.requireNonNull(options, "options");
    quietBrokerLoggers();
    long started = System.nanoTime();
    boolean ownsDataDir = options.dataDir == null;
    Path dataDir;
    try {
      dataDir =
          ownsDataDir
              ? Files.createTempDirectory("ticketgate-kafka-")
              : Files.createDirectories(options.dataDir.toAbsolutePath());
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot create the embedded Kafka data directory "
              + (ownsDataDir ? "under " + System.getProperty("java.io.tmpdir") : options.dataDir),
          e);
    }
    try {
      EmbeddedKafka kafka = startIn(options, dataDir, ownsDataDir);
      log.info(
          "Embedded Kafka started at {} in {} ms (data in {})",
          kafka.bootstrapServers(),
          TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started),
          dataDir);
      return kafka;
    } catch (RuntimeException | Error e) {
      if (ownsDataDir) {
        deleteTree(dataDir);
      }
      throw e;
    }
  }

  private static EmbeddedKafka startIn(Options options, Path dataDir, boolean ownsDataDir) {
    if (options.port != 0) {
      // Fail in milliseconds with a plain message instead of after half a broker start-up.
      checkPortFree(options.port);
    }
    for (int attempt = 1; ; attempt++) {
      int port = options.port != 0 ? options.port : freePort();
      int controllerPort = freePort(port);
      Properties props = brokerProperties(options, dataDir, port, controllerPort);
      format(props, dataDir);
      KafkaRaftServer server =
          new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
      try {
        startupWithoutHalting(server);
        return new EmbeddedKafka(options, dataDir, ownsDataDir, port, controllerPort, server);
      } catch (RuntimeException e) {
        shutdownQuietly(server);
        boolean portTaken = causedBy(e, BindException.class);
        // Kafka's fatal fault is almost always the controller port taken between our choosing
        // and its binding; its ERROR log above has the details. New ports, next attempt.
        boolean retry = portTaken || e instanceof FatalStartupFault;
        if (retry && attempt < BIND_ATTEMPTS) {
          log.warn("Embedded Kafka failed to start (attempt {}), retrying on new ports: {}",
              attempt, e.getMessage());
          continue;
        }
        throw new IllegalStateException(
            "embedded Kafka failed to start on "
                + HOST
                + ":"
                + port
                + " (controller port "
                + controllerPort
                + ", data in "
                + dataDir
                + ")"
                + (portTaken ? ": a port is already in use" : ": " + e.getMessage()),
            e);
      }
    }
  }

  /** The broker's address, {@code 127.0.0.1:PORT}, for {@code bootstrap.servers}. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  /** The broker's client port. */
  public int port() {
    return port;
  }

  /** Where the broker keeps its logs; deleted on {@link #close()} when it is a temporary one. */
  public Path dataDir() {
    return dataDir;
  }

  /**
   * Creates a topic and waits until every partition has a leader, so producers and consumers can
   * use it at once. A topic that already exists with that many partitions is left as it is, which
   * makes restarts on the same directory easy.
   *
   * @throws IllegalStateException when the topic exists with a different partition count, or
   *     Kafka refuses or does not confirm the topic within 30 seconds
   */
  public synchronized void createTopic(String name, int partitions) {
    Objects.requireNonNull(name, "name");
    if (partitions < 1) {
      throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
    }
    checkOpen();
    Topics.create(admin(), name, partitions, ADMIN_TIMEOUT);
  }

  private Admin admin() {
    if (admin == null) {
      Map<String, Object> config = new LinkedHashMap<>();
      config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
      config.put(AdminClientConfig.CLIENT_ID_CONFIG, "ticketgate-embedded-kafka-admin");
      admin = Admin.create(config);
    }
    return admin;
  }

  /**
   * Stops the broker and, when the data directory is a temporary one, deletes it. Waits at most
   * 30 seconds for Kafka to shut down; a broker that does not stop in time is left running and its
   * directory kept, because deleting files under a live broker makes Kafka halt the JVM.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long started = System.nanoTime();
    if (admin != null) {
      admin.close(Duration.ofSeconds(5));
    }
    if (!shutdown(server, CLOSE_TIMEOUT)) {
      log.warn(
          "Embedded Kafka at {} did not shut down within {}; leaving it running and keeping {}",
          bootstrapServers(),
          CLOSE_TIMEOUT,
          dataDir);
      return;
    }
    if (ownsDataDir) {
      deleteTree(dataDir);
    }
    log.info(
        "Embedded Kafka at {} stopped in {} ms",
        bootstrapServers(),
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("embedded Kafka at " + bootstrapServers() + " is closed");
    }
  }

  @Override
  public String toString() {
    return "EmbeddedKafka[" + bootstrapServers() + ", controller port " + controllerPort
        + ", " + dataDir + (closed ? ", closed" : "") + ", " + options + "]";
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration and storage

  private static Properties brokerProperties(
      Options options, Path dataDir, int port, int controllerPort) {
    Properties props = new Properties();
    props.put("process.roles", "broker,controller");
    props.put("node.id", String.valueOf(NODE_ID));
    // Static voters rather than a dynamic quorum: the controller port may change between
    // restarts on the same directory, and a dynamic quorum would remember the old one.
    props.put("controller.quorum.voters", NODE_ID + "@" + HOST + ":" + controllerPort);
    props.put("controller.listener.names", "CONTROLLER");
    props.put(
        "listeners",
        "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
    props.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
    props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    props.put("inter.broker.listener.name", "PLAINTEXT");
    props.put("log.dirs", dataDir.resolve("logs").toString());
    props.put("num.partitions", String.valueOf(options.numPartitions));
    props.put("default.replication.factor", "1");
    props.put("min.insync.replicas", "1");
    // Internal topics default to replication 3 and never become available on one node:
    // consumer groups, transactions and share groups would hang.
    props.put("offsets.topic.replication.factor", "1");
    props.put("transaction.state.log.replication.factor", "1");
    props.put("transaction.state.log.min.isr", "1");
    props.put("share.coordinator.state.topic.replication.factor", "1");
    props.put("share.coordinator.state.topic.min.isr", "1");
    // 50 partitions each (the default) make the first group join and transaction noticeably slow.
    props.put("offsets.topic.num.partitions", "5");
    props.put("transaction.state.log.num.partitions", "5");
    props.put("share.coordinator.state.topic.num.partitions", "5");
    // Otherwise every first join of a classic group waits 3 s for more members.
    props.put("group.initial.rebalance.delay.ms", "0");
    // After a crash the restarted controller treats the old incarnation as alive for the session
    // timeout and rejects the new registration until then; keep that short. Heartbeats must be
    // well inside the session.
    props.put("broker.session.timeout.ms", "2000");
    props.put("broker.heartbeat.interval.ms", "500");
    // A small machine runs this next to the application; Kafka's defaults size for a server.
    props.put("num.network.threads", "2");
    props.put("num.io.threads", "4");
    props.put("background.threads", "4");
    props.put("log.cleaner.threads", "1");
    props.put("log.cleaner.dedupe.buffer.size", String.valueOf(8 * 1024 * 1024));
    props.putAll(options.brokerProperties);
    return props;
  }

  /** Writes the config file and formats the directory unless a previous run already did. */
  private static void format(Properties props, Path dataDir) {
    Path configFile = dataDir.resolve(CONFIG_FILE);
    try (var out = Files.newBufferedWriter(configFile, StandardCharsets.UTF_8)) {
      props.store(out, "Written by Ticketgate's EmbeddedKafka at each start; edits are lost");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + configFile, e);
    }
    // kafka-storage's --ignore-formatted still fails on a formatted directory when the cluster id
    // differs, and a new id is all we could give it; the broker validates what is there anyway.
    if (Files.exists(Path.of(props.getProperty("log.dirs")).resolve("meta.properties"))) {
      return;
    }
    ByteArrayOutputStream output = new ByteArrayOutputStream();
    int exitCode;
    try (PrintStream print = new PrintStream(output, true, StandardCharsets.UTF_8)) {
      exitCode =
          StorageTool.execute(
              new String[] {
                "format",
                "--config", configFile.toString(),
                "--cluster-id", Uuid.randomUuid().toString()
              },
              print);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          "cannot format the embedded Kafka directory " + dataDir + ": " + e.getMessage(), e);
    }
    if (exitCode != 0) {
      throw new IllegalStateException(
          "cannot format the embedded Kafka directory "
              + dataDir
              + " (kafka-storage exit code "
              + exitCode
              + "): "
              + output.toString(StandardCharsets.UTF_8).strip());
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Lifecycle helpers

  /**
   * Starts the server with Kafka's exit and halt procedures turned into exceptions. A standalone
   * Kafka halts its JVM on a fatal start-up fault, such as a listener port taken by someone else
   * between our choosing and its binding; halting here would kill the application or test JVM
   * without a word. Outside start-up Kafka's behaviour is left as it is. The procedures are
   * JVM-wide, so starts are serialised.
   */
  private static void startupWithoutHalting(KafkaRaftServer server) {
    synchronized (EmbeddedKafka.class) {
      Exit.Procedure refuse = (code, message) -> {
        throw new FatalStartupFault(code, message);
      };
      Exit.setHaltProcedure(refuse);
      Exit.setExitProcedure(refuse);
      try {
        server.startup();
      } finally {
        Exit.resetHaltProcedure();
        Exit.resetExitProcedure();
      }
    }
  }

  /** Kafka asked to halt or exit the JVM while starting. */
  private static final class FatalStartupFault extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FatalStartupFault(int code, String message) {
      super("Kafka hit a fatal fault while starting and asked to "
          + "terminate the JVM with status " + code
          + (message == null ? "" : " (" + message + ")")
          + "; its ERROR log lines say why");
    }
  }

  /** Runs Kafka's shutdown on its own thread so a hung shutdown cannot hang the caller. */
  private static boolean shutdown(KafkaRaftServer server, Duration timeout) {
    Thread stopper =
        Thread.ofPlatform()
            .name("embedded-kafka-shutdown")
            .daemon()
            .start(
                () -> {
                  server.shutdown();
                  server.awaitShutdown();
                });
    try {
      stopper.join(timeout);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("Interrupted while waiting for embedded Kafka to shut down");
      return false;
    }
    return !stopper.isAlive();
  }

  private static void shutdownQuietly(KafkaRaftServer server) {
    try {
      if (!shutdown(server, CLOSE_TIMEOUT)) {
        log.warn("Embedded Kafka that failed to start did not shut down within {}", CLOSE_TIMEOUT);
      }
    } catch (RuntimeException e) {
      // The start failure is what the caller needs to see; this one is secondary.
      log.warn("Embedded Kafka that failed to start also failed to shut down", e);
    }
  }

  private static void checkPortFree(int port) {
    try (ServerSocket socket = new ServerSocket()) {
      // As Kafka's own listener does; a just-stopped broker's connections in TIME_WAIT are fine.
      socket.setReuseAddress(true);
      socket.bind(new InetSocketAddress(InetAddress.getByName(HOST), port), 1);
    } catch (IOException e) {
      throw new IllegalStateException(
          "embedded Kafka cannot listen on " + HOST + ":" + port + ": a port is already in use ("
              + e.getMessage() + ")",
          e);
    }
  }

  private static int freePort(int... avoid) {
    for (int i = 0; i < 10; i++) {
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
        int candidate = socket.getLocalPort();
        if (java.util.Arrays.stream(avoid).noneMatch(p -> p == candidate)) {
          return candidate;
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot find a free port on " + HOST, e);
      }
    }
    throw new IllegalStateException("cannot find a free port on " + HOST);
  }

  private static boolean causedBy(Throwable e, Class<? extends Throwable> type) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (type.isInstance(t)) {
        return true;
      }
      // Kafka wraps bind failures in a KafkaException whose message is all that remains.
      if (t instanceof KafkaException && String.valueOf(t.getMessage()).contains("bind")) {
        return true;
      }
    }
    return false;
  }

  static void deleteTree(Path root) {
    try {
      Files.walkFileTree(
          root,
          new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
                throws IOException {
              Files.deleteIfExists(file);
              return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException e) throws IOException {
              if (e != null) {
                throw e;
              }
              Files.deleteIfExists(dir);
              return FileVisitResult.CONTINUE;
            }
          });
    } catch (NoSuchFileException e) {
      // Already gone: nothing to clean up.
    } catch (IOException e) {
      log.warn("Cannot delete embedded Kafka directory {}: {}", root, e.toString());
    }
  }

  /**
   * Sets WARN on the broker's loggers unless the application's configuration already chose a
   * level for them. Only Logback is adjusted; with another SLF4J backend its own config rules.
   */
  private static void quietBrokerLoggers() {
    if (!(LoggerFactory.getILoggerFactory() instanceof LoggerContext context)) {
      return;
    }
    for (String name : BROKER_LOGGERS) {
      ch.qos.logback.classic.Logger logger = context.getLogger(name);
      if (logger.getLevel() == null) {
        logger.setLevel(Level.WARN);
      }
    }
    synchronized (context) {
      boolean installed =
          context.getTurboFilterList().stream().anyMatch(f -> f instanceof RoutineBrokerWarnings);
      if (!installed) {
        RoutineBrokerWarnings filter = new RoutineBrokerWarnings();
        filter.setContext(context);
        filter.start();
        context.addTurboFilter(filter);
      }
    }
  }

  /**
   * Drops the two WARN lines Kafka 4.x logs on every start and stop of a healthy single-node
   * cluster, so a clean {@code ticketgate demo} run shows no warnings. Matches those exact
   * messages on their exact loggers only; everything else passes untouched.
   */
  private static final class RoutineBrokerWarnings extends TurboFilter {
    @Override
    public FilterReply decide(
        Marker marker,
        ch.qos.logback.classic.Logger logger,
        Level level,
        String format,
        Object[] params,
        Throwable t) {
      if (format == null || level != Level.WARN) {
        return FilterReply.NEUTRAL;
      }
      boolean routine =
          switch (logger.getName()) {
            // Logged on each start: "the metadata log appears to be empty" on the first one.
            case "org.apache.kafka.controller.QuorumController" ->
                format.contains("Performing controller activation");
            // The broker's controller channel closes its client twice while shutting down.
            case "org.apache.kafka.clients.NetworkClient" ->
                format.contains("NodeToControllerChannelManager")
                    && format.contains("already been closed");
            default -> false;
          };
      return routine ? FilterReply.DENY : FilterReply.NEUTRAL;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Command line

  /**
   * Runs a broker until SIGTERM, or until standard input reaches end of file (so the broker dies
   * with a parent that started it with a pipe). When standard input is {@code /dev/null}, as for
   * a background job in a shell, only a signal stops it. Prints {@code bootstrap=127.0.0.1:PORT}
   * on its own line once clients can connect.
   *
   * <p>Arguments: {@code --port N} (default: a free port), {@code --dir PATH} (default: a
   * temporary directory deleted on exit), {@code --partitions N} (default partition count for
   * auto-created topics).
   */
  public static void main(String[] args) {
    Options options;
    try {
      options = parseArgs(args);
    } catch (IllegalArgumentException e) {
      System.err.println("embedded-kafka: " + e.getMessage());
      System.err.println("usage: EmbeddedKafka [--port N] [--dir PATH] [--partitions N]");
      System.exit(2);
      return;
    }
    EmbeddedKafka kafka;
    try {
      kafka = start(options);
    } catch (RuntimeException e) {
      System.err.println("embedded-kafka: " + e.getMessage());
      e.printStackTrace();
      System.exit(1);
      return;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  kafka.close();
                  stopped.countDown();
                },
                "embedded-kafka-stop"));
    System.out.println("bootstrap=" + kafka.bootstrapServers());
    System.out.flush();
    if (stdinIsDevNull()) {
      awaitForever(stopped);
      return;
    }
    try (InputStream in = System.in) {
      byte[] buffer = new byte[256];
      while (in.read(buffer) >= 0) {
        // Input is ignored; only its end matters.
      }
    } catch (IOException e) {
      log.warn("Cannot read standard input; stopping as if it had closed", e);
    }
    log.info("Standard input closed; stopping embedded Kafka");
    System.exit(0);
  }

  private static Options parseArgs(String[] args) {
    Options.Builder builder = Options.builder();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.equals("--help") || arg.equals("-h")) {
        throw new IllegalArgumentException("help requested");
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException("missing value after " + arg);
      }
      String value = args[++i];
      switch (arg) {
        case "--port" -> builder.port(parseInt(arg, value));
        case "--dir" -> builder.dataDir(Path.of(value));
        case "--partitions" -> builder.numPartitions(parseInt(arg, value));
        default -> throw new IllegalArgumentException("unknown argument " + arg);
      }
    }
    return builder.build();
  }

  private static int parseInt(String arg, String value) {
    try {
      return Integer.parseInt(value);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(arg + " needs a number, got '" + value + "'", e);
    }
  }

  private static boolean stdinIsDevNull() {
    try {
      return Files.readSymbolicLink(Path.of("/proc/self/fd/0")).toString().equals("/dev/null");
    } catch (IOException | UnsupportedOperationException e) {
      // Not Linux, or no /proc: assume a real stdin, the documented default.
      return false;
    }
  }

  private static void awaitForever(CountDownLatch stopped) {
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * How to start an {@link EmbeddedKafka}: build with {@link #builder()}. Immutable.
   *
   * <pre>{@code
   * EmbeddedKafka.start(EmbeddedKafka.Options.builder()
   *     .port(9092).dataDir(Path.of("data/kafka")).numPartitions(4).build());
   * }</pre>
   */
  public static final class Options {
    private final int port;
    private final Path dataDir;
    private final Map<String, String> brokerProperties;
    private final int numPartitions;

    private Options(Builder builder) {
      this.port = builder.port;
      this.dataDir = builder.dataDir;
      this.brokerProperties = Map.copyOf(builder.brokerProperties);
      this.numPartitions = builder.numPartitions;
    }

    /** A builder with the defaults: free port, temporary directory, 1 partition. */
    public static Builder builder() {
      return new Builder();
    }

    @Override
    public String toString() {
      return "Options[port=" + (port == 0 ? "free" : port)
          + ", dataDir=" + (dataDir == null ? "temporary" : dataDir)
          + ", numPartitions=" + numPartitions
          + ", brokerProperties=" + brokerProperties + "]";
    }

    /** Builds {@link Options}; every setter is optional. */
    public static final class Builder {
      private int port;
      private Path dataDir;
      private final Map<String, String> brokerProperties = new LinkedHashMap<>();
      private int numPartitions = 1;

      private Builder() {}

      /** The client port on 127.0.0.1; 0 (the default) picks a free one. */
      public Builder port(int port) {
        if (port < 0 || port > 65535) {
          throw new IllegalArgumentException("port must be 0..65535, got " + port);
        }
        this.port = port;
        return this;
      }

      /**
       * A directory to keep the broker's data in, created if missing and kept on close; starting
       * again on it brings back its topics, records and committed offsets. Default: a temporary
       * directory deleted on close.
       */
      public Builder dataDir(Path dataDir) {
        this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
        return this;
      }

      /**
       * A broker setting ({@code server.properties} syntax) that overrides the embedded defaults,
       * e.g. {@code log.retention.ms}. Listener, node and directory settings are better left
       * alone.
       */
      public Builder brokerProperty(String key, String value) {
        brokerProperties.put(
            Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
        return this;
      }

      /** Several broker settings at once; see {@link #brokerProperty}. */
      public Builder brokerProperties(Map<String, String> properties) {
        properties.forEach(this::brokerProperty);
        return this;
      }

      /** Partition count of topics created automatically on first use; default 1. */
      public Builder numPartitions(int numPartitions) {
        if (numPartitions < 1) {
          throw new IllegalArgumentException(
              "numPartitions must be at least 1, got " + numPartitions);
        }
        this.numPartitions = numPartitions;
        return this;
      }

      /** The options. */
      public Options build() {
        return new Options(this);
      }
    }
  }
}
