package io.ticketgate.loadtest;

import io.ticketgate.gateway.Gateway;
import io.ticketgate.gateway.Headers;
import io.ticketgate.gateway.config.GatewayConfigs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.GroupState;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One load-test run: starts (or connects to) Kafka and Redis, the {@link RecordingBot} and the
 * gateway replicas, produces the messages, optionally injects faults (SIGKILL a replica, SIGTERM
 * one and wait for its graceful stop, SIGSTOP one for a while, restart Redis), waits until every
 * message was dispatched, then verifies and measures. Everything it starts it stops, also on Ctrl-C.
 */
public final class Scenario {

  private static final Logger log = LoggerFactory.getLogger(Scenario.class);
  private static final Duration REPLY_GRACE = Duration.ofSeconds(15);
  /** How long replicas may take to start and join the consumer group. */
  private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(90);
  /**
   * How long the run goes on after a paused replica was continued, even when everything was
   * dispatched: what the resumed replica still had in flight reaches the bot then, and the
   * verification must see it.
   */
  private static final Duration AFTER_RESUME = Duration.ofSeconds(3);
  /** Every replica's {@code dispatch.shutdown_timeout}: how long a stop waits for the work in flight. */
  static final Duration SHUTDOWN_TIMEOUT = Duration.ofSeconds(5);
  /**
   * How long a SIGTERMed replica may take to exit: its shutdown timeout, the 30 s the gateway's stop
   * waits beyond that for the poll thread (which gives late work back, commits and closes its Kafka
   * clients within it), and 10 s to close the store, the bot client and the JVM. A replica still
   * running then hangs in its stop, which fails the run.
   */
  static final Duration TERM_EXIT_BOUND = SHUTDOWN_TIMEOUT.plusSeconds(40);

  private final ScenarioOptions options;
  private final PrintStream err;
  private final String runId = Long.toString(System.currentTimeMillis(), 36);
  private final String inputTopic = "lt-in-" + runId;
  private final String outputTopic = "lt-out-" + runId;
  private final String dlqTopic = "lt-dlq-" + runId;
  private final List<AutoCloseable> resources = Collections.synchronizedList(new ArrayList<>());
  private final List<Process> processes = Collections.synchronizedList(new ArrayList<>());
  private final List<Gateway> gateways = Collections.synchronizedList(new ArrayList<>());
  /** Each child replica's metrics port, by name (a restarted replica gets a new one). */
  private final Map<String, Integer> metricsPorts = new ConcurrentHashMap<>();
  private volatile BrokerLauncher broker;
  /** The replica stopped by SIGSTOP right now, if any: it must be continued before it can be stopped. */
  private volatile Process paused;
  private final List<Fault> faults = Collections.synchronizedList(new ArrayList<>());
  private final Map<String, Long> producedAtMicros = new ConcurrentHashMap<>();
  private final List<Reply> replies = Collections.synchronizedList(new ArrayList<>());
  private final AtomicLong deadLetters = new AtomicLong();
  private final AtomicBoolean consuming = new AtomicBoolean(true);

  /** A reply record seen on the output topic. */
  record Reply(String conversation, long seq, long timestampMillis, long lockWaitMillis) {}

  /** What the run observed, for the {@link Report}. */
  public record Outcome(ScenarioOptions options, List<Dispatch> dispatches, List<Reply> replies,
      Map<String, Long> producedAtMicros, long deadLetters, long fenced, long produceStartNanos,
      List<Fault> faults, boolean timedOut, Map<String, Integer> expected, ExpiryWaits expiryWaits) {}

  /** Prepares a run; {@link #run()} does it. */
  public Scenario(ScenarioOptions options, PrintStream err) {
    this.options = options;
    this.err = err;
  }

