package io.ticketgate.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ticketgate.gateway.config.KafkaSettings.ConversationIdSource;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and checking {@code gateway.yml} (and the lock store of Rasa's {@code endpoints.yml}); no servers. */
class GatewayConfigsTest {

  /** Surely absent from any environment, so a reference to it is an unset variable. */
  private static final String UNSET = "TICKETGATE_TEST_UNSET_VARIABLE_7F3A";

  @TempDir Path dir;

  private Path file(String name, String yaml) throws IOException {
    return Files.writeString(dir.resolve(name), yaml);
  }

  private GatewayConfigs.Result check(String yaml) throws IOException {
    return GatewayConfigs.check(file("gateway.yml", yaml), null);
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> parse(String yaml) throws IOException {
    Object root = new ObjectMapper(new YAMLFactory()).readValue(yaml, Object.class);
    return root == null ? Map.of() : (Map<String, Object>) root;
  }

  private static GatewayConfigs.Result checkWithEnv(String yaml, Map<String, String> env) throws IOException {
    Function<String, String> lookup = env::get;
    return GatewayConfigs.check(parse(yaml), "gateway.yml", null, null, lookup);
  }

  // --- Defaults --------------------------------------------------------------------------------

  @Test
  void withoutAFileEverythingHasItsDefault() {
    GatewayConfig d = GatewayConfigs.defaults();

    KafkaSettings k = d.kafka();
    assertThat(k.bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(k.groupId()).isEqualTo("ticketgate");
    assertThat(k.inputTopics()).containsExactly("user-messages");
    assertThat(k.outputTopic()).isEqualTo("bot-replies");
    assertThat(k.deadLetterTopic()).isEqualTo("ticketgate-dead-letters");
    assertThat(k.conversationId()).isEqualTo(ConversationIdSource.key());
    assertThat(k.maxMessageBytes()).isEqualTo(1 << 20);
    assertThat(k.consumer()).isEmpty();
    assertThat(k.producer()).isEmpty();

    assertThat(d.lockStore()).as("empty means the in-memory store").isEmpty();
    assertThat(d.lockStoreSource()).isNull();

    assertThat(d.bot().type()).isEqualTo("rasa");
    assertThat(d.bot().url()).isEqualTo(URI.create("http://localhost:5005"));
    assertThat(d.bot().timeout()).isEqualTo(Duration.ofSeconds(30));
    assertThat(d.bot().headers()).isEmpty();

    assertThat(d.dispatch()).isEqualTo(DispatchSettings.defaults());
    assertThat(d.metrics()).isEqualTo(new MetricsSettings(true, "0.0.0.0", 9404));
    assertThat(d.logging()).isEqualTo(LoggingSettings.defaults());
  }

  @Test
  void theDefaultInMemoryStoreWarnsThatReplicasWillNotCoordinate() {
    GatewayConfigs.Result r = GatewayConfigs.check(null, null);

    assertThat(r.isValid()).isTrue();
    assertThat(r.problems()).isEmpty();
    assertThat(r.config()).isEqualTo(GatewayConfigs.defaults());
    assertThat(r.warnings()).singleElement().satisfies(w -> assertThat(w)
        .contains("in-memory store").contains("replicas").contains("concurrent_redis"));
  }

  @Test
  void anEmptyFileIsTheDefaults() throws IOException {
    GatewayConfigs.Result r = check("# nothing configured yet\n");

    assertThat(r.problems()).isEmpty();
    assertThat(r.config()).usingRecursiveComparison().ignoringFields("lockStoreSource")
        .isEqualTo(GatewayConfigs.defaults());
  }

  @Test
  void aKeyWrittenTwiceIsAProblemNotTheLastOneWinning() throws IOException {
    GatewayConfigs.Result r = check("kafka:\n  group_id: a\n  group_id: b\n");

    assertThat(r.config()).isNull();
    assertThat(r.problems()).singleElement().asString().containsIgnoringCase("duplicate").contains("group_id")
        .contains("(line 3, column").doesNotContain("\n");
  }

  @Test
  void kafkaPropertiesGoToEveryClientAndThePerClientMapsOverrideThem() throws IOException {
    GatewayConfigs.Result r = check("""
        kafka:
          properties: {security.protocol: SASL_SSL, client.rack: a}
          consumer: {client.rack: b}
          producer: {compression.type: zstd}
        """);

    assertThat(r.problems()).isEmpty();
    assertThat(r.config().kafka().consumer()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("client.rack", "b").doesNotContainKey("compression.type");
    assertThat(r.config().kafka().producer()).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("client.rack", "a").containsEntry("compression.type", "zstd");
  }

  @Test
  void aKeyTicketgateSetsItselfIsRefusedInKafkaPropertiesOnce() throws IOException {
    GatewayConfigs.Result r = check("kafka: {properties: {bootstrap.servers: 'x:1', acks: '1'}}\n");

    assertThat(r.problems()).hasSize(2);
    assertProblem(r.problems(), "kafka.properties.bootstrap.servers", "'x:1'", "set by Ticketgate itself");
    assertProblem(r.problems(), "kafka.properties.acks", "'1'", "set by Ticketgate itself");
  }

  @Test
  void loggingTakesARootLevelAndLevelsPerLogger() throws IOException {
    GatewayConfigs.Result ok = check("logging: {level: WARN, loggers: {io.ticketgate.store: debug}}\n");
    assertThat(ok.problems()).isEmpty();
    assertThat(ok.config().logging()).isEqualTo(new LoggingSettings("text", "WARN",
        Map.of("io.ticketgate.store", "debug")));

    GatewayConfigs.Result bad = check("logging: {level: loud, loggers: {io.ticketgate: chatty}}\n");
    assertProblem(bad.problems(), "logging.level", "'loud'", "must be one of");
    assertProblem(bad.problems(), "logging.loggers.io.ticketgate", "'chatty'", "must be one of");
  }

  @Test
  void anUnknownSectionGetsASuggestion() throws IOException {
    GatewayConfigs.Result r = check("kafak:\n  group_id: a\n");

    assertThat(r.warnings()).anySatisfy(w -> assertThat(w).contains("'kafak'").contains("did you mean 'kafka'"));
  }

  // --- A full file -----------------------------------------------------------------------------

  @Test
  void aFullValidFileIsReadIntoTheRecords() throws IOException {
    Path path = file("gateway.yml", """
        kafka:
          bootstrap_servers: [broker-1:9092, broker-2:9092]
          group_id: support-bots
          input_topics: [web-chat, whatsapp.in]
          output_topic: bot_replies
          dead_letter_topic: bot-replies.dlq
          conversation_id: {source: header, header: conversation-id}
          max_message_bytes: 65536
          consumer: {security.protocol: SASL_SSL, max.poll.interval.ms: 600000}
          producer: {compression.type: zstd}
        lock_store: {type: concurrent_redis, host: redis.internal, port: 6380, db: 2, lock_lifetime: 90}
        bot:
          type: http
          url: https://bots.example.com/handle
          timeout: 12.5
          headers: {Authorization: Bearer abc}
        dispatch:
          max_in_flight: 200
          retries: 5
          retry_backoff: 0.5
          retry_backoff_max: 20
          lock_lifetime: 45
          lock_max_wait: 120
          shutdown_timeout: 15
          revocation_timeout: 8
          commit_interval: 2
        metrics: {enabled: false, host: 127.0.0.1, port: 9500}
        logging: {format: JSON}
        """);

    GatewayConfigs.Result r = GatewayConfigs.check(path, null);

    assertThat(r.problems()).isEmpty();
    assertThat(r.warnings()).isEmpty();
    GatewayConfig c = r.config();
    assertThat(c.kafka()).isEqualTo(new KafkaSettings("broker-1:9092,broker-2:9092", "support-bots",
        List.of("web-chat", "whatsapp.in"), "bot_replies", "bot-replies.dlq",
        new ConversationIdSource(ConversationIdSource.Kind.HEADER, "conversation-id"), 65536,
        Map.of("security.protocol", "SASL_SSL", "max.poll.interval.ms", "600000"),
        Map.of("compression.type", "zstd")));
    assertThat(c.lockStore()).containsExactlyInAnyOrderEntriesOf(Map.of(
        "type", "concurrent_redis", "host", "redis.internal", "port", 6380, "db", 2, "lock_lifetime", 90));
    assertThat(c.lockStoreSource()).isEqualTo(path.toString());
    assertThat(c.bot().type()).isEqualTo("http");
    assertThat(c.bot().url()).isEqualTo(URI.create("https://bots.example.com/handle"));
    assertThat(c.bot().timeout()).isEqualTo(Duration.ofMillis(12_500));
    assertThat(c.bot().headers()).isEqualTo(Map.of("Authorization", "Bearer abc"));
    assertThat(c.bot().section()).containsEntry("type", "http").containsKey("headers");
    assertThat(c.dispatch()).isEqualTo(new DispatchSettings(200, 5, Duration.ofMillis(500), Duration.ofSeconds(20),
        Duration.ofSeconds(45), Duration.ofSeconds(120), Duration.ofSeconds(15), Duration.ofSeconds(8),
        Duration.ofSeconds(2)));
    assertThat(c.metrics()).isEqualTo(new MetricsSettings(false, "127.0.0.1", 9500));
    assertThat(c.logging().format()).isEqualTo("json");

    assertThat(GatewayConfigs.load(path, null)).isEqualTo(c);
  }

  @Test
  void conversationIdsFromAJsonFieldDefaultToSender() throws IOException {
    assertThat(check("kafka: {conversation_id: {source: json_field}}\n").config().kafka().conversationId())
        .isEqualTo(new ConversationIdSource(ConversationIdSource.Kind.JSON_FIELD, "sender"));
    assertThat(check("kafka: {conversation_id: {source: JSON_FIELD, field: user}}\n").config().kafka()
        .conversationId()).isEqualTo(new ConversationIdSource(ConversationIdSource.Kind.JSON_FIELD, "user"));
  }

  @Test
  void builtInBotTypesAreCaseInsensitiveAsBotHandlersTreatsThem() throws IOException {
    GatewayConfigs.Result rasa = check("bot: {type: Rasa}\n");
    assertThat(rasa.problems()).isEmpty();
    assertThat(rasa.config().bot().type()).isEqualTo("rasa");
    assertThat(rasa.config().bot().url()).as("Rasa's default URL").isEqualTo(URI.create("http://localhost:5005"));

    GatewayConfigs.Result http = check("bot: {type: HTTP, url: 'ftp://bots'}\n");
    assertThat(http.problems()).singleElement().satisfies(p -> assertThat(p)
        .contains("bot.url").contains("'ftp://bots'").contains("http:// or https://"));
  }

  @Test
  void eachBootstrapServerNeedsAHostAndAPortBeforeKafkaIsAsked() throws IOException {
    assertProblem(check("kafka: {bootstrap_servers: localhost}\n").problems(), "kafka.bootstrap_servers",
        "'localhost'", "must be host:port");
    assertProblem(check("kafka: {bootstrap_servers: 'a:9092,b'}\n").problems(), "kafka.bootstrap_servers",
        "'a:9092,b'", "'b' is not");
    assertProblem(check("kafka: {bootstrap_servers: 'a:90920'}\n").problems(), "kafka.bootstrap_servers",
        "'a:90920'", "port '90920'");
    assertProblem(check("kafka: {bootstrap_servers: '::1:9092'}\n").problems(), "kafka.bootstrap_servers",
        "'::1:9092'", "IPv6 as [address]:port");
    for (String good : List.of("a:9092", "a:9092, b:9093", "[::1]:9092", "SASL_SSL://broker.example.com:9094")) {
      assertThat(check("kafka: {bootstrap_servers: '" + good + "'}\n").problems()).as(good).isEmpty();
    }
  }

  // --- ${VAR} ----------------------------------------------------------------------------------

  @Test
  void variablesAreSubstitutedInNestedMapsAndLists() throws IOException {
    GatewayConfigs.Result r = checkWithEnv("""
        kafka:
          bootstrap_servers: ${BROKER}
          input_topics: ["chat-${TENANT}", "${TENANT}-voice"]
          consumer: {sasl.jaas.config: "user=${TENANT} password=${SECRET}"}
        bot:
          type: http
          url: https://bots.example.com/${TENANT}/hook
          headers: {Authorization: "Bearer ${SECRET}"}
        metrics: {port: "${METRICS_PORT}"}
        """, Map.of("BROKER", "kafka-1:9092", "TENANT", "acme", "SECRET", "s3cret", "METRICS_PORT", "9555"));

    assertThat(r.problems()).isEmpty();
    GatewayConfig c = r.config();
    assertThat(c.kafka().bootstrapServers()).isEqualTo("kafka-1:9092");
    assertThat(c.kafka().inputTopics()).containsExactly("chat-acme", "acme-voice");
    assertThat(c.kafka().consumer()).containsEntry("sasl.jaas.config", "user=acme password=s3cret");
    assertThat(c.bot().url()).isEqualTo(URI.create("https://bots.example.com/acme/hook"));
    assertThat(c.bot().headers()).containsEntry("Authorization", "Bearer s3cret");
    assertThat(c.metrics().port()).isEqualTo(9555);
  }

  @Test
  void theProcessEnvironmentIsTheDefaultSource() throws IOException {
    String home = System.getenv("HOME");
    org.junit.jupiter.api.Assumptions.assumeTrue(home != null && !home.isEmpty(), "HOME is set");

    GatewayConfigs.Result r = check("kafka: {group_id: 'group-of-${HOME}'}\n");

    assertThat(r.problems()).isEmpty();
    assertThat(r.config().kafka().groupId()).isEqualTo("group-of-" + home);
  }

  @Test
  void anUnsetVariableIsAProblemNamingItsKeyAndVariable() throws IOException {
    GatewayConfigs.Result r = checkWithEnv("kafka: {consumer: {sasl.jaas.config: 'password=${SECRET}'}}\n", Map.of());

    assertThat(r.isValid()).isFalse();
    assertThat(r.config()).isNull();
    assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p)
        .contains("kafka.consumer.sasl.jaas.config").contains("${SECRET}").contains("not set").contains("gateway.yml"));
  }

  @Test
  void anUnsetVariableInTheLockStoreIsReportedOnce() throws IOException {
    GatewayConfigs.Result r = check("lock_store: {type: concurrent_redis, password: '${" + UNSET + "}'}\n");

    assertThat(r.problems()).singleElement().satisfies(p -> assertThat(p)
        .contains("lock_store.password").contains("${" + UNSET + "}").contains("gateway.yml"));
  }

  // --- Every problem at once -------------------------------------------------------------------

  @Test
  void everyKafkaProblemIsReportedAtOnceWithKeyValueAndFile() throws IOException {
    Path path = file("gateway.yml", """
        kafka:
          group_id: ""
          input_topics: [chat, "bad topic", chat-2]
          output_topic: chat
          dead_letter_topic: chat-2
          conversation_id: {source: cookie}
          max_message_bytes: 0
          consumer: {enable.auto.commit: true, group.id: other, fetch.min.bytes: 1}
          producer: {acks: "1", enable.idempotence: false, linger.ms: 5}
        """);

    GatewayConfigs.Result r = GatewayConfigs.check(path, null);

    assertThat(r.isValid()).isFalse();
    assertThat(r.config()).isNull();
    List<String> p = r.problems();
    assertThat(p).allSatisfy(m -> assertThat(m).endsWith("(in " + path + ")"));
    assertProblem(p, "kafka.group_id", "''", "must not be empty");
    assertProblem(p, "kafka.input_topics", "'bad topic'", "not a legal Kafka topic name");
    assertProblem(p, "kafka.output_topic", "'chat'", "also an input topic");
    assertProblem(p, "kafka.dead_letter_topic", "'chat-2'", "also an input topic");
    assertProblem(p, "kafka.conversation_id.source", "'cookie'", "key, json_field or header");
    assertProblem(p, "kafka.max_message_bytes", "'0'", "between 1 and");
    assertProblem(p, "kafka.consumer.enable.auto.commit", "'true'", "set by Ticketgate itself");
    assertProblem(p, "kafka.consumer.group.id", "'other'", "set by Ticketgate itself");
    assertProblem(p, "kafka.producer.acks", "'1'", "set by Ticketgate itself");
    assertProblem(p, "kafka.producer.enable.idempotence", "'false'", "set by Ticketgate itself");
    assertThat(p).hasSize(10);
    assertThat(p).noneMatch(m -> m.contains("fetch.min.bytes") || m.contains("linger.ms"));
  }

  @Test
  void theGroupProtocolIsClassicOrConsumerAndTheBrokerAssignsUnderConsumer() throws IOException {
    List<String> unknown = GatewayConfigs.check(file("a.yml", "kafka: {consumer: {group.protocol: eager}}\n"), null)
        .problems();
    assertProblem(unknown, "kafka.consumer.group.protocol", "'eager'", "must be classic or consumer");
    List<String> both = GatewayConfigs.check(file("b.yml", """
        kafka:
          consumer: {group.protocol: consumer, partition.assignment.strategy: range}
        """), null).problems();
    assertProblem(both, "kafka.consumer.partition.assignment.strategy", "'range'", "the broker assigns");
    assertThat(GatewayConfigs.check(file("c.yml", "kafka: {consumer: {group.protocol: consumer}}\n"), null).isValid())
        .isTrue();
  }

  @Test
  void topicNamesFollowKafkasRules() throws IOException {
    String longName = "t".repeat(250);
    GatewayConfigs.Result r = check("kafka: {input_topics: ['..', 'ok_1.x-y', '" + longName + "'], output_topic: 'a/b',"
        + " dead_letter_topic: '.'}\n");

    List<String> p = r.problems();
    assertProblem(p, "kafka.input_topics", "'..'", "not a legal Kafka topic name");
    assertProblem(p, "kafka.input_topics", "'" + longName + "'", "at most 249");
    assertProblem(p, "kafka.output_topic", "'a/b'", "not a legal Kafka topic name");
    assertProblem(p, "kafka.dead_letter_topic", "'.'", "not a legal Kafka topic name");
    assertThat(p).hasSize(4);
  }

  @Test
  void aHeaderSourceNeedsItsHeader() throws IOException {
    GatewayConfigs.Result r = check("kafka: {conversation_id: {source: header}}\n");

    assertThat(r.problems()).singleElement().satisfies(m -> assertThat(m)
        .contains("kafka.conversation_id.header").contains("must name the header").contains("gateway.yml"));
  }

  @Test
  void maxMessageBytesHasAnUpperBoundToo() throws IOException {
    assertThat(check("kafka: {max_message_bytes: 104857601}\n").problems()).singleElement().satisfies(m ->
        assertThat(m).contains("kafka.max_message_bytes").contains("'104857601'")
            .contains("between 1 and 104857600"));
    assertThat(check("kafka: {max_message_bytes: 104857600}\n").problems()).isEmpty();
  }

  @Test
  void everyBotDispatchMetricsAndLoggingProblemIsReportedAtOnce() throws IOException {
    Path path = file("gateway.yml", """
        bot: {type: telepathy, timeout: -1}
        dispatch:
          max_in_flight: 0
          retries: 1001
          retry_backoff: 5
          retry_backoff_max: 2
          shutdown_timeout: soon
        metrics: {port: 65536, enabled: maybe}
        logging: {format: xml}
        """);

    List<String> p = GatewayConfigs.check(path, null).problems();

    assertThat(p).allSatisfy(m -> assertThat(m).endsWith("(in " + path + ")"));
    assertProblem(p, "bot.type", "'telepathy'", "must be rasa, http, echo, or the class name of a BotHandler");
    assertProblem(p, "bot.timeout", "'-1'", "greater than 0");
    assertProblem(p, "dispatch.max_in_flight", "'0'", "between 1 and 1000000");
    assertProblem(p, "dispatch.retries", "'1001'", "between 0 and 1000");
    assertProblem(p, "dispatch.retry_backoff_max", "'2.0'", "must not be below retry_backoff (5.0)");
    assertProblem(p, "dispatch.shutdown_timeout", "'soon'", "number of seconds");
    assertProblem(p, "metrics.port", "'65536'", "between 0 and 65535");
    assertProblem(p, "metrics.enabled", "'maybe'", "true or false");
    assertProblem(p, "logging.format", "'xml'", "text or json");
    assertThat(p).hasSize(9);
  }

  @Test
  void botUrlsMustBeHttpWithAHost() throws IOException {
    assertProblem(check("bot: {type: rasa, url: 'ftp://rasa:5005'}\n").problems(), "bot.url",
        "'ftp://rasa:5005'", "http:// or https://");
    assertProblem(check("bot: {type: rasa, url: 'rasa:5005'}\n").problems(), "bot.url", "'rasa:5005'",
        "http:// or https://");
    assertProblem(check("bot: {type: http, url: 'http://'}\n").problems(), "bot.url", "'http://'", "");
    assertProblem(check("bot: {type: http, url: 'http://bad host/x'}\n").problems(), "bot.url",
        "'http://bad host/x'", "not a URL");
    assertThat(check("bot: {type: rasa, url: 'https://rasa.internal:443/base'}\n").problems()).isEmpty();
  }

  @Test
  void theFencingStatusDefaultsTo409AndCanBeAnother4xxOrNone() throws IOException {
    assertThat(GatewayConfigs.defaults().bot().fencingStatus()).isEqualTo(409);
    assertThat(check("bot: {type: rasa, fencing_status: 423}\n").config().bot().fencingStatus()).isEqualTo(423);
    GatewayConfigs.Result none = check("bot: {type: http, url: 'http://bot/x', fencing_status: none}\n");
    assertThat(none.warnings()).noneSatisfy(w -> assertThat(w).contains("fencing_status"));
    assertThat(none.config().bot().fencingStatus()).isNull();
    assertProblem(check("bot: {fencing_status: 429}\n").problems(), "bot.fencing_status", "'429'",
        "other than 408 and 429");
    assertProblem(check("bot: {fencing_status: 500}\n").problems(), "bot.fencing_status", "'500'",
        "between 400 and 499");
    assertProblem(check("bot: {fencing_status: sometimes}\n").problems(), "bot.fencing_status",
        "'sometimes'", "whole number");
  }

  @Test
  void http2IsOfferedUnlessTurnedOffAndTakesOnlyTrueOrFalse() throws IOException {
    assertThat(GatewayConfigs.defaults().bot().http2()).isTrue();
    GatewayConfigs.Result off = check("bot: {type: rasa, url: 'https://rasa.internal', http2: false}\n");
    assertThat(off.problems()).isEmpty();
    assertThat(off.warnings()).noneSatisfy(w -> assertThat(w).contains("http2"));
    assertThat(off.config().bot().http2()).isFalse();
    assertThat(check("bot: {type: http, url: 'https://bot/x'}\n").config().bot().http2()).isTrue();
    assertProblem(check("bot: {http2: maybe}\n").problems(), "bot.http2", "'maybe'", "true or false");
  }

  @Test
  void theBreakerHasDefaultsAndEachKeyIsCheckedByName() throws IOException {
    assertThat(GatewayConfigs.defaults().bot().breaker()).isEqualTo(BreakerSettings.defaults());
    BreakerSettings b = check("bot: {type: rasa, breaker: {enabled: false, failure_threshold: 3, failure_rate: 0.25, "
        + "window: 40, open_for: 0.5, open_for_max: 8}}\n").config().bot().breaker();
    assertThat(b).isEqualTo(new BreakerSettings(false, 3, 0.25, 40, Duration.ofMillis(500), Duration.ofSeconds(8)));

    List<String> problems = check("bot: {breaker: {failure_threshold: 0, failure_rate: 1.5, window: lots, "
        + "open_for: 10, open_for_max: 2, enabled: maybe}}\n").problems();
    assertProblem(problems, "bot.breaker.failure_threshold", "'0'", "between 1 and");
    assertProblem(problems, "bot.breaker.failure_rate", "'1.5'", "above 0 and at most 1");
    assertProblem(problems, "bot.breaker.window", "'lots'", "whole number");
    assertProblem(problems, "bot.breaker.open_for_max", "'2.0'", "not be below open_for (10.0)");
    assertProblem(problems, "bot.breaker.enabled", "'maybe'", "true or false");
    assertThat(problems).hasSize(5);
    assertProblem(check("bot: {breaker: 5}\n").problems(), "bot.breaker", "'5'", "mapping");
    assertThat(check("bot: {breaker: {open_fro: 2}}\n").warnings()).anySatisfy(w -> assertThat(w)
        .contains("bot.breaker").contains("open_fro").contains("did you mean 'open_for'"));
  }

  @Test
  void anHttpBotNeedsAUrl() throws IOException {
    assertThat(check("bot: {type: http}\n").problems()).singleElement().satisfies(m -> assertThat(m)
        .contains("bot.url").contains("required for an http bot").contains("gateway.yml"));
  }

  @Test
  void aClassNameMustBeALoadableBotHandler() throws IOException {
    assertProblem(check("bot: {type: com.example.NoSuchBot}\n").problems(), "bot.type",
        "'com.example.NoSuchBot'", "cannot be loaded");
    assertProblem(check("bot: {type: java.lang.String}\n").problems(), "bot.type", "'java.lang.String'",
        "does not implement io.ticketgate.gateway.BotHandler");
    GatewayConfigs.Result echo = check("bot: {type: io.ticketgate.gateway.bot.EchoBot, delay_max: 0.1}\n");
    assertThat(echo.problems()).isEmpty();
    assertThat(echo.config().bot().section()).containsEntry("delay_max", 0.1);
  }

  @Test
  void lockStoreProblemsComeFromTheLockStoreCheck() throws IOException {
    Path path = file("gateway.yml", """
        lock_store: {type: concurrent_redis, port: 0, db: -1, lock_lifetime: never}
        kafka: {output_topic: "bad topic"}
        """);

    List<String> p = GatewayConfigs.check(path, null).problems();

    assertThat(p).allSatisfy(m -> assertThat(m).contains(path.toString()));
    assertProblem(p, "lock_store.port", "'0'", "between 1 and 65535");
    assertProblem(p, "lock_store.db", "'-1'", "between 0 and");
    assertProblem(p, "lock_store.lock_lifetime", "'never'", "number of seconds");
    assertProblem(p, "kafka.output_topic", "'bad topic'", "not a legal Kafka topic name");
    assertThat(p).hasSize(4);
  }

  @Test
  void anUnknownLockStoreTypeIsAProblemAndNoReplicaWarning() throws IOException {
    GatewayConfigs.Result r = check("lock_store: {type: zookeeper}\n");

    assertProblem(r.problems(), "lock_store.type", "'zookeeper'", "not a known lock store type");
    assertThat(r.warnings()).noneMatch(w -> w.contains("replicas"));
  }

  @Test
  void aLockStoreThatIsNotAMappingIsAProblem() throws IOException {
    assertProblem(check("lock_store: redis\n").problems(), "lock_store", "'redis'", "must be a mapping");
  }

  @Test
  void aFileThatCannotBeReadIsAProblem() throws IOException {
    Path missing = dir.resolve("missing.yml");
    assertThat(GatewayConfigs.check(missing, null).problems()).singleElement().satisfies(m -> assertThat(m)
        .contains(missing.toString()).contains("no such file"));
    assertThat(check("- just\n- a list\n").problems()).singleElement().satisfies(m -> assertThat(m)
        .contains("must hold a YAML mapping"));
    assertThat(check("kafka: {group_id: [unclosed\n").problems()).singleElement().satisfies(m -> assertThat(m)
        .startsWith("cannot read " + dir.resolve("gateway.yml")));
  }

  @Test
  void loadThrowsWithEveryProblem() throws IOException {
    Path path = file("gateway.yml", "metrics: {port: -1}\nlogging: {format: xml}\n");

    assertThatThrownBy(() -> GatewayConfigs.load(path, null))
        .isInstanceOfSatisfying(GatewayConfigException.class, e -> assertThat(e.problems()).hasSize(2))
        .hasMessageContaining("2 problems")
        .hasMessageContaining("metrics.port")
        .hasMessageContaining("logging.format");
  }

  // --- Warnings --------------------------------------------------------------------------------

  @Test
  void unknownSectionsAndKeysAreWarningsNamingThem() throws IOException {
    GatewayConfigs.Result r = check("""
        kafak: {bootstrap_servers: x}
        kafka: {grup_id: g, conversation_id: {source: key, fielld: x}}
        bot: {type: rasa, timout: 3}
        dispatch: {retries: 2, max_inflight: 9}
        metrics: {prot: 1}
        logging: {levle: debug}
        lock_store: {type: concurrent_redis, hots: redis}
        """);

    assertThat(r.problems()).isEmpty();
    List<String> w = r.warnings();
    assertWarning(w, "unknown section 'kafak'");
    assertWarning(w, "kafka:", "[grup_id]");
    assertWarning(w, "kafka.conversation_id:", "[fielld]");
    assertWarning(w, "bot:", "[timout]");
    assertWarning(w, "dispatch:", "[max_inflight]");
    assertWarning(w, "metrics:", "[prot]");
    assertWarning(w, "logging:", "[levle]", "did you mean 'level'");
    assertWarning(w, "lock_store:", "[hots]");
    assertWarning(w, "kafka:", "did you mean 'group_id' for 'grup_id'");
    assertWarning(w, "bot:", "did you mean 'timeout' for 'timout'");
    assertWarning(w, "lock_store:", "did you mean 'host' for 'hots'");
    assertThat(w).allSatisfy(m -> assertThat(m).contains("gateway.yml"));
    assertThat(w).hasSize(8);
  }

  @Test
  void botConcurrencyIsUnlimitedAdaptiveOrANumberAndNothingElse() throws IOException {
    assertThat(check("kafka: {bootstrap_servers: 'x:9092', group_id: g}\n").config().bot().concurrency())
        .isEqualTo(ConcurrencySettings.unlimited());
    assertThat(check("kafka: {bootstrap_servers: 'x:9092', group_id: g}\nbot: {concurrency: adaptive}\n").config().bot()
        .concurrency()).isEqualTo(ConcurrencySettings.adaptive());
    assertThat(check("kafka: {bootstrap_servers: 'x:9092', group_id: g}\nbot: {concurrency: 64}\n").config().bot()
        .concurrency()).isEqualTo(ConcurrencySettings.fixed(64));
    for (String bad : new String[] {"0", "-3", "lots", "1.5"}) {
      GatewayConfigs.Result r = check("kafka: {bootstrap_servers: 'x:9092', group_id: g}\nbot: {concurrency: " + bad + "}\n");
      assertThat(r.problems()).as(bad).singleElement().asString()
          .contains("bot.concurrency").contains(bad).contains("unlimited, adaptive or a positive whole number");
    }
  }

  @Test
  void aBreakerThatOpensOnlyAfterALoneMessagesAttemptsAreSpentIsAWarning() throws IOException {
    GatewayConfigs.Result r = check("""
        kafka: {bootstrap_servers: 'x:9092', group_id: g}
        bot: {type: rasa, breaker: {failure_threshold: 5}}
        dispatch: {retries: 1}
        """);

    assertThat(r.problems()).isEmpty();
    assertWarning(r.warnings(), "bot.breaker.failure_threshold (5) is above dispatch.retries + 1 (2)",
        "dead-lettered before the breaker opens");
  }

  // --- endpoints.yml ---------------------------------------------------------------------------

  @Test
  void rasasEndpointsFileSuppliesTheLockStore() throws IOException {
    Path endpoints = file("endpoints.yml", """
        # This file contains the different endpoints your bot can use.
        action_endpoint:
          url: "http://localhost:5055/webhook"
        tracker_store:
          type: redis
          url: redis.internal
          port: 6379
          db: 0
        lock_store:
          type: concurrent_redis
          url: redis.internal
          port: 6379
          db: 1
          key_prefix: prod
        """);
    Path gateway = file("gateway.yml", "kafka: {group_id: g}\n");

    GatewayConfigs.Result r = GatewayConfigs.check(gateway, endpoints);

    assertThat(r.problems()).isEmpty();
    GatewayConfig c = r.config();
    assertThat(c.lockStore()).isEqualTo(Map.of("type", "concurrent_redis", "url", "redis.internal", "port", 6379,
        "db", 1, "key_prefix", "prod"));
    assertThat(c.lockStoreSource()).isEqualTo(endpoints.toString());
    assertThat(c.kafka().groupId()).isEqualTo("g");
    assertThat(r.warnings()).as("Rasa's concurrent store reads 'host', not 'url'")
        .anySatisfy(w -> assertThat(w).contains("rename it to 'host'").contains(endpoints.toString()))
        .noneMatch(w -> w.contains("replicas"));
  }

  @Test
  void anUnsetVariableInEndpointsNamesTheEndpointsFile() throws IOException {
    Path endpoints = file("endpoints.yml", "lock_store: {type: redis, password: '${" + UNSET + "}'}\n");

    List<String> p = GatewayConfigs.check(null, endpoints).problems();

    assertThat(p).singleElement().satisfies(m -> assertThat(m)
        .contains("lock_store.password").contains("${" + UNSET + "}").contains(endpoints.toString()));
  }

  @Test
  void endpointsWorkWithoutAGatewayFile() throws IOException {
    Path endpoints = file("endpoints.yml", "lock_store: {type: redis, host: r}\n");

    GatewayConfigs.Result r = GatewayConfigs.check(null, endpoints);

    assertThat(r.problems()).isEmpty();
    assertThat(r.config().lockStore()).isEqualTo(Map.of("type", "redis", "host", "r"));
    assertThat(r.config().kafka()).isEqualTo(GatewayConfigs.defaults().kafka());
  }

  @Test
  void aLockStoreBothInlineAndInEndpointsIsAProblem() throws IOException {
    Path endpoints = file("endpoints.yml", "lock_store: {type: concurrent_redis, host: a}\n");
    Path gateway = file("gateway.yml", "lock_store: {type: concurrent_redis, host: b}\n");

    List<String> p = GatewayConfigs.check(gateway, endpoints).problems();

    assertThat(p).singleElement().satisfies(m -> assertThat(m)
        .contains("lock_store").contains("both").contains(gateway.toString()).contains(endpoints.toString()));
  }

  @Test
  void anEndpointsFileWithoutALockStoreLeavesTheInlineOne() throws IOException {
    Path endpoints = file("endpoints.yml", "action_endpoint: {url: 'http://localhost:5055/webhook'}\n");
    Path gateway = file("gateway.yml", "lock_store: {type: concurrent_redis, host: b}\n");

    GatewayConfigs.Result r = GatewayConfigs.check(gateway, endpoints);

    assertThat(r.problems()).isEmpty();
    assertThat(r.config().lockStore()).isEqualTo(Map.of("type", "concurrent_redis", "host", "b"));
    assertThat(r.config().lockStoreSource()).isEqualTo(gateway.toString());
  }

  @Test
  void anEmptyEndpointsFileSetsNothing() throws IOException {
    Path endpoints = file("endpoints.yml", "# endpoints come later\n");
    Path gateway = file("gateway.yml", "lock_store: {type: concurrent_redis, host: b}\n");

    GatewayConfigs.Result r = GatewayConfigs.check(gateway, endpoints);

    assertThat(r.problems()).isEmpty();
    assertThat(r.config().lockStore()).isEqualTo(Map.of("type", "concurrent_redis", "host", "b"));
  }

  @Test
  void endpointsProblemsNameTheEndpointsFile() throws IOException {
    Path endpoints = file("endpoints.yml", "lock_store: {type: redis, port: 99999}\n");

    List<String> p = GatewayConfigs.check(null, endpoints).problems();

    assertThat(p).singleElement().satisfies(m -> assertThat(m)
        .contains("lock_store.port").contains("'99999'").contains(endpoints.toString()));
    assertThat(GatewayConfigs.check(null, dir.resolve("nope.yml")).problems()).singleElement()
        .satisfies(m -> assertThat(m).contains("nope.yml").contains("no such file"));
  }

  // --- helpers ---------------------------------------------------------------------------------

  private static void assertProblem(List<String> problems, String key, String value, String reason) {
    assertThat(problems).as("a problem with %s %s %s", key, value, reason)
        .anySatisfy(m -> assertThat(m).startsWith(key + " was " + value + " but it").contains(reason));
  }

  private static void assertWarning(List<String> warnings, String... parts) {
    assertThat(warnings).as("a warning with %s", List.of(parts)).anySatisfy(w -> {
      for (String part : parts) {
        assertThat(w).contains(part);
      }
    });
  }
}
