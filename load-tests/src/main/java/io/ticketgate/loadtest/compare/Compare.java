package io.ticketgate.loadtest.compare;

import io.ticketgate.embedded.Topics;
import io.ticketgate.loadtest.BrokerLauncher;
import io.ticketgate.loadtest.ChildJvm;
import io.ticketgate.loadtest.Dispatch;
import io.ticketgate.loadtest.RedisLauncher;
import io.ticketgate.loadtest.UsageException;
import java.io.File;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code ./load-test compare} run: starts (or connects to) Kafka and Redis, produces the input
 * once, then runs every arm at every latency in every bot pass, each in its own child JVM with a
 * fresh group and output topic, and verifies and measures each. Everything it starts it stops, also
 * on Ctrl-C.
 */
public final class Compare {

  private static final Logger log = LoggerFactory.getLogger(Compare.class);
  /** Long enough for the bot's JIT to compile its hot path at a few thousand calls a second. */
  private static final Duration PROBE_WARM_UP = Duration.ofSeconds(3);
  private static final Duration PROBE_WINDOW = Duration.ofSeconds(5);
  /** How the parallel consumer module is built, for the "not built" note. */
  static final String PARALLEL_CONSUMER_BUILD =
      "./mvnw -B -ntp -pl load-tests/peers/parallel-consumer package -DskipTests";

  private final CompareOptions options;
  private final PrintStream err;
  private final String runId = Long.toString(System.currentTimeMillis(), 36);
  private final String inputTopic = "cmp-in-" + runId;
  private final Map<String, Long> producedAtMicros = new ConcurrentHashMap<>();
  private final AtomicReference<Process> current = new AtomicReference<>();
  private volatile BrokerLauncher broker;
  private volatile RedisLauncher redisServer;

  /** Prepares a run; {@link #run()} does it. */
  public Compare(CompareOptions options, PrintStream err) {
    this.options = options;
    this.err = err;
  }