  /**
   * Runs the scenario and returns what it observed. Stops everything it started before returning
   * or throwing.
   */
  public Outcome run() throws Exception {
    Files.createDirectories(options.out());
    Thread hook = new Thread(this::killEverything, "load-test-cleanup");
    Runtime.getRuntime().addShutdownHook(hook);
    try {
      return runStarted();
    } finally {
      consuming.set(false);
      stopEverything();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        log.debug("JVM already shutting down; the hook runs anyway", e);
      }
    }
  }

  private Outcome runStarted() throws Exception {
    String bootstrap = options.bootstrap() != null ? options.bootstrap() : startBroker();
    String redis = options.redis();
    RedisLauncher launched = null;
    if (!options.store().equals("in_memory") && redis == null) {
      if (!RedisLauncher.available()) {
        throw new UsageException("--store " + options.store() + " needs --redis host:port, or redis-server "
            + "on the PATH so the harness can start one");
      }
      launched = RedisLauncher.start(options.out().resolve("redis"));
      resources.add(launched);
      redis = launched.address();
      err.println("started " + launched);
    }
    createTopics(bootstrap);
    boolean fencing = options.store().equals("concurrent_redis");
    RecordingBot bot = RecordingBot.start(LatencyModel.parse(options.botLatency()), fencing, true,
        options.botWorkers());
    resources.add(bot);
    Map<String, Gateway> inProcess = new LinkedHashMap<>();
    Map<String, Process> children = new LinkedHashMap<>();
    for (int r = 1; r <= options.replicas(); r++) {
      String name = "r" + r;
      Path config = writeConfig(name, bootstrap, redis, bot);
      if (options.inProcess()) {
        Gateway g = Gateway.start(GatewayConfigs.load(config, null));
        gateways.add(g);
        inProcess.put(name, g);
      } else {
        children.put(name, startReplica(name, config));
      }
    }
    startOutputConsumers(bootstrap);
    awaitSettledGroup(bootstrap, children);
    Map<String, Integer> expected = new LinkedHashMap<>();
    for (int c = 0; c < options.conversations(); c++) {
      expected.put(conversation(c), options.messages());
    }
    long produceStart = System.nanoTime();
    Thread producer = Thread.ofVirtual().name("load-test-producer").start(() -> produce(bootstrap));
    long total = options.total();
    long deadline = System.nanoTime() + options.timeout().toNanos();
    String killed = null;
    String stopped = null;
    Process stopping = null;
    long termSent = -1;
    long termExited = -1;
    int restarts = 0;
    String pausedName = null;
    long pauseStart = -1;
    long resumedAt = -1;
    Thread redisRestart = null;
    java.util.concurrent.atomic.AtomicReference<Exception> redisFailure = new java.util.concurrent.atomic.AtomicReference<>();
    Progress progress = new Progress(err, total, options.progress());
    while (System.nanoTime() < deadline) {
      int done = bot.distinctDelivered();
      boolean pauseOpen = pauseStart >= 0 && (resumedAt < 0 || System.nanoTime() - resumedAt < AFTER_RESUME.toNanos());
      boolean redisOpen = redisRestart != null && redisRestart.isAlive();
      // A stopping replica may answer the last messages while it drains: its exit must still be seen.
      boolean termOpen = termSent >= 0 && termExited < 0;
      if (done >= total && !pauseOpen && !redisOpen && !termOpen) {
        break;
      }
      if (killed == null && options.killReplicaAt() >= 0 && done >= options.killReplicaAt() * total) {
        killed = children.keySet().iterator().next();
        Process victim = children.get(killed);
        // destroyForcibly is SIGKILL on Linux: no shutdown hook, no ticket release, no commit.
        victim.destroyForcibly();
        victim.waitFor(10, TimeUnit.SECONDS);
        long killNanos = System.nanoTime();
        faults.add(new Fault("kill", killed, killNanos, killNanos, "SIGKILL " + killed
            + (options.restart() ? ", restarted" : "")));
        progress.note("SIGKILLed replica " + killed + " (pid " + victim.pid() + ") at " + done + "/" + total);
        if (options.restart()) {
          restarts++;
          String again = killed + "-restart" + restarts;
          children.put(again, startReplica(again, writeConfig(again, bootstrap, redis, bot)));
          progress.note("restarted it as " + again);
        }
      }
      if (stopped == null && options.termReplicaAt() >= 0 && done >= options.termReplicaAt() * total) {
        stopped = children.keySet().iterator().next();
        stopping = children.get(stopped);
        // destroy is SIGTERM on Linux: the replica's own handler drains, releases, commits and exits.
        stopping.destroy();
        termSent = System.nanoTime();
        progress.note("SIGTERMed replica " + stopped + " (pid " + stopping.pid() + ") at " + done + "/" + total
            + "; waiting up to " + TERM_EXIT_BOUND.toSeconds() + " s for it to stop");
      }
      if (termOpen && !stopping.isAlive()) {
        termExited = System.nanoTime();
        int code = stopping.exitValue();
        if (code != 0) {
          throw new IllegalStateException("replica " + stopped + " exited with " + code + " after SIGTERM, where a "
              + "graceful stop exits 0; see " + options.out().resolve(stopped + ".log"));
        }
        long tookMillis = Math.round((termExited - termSent) / 1e6);
        faults.add(new Fault("term", stopped, termSent, termExited, "SIGTERM " + stopped + ", exited 0 after "
            + tookMillis + " ms" + (options.restart() ? ", restarted" : "")));
        progress.note("replica " + stopped + " stopped after " + tookMillis + " ms, at " + bot.distinctDelivered()
            + "/" + total);
        if (options.restart()) {
          restarts++;
          String again = stopped + "-restart" + restarts;
          children.put(again, startReplica(again, writeConfig(again, bootstrap, redis, bot)));
          progress.note("restarted it as " + again);
        }
      } else if (termOpen && System.nanoTime() - termSent > TERM_EXIT_BOUND.toNanos()) {
        stopping.destroyForcibly();
        throw new IllegalStateException("replica " + stopped + " (pid " + stopping.pid() + ") did not exit within "
            + TERM_EXIT_BOUND.toSeconds() + " s of SIGTERM (shutdown_timeout " + SHUTDOWN_TIMEOUT.toSeconds()
            + " s, plus the gateway's own bound for stopping its poll thread and closing); SIGKILLed it; see "
            + options.out().resolve(stopped + ".log"));
      }
      if (pausedName == null && options.pauseReplicaAt() >= 0 && done >= options.pauseReplicaAt() * total) {
        // The killed replica is the first; a pause in the same run hits the last one.
        pausedName = options.killReplicaAt() >= 0 ? "r" + options.replicas() : "r1";
        Process victim = children.get(pausedName);
        signal(victim, "STOP");
        paused = victim;
        pauseStart = System.nanoTime();
        progress.note("SIGSTOPped replica " + pausedName + " (pid " + victim.pid() + ") at " + done + "/" + total
            + " for " + options.pause().toMillis() + " ms");
      }
      if (pauseStart >= 0 && resumedAt < 0 && System.nanoTime() - pauseStart >= options.pause().toNanos()) {
        signal(paused, "CONT");
        paused = null;
        resumedAt = System.nanoTime();
        faults.add(new Fault("pause", pausedName, pauseStart, resumedAt, "SIGSTOP " + pausedName + " for "
            + Math.round((resumedAt - pauseStart) / 1e6) + " ms"));
        progress.note("SIGCONTinued replica " + pausedName + " at " + bot.distinctDelivered() + "/" + total);
      }
      if (redisRestart == null && options.restartRedisAt() >= 0 && done >= options.restartRedisAt() * total) {
        RedisLauncher server = launched;
        progress.note("stopping redis-server (SHUTDOWN SAVE) at " + done + "/" + total + " for "
            + options.redisDown().toMillis() + " ms");
        redisRestart = Thread.ofVirtual().name("load-test-redis-restart").start(() -> {
          long stop = System.nanoTime();
          try {
            long back = server.restart(options.redisDown());
            faults.add(new Fault("redis-restart", null, stop, back, "redis-server stopped (SHUTDOWN SAVE) and "
                + "started again after " + Math.round((back - stop) / 1e6) + " ms"));
          } catch (Exception e) {
            redisFailure.set(e);
          }
        });
      }
      if (redisFailure.get() != null) {
        throw new IllegalStateException("restarting redis-server failed: " + redisFailure.get().getMessage(),
            redisFailure.get());
      }
      for (Map.Entry<String, Process> e : children.entrySet()) {
        if (!e.getKey().equals(killed) && !e.getKey().equals(stopped) && !e.getValue().isAlive()) {
          throw new IllegalStateException("replica " + e.getKey() + " exited with " + e.getValue().exitValue()
              + " on its own; see " + options.out().resolve(e.getKey() + ".log"));
        }
      }
      progress.update(done, bot.fencedCount(), deadLetters.get());
      Thread.sleep(100);
    }
    if (paused != null) {
      signal(paused, "CONT"); // timed out while paused: the report says so, and the replica must be able to stop
      paused = null;
    }
    boolean timedOut = bot.distinctDelivered() < total;
    progress.update(bot.distinctDelivered(), bot.fencedCount(), deadLetters.get());
    progress.finish(timedOut ? "timed out after " + options.timeout().toSeconds() + " s" : "all dispatched");
    producer.join(Duration.ofSeconds(30));
    // Replies are published after the bot answers; give the last ones time to arrive.
    long replyDeadline = System.nanoTime() + REPLY_GRACE.toNanos();
    while (!timedOut && distinctReplies() < total && System.nanoTime() < replyDeadline) {
      Thread.sleep(100);
    }
    List<Fault> injected;
    synchronized (faults) {
      injected = new ArrayList<>(faults);
    }
    injected.sort(java.util.Comparator.comparingLong(Fault::startNanos));
    List<Integer> ports = new ArrayList<>(metricsPorts.values());
    inProcess.values().forEach(g -> ports.add(g.metricsPort()));
    ExpiryWaits expiryWaits = ExpiryWaits.scrape(ports, err);
    return new Outcome(options, bot.dispatches(), new ArrayList<>(replies), producedAtMicros, deadLetters.get(),
        bot.fencedCount(), produceStart, injected, timedOut, expected, expiryWaits);
  }

  /** Sends SIGSTOP or SIGCONT to a replica the harness started (the JDK has no API for either). */
  private static void signal(Process p, String signal) throws IOException, InterruptedException {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).redirectErrorStream(true).start();
    String said = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -" + signal + " " + p.pid() + " failed: " + said);
    }
  }

  private long distinctReplies() {
    synchronized (replies) {
      return replies.stream().map(r -> r.conversation() + "#" + r.seq()).distinct().count();
    }
  }

  static String conversation(int index) {
    return "conv-" + index;
  }

  // ---------------------------------------------------------------------------------------------
  // Processes

  private String startBroker() throws IOException, InterruptedException {
    BrokerLauncher launched = BrokerLauncher.start(options.out().resolve("kafka.log"), options.partitions());
    this.broker = launched;
    err.println("started " + launched);
    return launched.bootstrap();
  }

  private Process startReplica(String name, Path config) throws IOException {
    List<String> cmd = ChildJvm.command();
    cmd.addAll(List.of("io.ticketgate.gateway.cli.Main", "run", "--config", config.toString()));
    Path logFile = options.out().resolve(name + ".log");
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null"))).start();
    processes.add(p);
    err.println("started replica " + name + " (pid " + p.pid() + ", log " + logFile + ")");
    return p;
  }

  private Path writeConfig(String name, String bootstrap, String redis, RecordingBot bot) throws IOException {
    long lifetime = Math.max(1, options.lockLifetime().toSeconds());
    StringBuilder y = new StringBuilder();
    y.append("kafka:\n");
    y.append("  bootstrap_servers: \"").append(bootstrap).append("\"\n");
    y.append("  group_id: ").append(groupId()).append('\n');
    y.append("  input_topics: [").append(inputTopic).append("]\n");
    y.append("  output_topic: ").append(outputTopic).append('\n');
    y.append("  dead_letter_topic: ").append(dlqTopic).append('\n');
    y.append("  consumer: {session.timeout.ms: \"").append(ScenarioOptions.SESSION_TIMEOUT.toMillis())
        .append("\", heartbeat.interval.ms: \"1000\"}\n");
    y.append("lock_store:\n");
    y.append("  type: ").append(options.store()).append('\n');
    if (redis != null && !options.store().equals("in_memory")) {
      int colon = redis.lastIndexOf(':');
      if (colon < 1) {
        throw new IllegalArgumentException("--redis was '" + redis + "' but must be host:port");
      }
      y.append("  host: \"").append(redis, 0, colon).append("\"\n");
      y.append("  port: ").append(redis.substring(colon + 1)).append('\n');
      y.append("  key_prefix: lt").append(runId).append('\n');
    }
    y.append("  lock_lifetime: ").append(lifetime).append('\n');
    y.append("  keep_alive: true\n");
    y.append("bot:\n");
    y.append("  type: rasa\n");
    y.append("  url: ").append(bot.url()).append('\n');
    y.append("  timeout: 30\n");
    y.append("  concurrency: ").append(options.botConcurrency()).append('\n');
    y.append("  headers: {").append(RecordingBot.REPLICA_HEADER).append(": ").append(name).append("}\n");
    y.append("dispatch:\n");
    y.append("  lock_lifetime: ").append(lifetime).append('\n');
    y.append("  commit_interval: 0.5\n");
    y.append("  shutdown_timeout: ").append(SHUTDOWN_TIMEOUT.toSeconds()).append('\n');
    y.append("metrics:\n");
    y.append("  host: 127.0.0.1\n");
    y.append("  port: ").append(options.inProcess() ? 0 : freeMetricsPort(name)).append('\n');
    Path file = options.out().resolve(name + "-gateway.yml");
    Files.writeString(file, y.toString());
    return file;
  }

  /** A free loopback port for a child replica's metrics, remembered so the run can read them at the end. */
  private int freeMetricsPort(String name) throws IOException {
    try (java.net.ServerSocket socket = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      metricsPorts.put(name, socket.getLocalPort());
      return socket.getLocalPort();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Kafka

  private void createTopics(String bootstrap) throws Exception {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      admin.createTopics(List.of(new NewTopic(inputTopic, options.partitions(), (short) 1),
          new NewTopic(outputTopic, options.partitions(), (short) 1),
          new NewTopic(dlqTopic, 1, (short) 1))).all().get(60, TimeUnit.SECONDS);
    }
  }

  /**
   * Waits until every replica has joined the consumer group and holds partitions, before anything is
   * produced. Otherwise the first replica to start takes every partition, gives half of them up a
   * second later, and a fault injected early lands on a replica that has not dispatched anything
   * yet; the throughput chart would also start with the start-up time of the JVMs.
   */
  private void awaitSettledGroup(String bootstrap, Map<String, Process> children) throws Exception {
    String group = groupId();
    int owners = Math.min(options.replicas(), options.partitions());
    long deadline = System.nanoTime() + STARTUP_TIMEOUT.toNanos();
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    try (Admin admin = Admin.create(p)) {
      String last = "not described yet";
      while (System.nanoTime() < deadline) {
        for (Map.Entry<String, Process> child : children.entrySet()) {
          if (!child.getValue().isAlive()) {
            throw new IllegalStateException("replica " + child.getKey() + " exited with "
                + child.getValue().exitValue() + " while joining the group; see its log in " + options.out());
          }
        }
        ConsumerGroupDescription d;
        try {
          d = admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof GroupIdNotFoundException)) {
            throw e;
          }
          last = "no replica has joined yet";
          Thread.sleep(200);
          continue;
        }
        long holding = d.members().stream().filter(m -> !m.assignment().topicPartitions().isEmpty()).count();
        last = d.groupState() + ", " + d.members().size() + " member(s), " + holding + " holding partitions";
        if (d.groupState() == GroupState.STABLE && d.members().size() == options.replicas() && holding >= owners) {
          return;
        }
        Thread.sleep(200);
      }
      throw new IllegalStateException("the " + options.replicas() + " replica(s) did not settle in consumer group "
          + group + " within " + STARTUP_TIMEOUT.toSeconds() + " s (" + last + "); see their logs in " + options.out());
    }
  }

  private String groupId() {
    return "loadtest-" + runId;
  }

  private void produce(String bootstrap) {
    Properties p = new Properties();
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, "5");
    p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
    try (KafkaProducer<String, String> producer = new KafkaProducer<>(p)) {
      // Interleaved: every conversation has several messages queued at once, so tickets contend.
      for (int seq = 1; seq <= options.messages(); seq++) {
        for (int c = 0; c < options.conversations(); c++) {
          String conv = conversation(c);
          Instant now = Instant.now();
          long micros = now.getEpochSecond() * 1_000_000L + now.getNano() / 1_000;
          producedAtMicros.put(conv + "#" + seq, micros);
          String value = "{\"sender\":\"" + conv + "\",\"message\":\"seq=" + seq + "\",\"metadata\":{\"seq\":" + seq
              + ",\"produced_at\":" + micros + "}}";
          producer.send(new ProducerRecord<>(inputTopic, conv, value), (meta, e) -> {
            if (e != null) {
              log.error("cannot produce {} seq to {}", conv, inputTopic, e);
            }
          });
        }
      }
      producer.flush();
    }
  }

  private void startOutputConsumers(String bootstrap) {
    Thread.ofPlatform().daemon().name("load-test-replies").start(() -> consume(bootstrap, outputTopic, r -> {
      String text = r.value() == null ? "" : r.value();
      int at = text.indexOf("seq=");
      long seq = -1;
      if (at >= 0) {
        int end = at + 4;
        while (end < text.length() && Character.isDigit(text.charAt(end))) {
          end++;
        }
        seq = Long.parseLong(text.substring(at + 4, end));
      }
      Header wait = r.headers().lastHeader(Headers.LOCK_WAIT_MS);
      long waitMs = wait == null ? -1 : Long.parseLong(new String(wait.value(), StandardCharsets.UTF_8).trim());
      replies.add(new Reply(r.key(), seq, r.timestamp(), waitMs));
    }));
    Thread.ofPlatform().daemon().name("load-test-dead-letters")
        .start(() -> consume(bootstrap, dlqTopic, r -> deadLetters.incrementAndGet()));
  }

  private void consume(String bootstrap, String topic,
      java.util.function.Consumer<ConsumerRecord<String, String>> sink) {
    Properties p = new Properties();
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(p)) {
      List<TopicPartition> parts = new ArrayList<>();
      for (PartitionInfo info : consumer.partitionsFor(topic, Duration.ofSeconds(30))) {
        parts.add(new TopicPartition(topic, info.partition()));
      }
      consumer.assign(parts);
      consumer.seekToBeginning(parts);
      while (consuming.get()) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          sink.accept(r);
        }
      }
    } catch (RuntimeException e) {
      log.error("stopped reading {} at {}: the report will miss what came after", topic, bootstrap, e);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Cleanup

  private void stopEverything() {
    continuePaused();
    // Replicas first, while Kafka and Redis are still there for them to release and commit; then
    // the bot and Redis; the broker last.
    List<Gateway> gs;
    synchronized (gateways) {
      gs = new ArrayList<>(gateways);
    }
    for (Gateway g : gs) {
      g.close();
    }
    List<Process> all;
    synchronized (processes) {
      all = new ArrayList<>(processes);
    }
    all.forEach(Process::destroy);
    all.forEach(Scenario::awaitExit);
    List<AutoCloseable> rs;
    synchronized (resources) {
      rs = new ArrayList<>(resources);
    }
    Collections.reverse(rs);
    for (AutoCloseable r : rs) {
      try {
        r.close();
      } catch (Exception e) {
        log.warn("cannot close {}: {}", r, e.getMessage(), e);
      }
    }
    BrokerLauncher b = broker;
    if (b != null) {
      b.close();
    }
  }

  private static void awaitExit(Process p) {
    if (ChildJvm.awaitExitOrKill(p, Duration.ofSeconds(15))) {
      log.warn("pid {} did not stop within 15 s of SIGTERM; killed it", p.pid());
    }
  }

  /** A stopped replica would sit on SIGTERM until continued: continue it first. */
  private void continuePaused() {
    Process p = paused;
    if (p != null && p.isAlive()) {
      try {
        signal(p, "CONT");
      } catch (IOException | InterruptedException | IllegalStateException e) {
        log.warn("cannot SIGCONT paused replica pid {}; it is killed instead: {}", p.pid(), e.toString());
        p.destroyForcibly();
      }
    }
  }

  /** The shutdown hook: no time for manners, but nothing may outlive the harness. */
  private void killEverything() {
    continuePaused();
    synchronized (processes) {
      processes.forEach(Process::destroyForcibly);
    }
    BrokerLauncher b = broker;
    if (b != null) {
      b.kill();
    }
  }

  /** A one-line progress bar on stderr, redrawn in place. */
  static final class Progress {
    private final PrintStream err;
    private final long total;
    private final boolean enabled;
    private final long start = System.nanoTime();
    private long lastDraw;

    Progress(PrintStream err, long total, boolean enabled) {
      this.err = err;
      this.total = total;
      this.enabled = enabled;
    }

    void update(long done, long fenced, long dead) {
      long now = System.nanoTime();
      // Twice a second is lively enough, and keeps a redirected stderr readable.
      if (!enabled || (done < total && now - lastDraw < 500_000_000L)) {
        return;
      }
      lastDraw = now;
      int width = 30;
      int filled = (int) (width * done / Math.max(1, total));
      double secs = (System.nanoTime() - start) / 1e9;
      err.printf(java.util.Locale.ROOT, "\r[%s%s] %d/%d  %.0f msg/s  fenced %d  dead letters %d   ",
          "#".repeat(filled), " ".repeat(width - filled), done, total, done / Math.max(0.001, secs), fenced, dead);
      err.flush();
    }

    void note(String line) {
      err.println((enabled ? "\n" : "") + line);
    }

    void finish(String line) {
      err.println((enabled ? "\n" : "") + line);
    }
  }
}