  /** Runs every arm and returns the report. Stops everything it started before returning or throwing. */
  public CompareReport run() throws Exception {
    Files.createDirectories(options.out().resolve("logs"));
    Thread hook = new Thread(this::killEverything, "compare-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return runStarted();
    } finally {
      stopEverything();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        log.debug("JVM already shutting down; the hook runs anyway", e);
      }
    }
  }

  private CompareReport runStarted() throws Exception {
    String bootstrap = options.bootstrap();
    if (bootstrap == null) {
      broker = BrokerLauncher.start(options.out().resolve("kafka.log"), options.partitions());
      bootstrap = broker.bootstrap();
      err.println("started " + broker);
    }
    String redis = options.redis();
    if (options.needsRedis() && redis == null) {
      if (!RedisLauncher.available()) {
        throw new UsageException("the arms " + options.arms().stream().filter(ArmKind::needsRedis)
            .map(ArmKind::label).toList() + " need --redis host:port, or redis-server on the PATH so the "
            + "harness can start one");
      }
      redisServer = RedisLauncher.start(options.out().resolve("redis"));
      redis = redisServer.address();
      err.println("started " + redisServer);
    }
    createTopic(bootstrap, inputTopic);
    Map<String, Integer> expected = produce(bootstrap);
    err.printf(Locale.ROOT, "produced %,d records to %s%n", options.total(), inputTopic);

    List<ArmResult> results = new ArrayList<>();
    List<CompareReport.Column> columns = new ArrayList<>();
    List<BotCapacity.Result> capacity = new ArrayList<>();
    Set<ArmKind> ceilingsRun = new HashSet<>();
    for (String bot : options.bots()) {
      for (int latency : options.latencies()) {
        columns.add(new CompareReport.Column(bot, latency));
        if (bot.equals("http") && options.botProbe() && options.arms().stream().anyMatch(a -> !a.ceiling())) {
          BotCapacity.Result probe = BotCapacity.measure(latency, Math.min(options.conversations(),
              BotCapacity.MAX_CALLS_AT_ONCE), PROBE_WARM_UP, PROBE_WINDOW, options.out().resolve("logs"));
          capacity.add(probe);
          err.printf(Locale.ROOT, "%-9s %3d ms  %-28s %-9s %,10.0f calls/s (%d at once, %d failed)%n", bot, latency,
              "bot capacity", "done", probe.callsPerSecond(), probe.callsAtOnce(), probe.failures());
        }
        for (ArmKind arm : options.arms()) {
          if (arm.ceiling() && !ceilingsRun.add(arm)) {
            continue; // no bot: one run stands for every column
          }
          ArmResult r = runArm(arm, bot, latency, bootstrap, redis, expected);
          results.add(r);
          err.printf(Locale.ROOT, "%-9s %3d ms  %-28s %-9s %,10.0f msg/s  %s%n", bot, latency, arm.label(),
              r.status().label(), r.throughput(), r.ran() ? (r.verified() ? "PASS" : "FAIL") : "");
        }
      }
    }
    return CompareReport.of(results, options.arms(), columns, new CompareReport.Setup(options.conversations(),
        options.messages(), options.partitions(), options.maxConcurrency(), options.armBudget().toSeconds(),
        options.stallTimeout().toSeconds(), machine()), capacity);
  }

  private ArmResult runArm(ArmKind arm, String bot, int latency, String bootstrap, String redis,
      Map<String, Integer> expected) throws Exception {
    String id = arm.ceiling() ? arm.label() : bot + "-" + latency + "ms-" + arm.label();
    String topicId = id.replaceAll("[^A-Za-z0-9._-]", "_");
    String output = "cmp-out-" + runId + "-" + topicId;
    Path logs = options.out().resolve("logs");
    Path dispatchLog = logs.resolve(id + ".dispatches.tsv");
    List<String> cmd = armCommand(arm, loadTestsDir());
    if (cmd == null) {
      return ArmResult.notRun(arm, bot, latency, ArmStatus.NOT_BUILT, "no " + parallelConsumerJar(loadTestsDir())
          + "; build it with: " + PARALLEL_CONSUMER_BUILD);
    }
    cmd.addAll(List.of("--bootstrap", bootstrap, "--input", inputTopic, "--group", "cmp-" + runId + "-" + topicId,
        "--expected", Long.toString(options.total()), "--dispatch-log", dispatchLog.toString(),
        "--max-concurrency", Integer.toString(options.maxConcurrency())));
    if (arm.output()) {
      createTopic(bootstrap, output);
      cmd.addAll(List.of("--output", output));
    }
    if (arm.store() != null) {
      cmd.addAll(List.of("--store", arm.store(), "--key-prefix", "cmp" + runId + topicId.replaceAll("[^A-Za-z0-9]", "")));
      if (redis != null) {
        cmd.addAll(List.of("--redis", redis));
      }
    }
    HttpBotProcess httpBot = null;
    try {
      if (!arm.ceiling()) {
        if (bot.equals("http")) {
          boolean ticketgate = arm.store() != null;
          // Only concurrent_redis tickets only grow, so fencing is meaningful only there.
          httpBot = HttpBotProcess.start(latency, "concurrent_redis".equals(arm.store()), ticketgate,
              logs.resolve(id + ".bot-dispatches.tsv"), logs.resolve(id + ".bot.log"));
          cmd.addAll(List.of("--bot", "http:" + httpBot.url()));
        } else {
          cmd.addAll(List.of("--bot", "inprocess:" + latency));
        }
      }
      Files.writeString(logs.resolve(id + ".cmd"), String.join(" ", cmd) + "\n");
      Map<String, Long> redisBefore = arm.needsRedis() ? RedisCalls.commandStats(redis) : null;
      BrokerLauncher b = broker;
      long brokerPid = b == null ? -1 : b.pid();
      long botPid = httpBot == null ? -1 : httpBot.pid();
      CpuUse.Snapshot cpuBefore = CpuUse.Snapshot.take(arm.needsRedis() ? redis : null, brokerPid, botPid);
      ArmProcess process = new ArmProcess(cmd, logs.resolve(id + ".log"), options.stallTimeout(), options.armBudget());
      ArmProgressLine line = new ArmProgressLine(err, options.progress(), (arm.ceiling() ? "" : bot + " " + latency
          + " ms  ") + arm.label(), options.total());
      ArmProcess.Outcome outcome = process.run(current::set, line::update);
      current.set(null);
      CpuUse cpu = cpuBefore.until(CpuUse.Snapshot.take(arm.needsRedis() ? redis : null, brokerPid, botPid),
          outcome.cpuMicros());
      line.finish();
      List<Dispatch> dispatches;
      if (httpBot != null) {
        httpBot.close(); // flushes its dispatch log
        dispatches = httpBot.dispatches();
      } else {
        dispatches = DispatchLogs.read(dispatchLog);
      }
      Set<String> replies = arm.output() ? replies(bootstrap, output) : null;
      ArmResult result = ArmResult.of(arm, bot, latency, outcome, dispatches, replies, producedAtMicros, expected)
          .withCpu(cpu);
      return redisBefore == null ? result
          : result.withRedis(RedisCalls.between(redisBefore, RedisCalls.commandStats(redis), arm.store(),
              outcome.storeSteps()));
    } finally {
      if (httpBot != null) {
        httpBot.close();
      }
      if (arm.output()) {
        deleteTopic(bootstrap, output);
      }
    }
  }

  private static long epochMicros(Instant t) {
    return t.getEpochSecond() * 1_000_000L + t.getNano() / 1000;
  }

  // ---------------------------------------------------------------------------------------------
  // Where the parallel consumer arm lives

  /**
   * The load-tests module directory: the parent of the {@code target/} this harness's jar or
   * classes are in; the working directory's {@code load-tests} when that cannot be told.
   */
  static Path loadTestsDir() {
    try {
      Path code = Path.of(Compare.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      Path target = code.getParent();
      if (target != null && target.getFileName() != null && target.getFileName().toString().equals("target")) {
        return target.getParent();
      }
    } catch (java.net.URISyntaxException | RuntimeException e) {
      log.debug("cannot tell where the harness's classes are; looking in ./load-tests", e);
    }
    return Path.of("load-tests").toAbsolutePath();
  }

  /**
   * The command line of an arm, without its options: a JVM with this class path for the arms in
   * this module, with the parallel consumer module's jar and libraries for that one; null when that
   * jar is not built.
   */
  static List<String> armCommand(ArmKind arm, Path loadTests) {
    List<String> cmd;
    if (arm == ArmKind.PARALLEL_CONSUMER) {
      Path jar = parallelConsumerJar(loadTests);
      if (!Files.isRegularFile(jar)) {
        return null;
      }
      cmd = ChildJvm.command(jar + File.pathSeparator + jar.getParent().resolve("lib").resolve("*"));
    } else {
      cmd = ChildJvm.command();
    }
    cmd.add(arm.mainClass());
    return cmd;
  }

  /** The parallel consumer arm's jar under the load-tests module directory. */
  static Path parallelConsumerJar(Path loadTests) {
    return loadTests.resolve("peers/parallel-consumer/target/ticketgate-load-tests-parallel-consumer.jar");
  }

  // ---------------------------------------------------------------------------------------------
  // Kafka

  private Map<String, Integer> produce(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    AtomicReference<Exception> failed = new AtomicReference<>();
    Map<String, Integer> expected = new LinkedHashMap<>();
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p, new StringSerializer(), new StringSerializer())) {
      // Interleaved as Scenario produces: every conversation has several messages queued at once.
      for (int seq = 1; seq <= options.messages(); seq++) {
        for (int c = 0; c < options.conversations(); c++) {
          String conv = "conv-" + c;
          long micros = epochMicros(Instant.now());
          producedAtMicros.put(conv + "#" + seq, micros);
          expected.put(conv, seq);
          producer.send(new ProducerRecord<>(inputTopic, conv, value(conv, seq, micros)), (meta, e) -> {
            if (e != null) {
              failed.compareAndSet(null, e);
            }
          });
        }
      }
      producer.flush();
    }
    if (failed.get() != null) {
      throw new IllegalStateException("could not produce the input to " + inputTopic + " at " + bootstrap + ": "
          + failed.get().getMessage(), failed.get());
    }
    return expected;
  }

  /** An input record's value: Rasa's REST message with {@code metadata.seq} and {@code produced_at_micros}. */
  static String value(String conv, int seq, long producedAtMicros) {
    return "{\"sender\":\"" + conv + "\",\"message\":\"seq=" + seq + "\",\"metadata\":{\"seq\":" + seq
        + ",\"produced_at_micros\":" + producedAtMicros + "}}";
  }

  /** The {@code conv#seq} keys of every reply on the topic, read from the beginning to its end. */
  private static Set<String> replies(String bootstrap, String topic) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    Set<String> keys = new HashSet<>();
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p, new StringDeserializer(),
        new StringDeserializer())) {
      List<TopicPartition> parts = consumer.partitionsFor(topic, Duration.ofSeconds(30)).stream()
          .map(i -> new TopicPartition(topic, i.partition())).toList();
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(parts, Duration.ofSeconds(30)));
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
      while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
        if (System.nanoTime() > deadline) {
          log.warn("could not read {} to its end within 60 s; replies are undercounted", topic);
          break;
        }
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          long seq = replySeq(r);
          if (seq >= 0) {
            keys.add(r.key() + "#" + seq);
          }
        }
      }
    }
    return keys;
  }

  /** A reply's seq: the {@code lt-seq} header, or {@code seq=<n>} in its text. -1 when neither. */
  static long replySeq(ConsumerRecord<String, String> r) {
    Header h = r.headers().lastHeader(RawClients.SEQ_HEADER);
    if (h != null) {
      try {
        return Long.parseLong(new String(h.value(), StandardCharsets.UTF_8).trim());
      } catch (NumberFormatException e) {
        log.debug("lt-seq header is not a number; reading the text", e);
      }
    }
    String text = r.value() == null ? "" : r.value();
    int at = text.indexOf("seq=");
    if (at < 0) {
      return -1;
    }
    int end = at + 4;
    while (end < text.length() && Character.isDigit(text.charAt(end))) {
      end++;
    }
    return end == at + 4 ? -1 : Long.parseLong(text.substring(at + 4, end));
  }

  private void createTopic(String bootstrap, String topic) {
    try (Admin admin = admin(bootstrap)) {
      Topics.create(admin, topic, options.partitions(), Duration.ofSeconds(60));
    }
  }

  /** Output topics go once counted, so a long run does not pile up partitions on a small broker. */
  private static void deleteTopic(String bootstrap, String topic) {
    try (Admin admin = admin(bootstrap)) {
      admin.deleteTopics(List.of(topic)).all().get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      log.warn("could not delete the output topic {} (left on the broker): {}", topic, e.toString());
    }
  }

  private static Admin admin(String bootstrap) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    return Admin.create(p);
  }

  private static String machine() {
    return Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("java.vm.vendor") + " JDK "
        + Runtime.version() + ", " + System.getProperty("os.name") + " " + System.getProperty("os.arch")
        + ", kafka-clients " + kafkaClientsVersion() + " (parallel consumer: its own)";
  }

  /** From the jar's own version file: the class that reads it moved between Kafka releases. */
  private static String kafkaClientsVersion() {
    try (var in = KafkaConsumer.class.getResourceAsStream("/kafka/kafka-version.properties")) {
      if (in == null) {
        return "unknown";
      }
      Properties p = new Properties();
      p.load(in);
      return p.getProperty("version", "unknown");
    } catch (java.io.IOException e) {
      log.debug("cannot read kafka-clients' version", e);
      return "unknown";
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Cleanup

  private void stopEverything() {
    Process p = current.getAndSet(null);
    if (p != null) {
      p.destroyForcibly();
    }
    RedisLauncher r = redisServer;
    if (r != null) {
      r.close();
    }
    BrokerLauncher b = broker;
    if (b != null) {
      b.close();
    }
  }

  /** The shutdown hook: nothing may outlive the harness. */
  private void killEverything() {
    Process p = current.get();
    if (p != null) {
      p.destroyForcibly();
    }
    RedisLauncher r = redisServer;
    if (r != null) {
      r.close();
    }
    BrokerLauncher b = broker;
    if (b != null) {
      b.kill();
    }
  }
}
