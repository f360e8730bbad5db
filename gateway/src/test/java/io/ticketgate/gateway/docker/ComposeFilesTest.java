package io.ticketgate.gateway.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import io.ticketgate.gateway.config.GatewayConfigs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The parts of {@code docker/} that a wrong name or path would break silently, checked without a
 * Docker engine: the gateway service scales and gets every variable its configuration needs, the
 * configuration is valid once substituted, mounted files exist, and Prometheus looks for the
 * replicas under the service's name and the configured metrics port.
 */
class ComposeFilesTest {

  private static final YAMLMapper YAML = new YAMLMapper();
  private static Path docker;
  private static JsonNode services;

  @TempDir Path temp;

  @BeforeAll
  static void readCompose() throws IOException {
    Path root = Path.of("").toAbsolutePath();
    while (root != null && !Files.isRegularFile(root.resolve("docker/compose.yml"))) {
      root = root.getParent();
    }
    assertThat(root).as("a directory above the working directory holding docker/compose.yml").isNotNull();
    docker = root.resolve("docker");
    services = YAML.readTree(docker.resolve("compose.yml").toFile()).path("services");
  }

  @Test
  void theStackHasItsServices() {
    List<String> names = new ArrayList<>();
    services.fieldNames().forEachRemaining(names::add);
    assertThat(names).contains("kafka", "redis", "bot", "gateway", "prometheus", "grafana", "loadtest");
    assertThat(services.path("loadtest").path("profiles").toString()).contains("loadtest");
    assertThat(services.path("traffic").path("command").path(0).asText()).isEqualTo("produce");
    // The harness, from the image's loadtest target, against the stack's own Kafka and Redis.
    JsonNode loadtest = services.path("loadtest");
    assertThat(loadtest.path("build").path("target").asText()).isEqualTo("loadtest");
    assertThat(loadtest.path("command").toString()).contains("\"--bootstrap\",\"kafka:9092\"")
        .contains("\"--redis\",\"redis:6379\"");
    assertThat(services.path("bot").path("command").path(0).asText()).isEqualTo("echo-bot");
  }

  @Test
  void gatewayReplicasCanBeScaled() {
    JsonNode gateway = services.path("gateway");
    // A fixed name or host port makes `--scale gateway=N` fail on the second replica.
    assertThat(gateway.has("container_name")).isFalse();
    assertThat(gateway.has("ports")).isFalse();
    assertThat(gateway.path("deploy").path("replicas").asInt()).isEqualTo(2);
  }

  @Test
  void theMountedGatewayConfigurationIsValidWithTheComposeEnvironment() throws IOException {
    JsonNode gateway = services.path("gateway");
    assertThat(gateway.path("volumes").toString()).contains("./gateway.yml:/etc/ticketgate/gateway.yml");
    String yaml = Files.readString(docker.resolve("gateway.yml"));
    Matcher variable = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)}").matcher(yaml);
    StringBuilder substituted = new StringBuilder();
    while (variable.find()) {
      JsonNode value = gateway.path("environment").path(variable.group(1));
      assertThat(value.isMissingNode()).as("compose sets ${%s} for the gateway", variable.group(1)).isFalse();
      variable.appendReplacement(substituted, Matcher.quoteReplacement(value.asText()));
    }
    variable.appendTail(substituted);
    Path file = Files.writeString(temp.resolve("gateway.yml"), substituted);

    GatewayConfigs.Result checked = GatewayConfigs.check(file, null);
    assertThat(checked.problems()).as("problems of docker/gateway.yml with the compose environment").isEmpty();
    assertThat(checked.config().lockStore().get("type")).isEqualTo("concurrent_redis");
    assertThat(checked.config().kafka().bootstrapServers()).isEqualTo("kafka:9092");
    assertThat(checked.config().metrics().port()).isEqualTo(9404);
  }

  @Test
  void prometheusDiscoversTheGatewayServiceOnItsMetricsPort() throws IOException {
    JsonNode prometheus = YAML.readTree(docker.resolve("prometheus/prometheus.yml").toFile());
    JsonNode job = prometheus.path("scrape_configs").path(0);
    assertThat(job.path("job_name").asText()).isEqualTo("ticketgate");
    JsonNode sd = job.path("dns_sd_configs").path(0);
    assertThat(sd.path("names").path(0).asText()).isEqualTo("gateway");
    assertThat(sd.path("type").asText()).isEqualTo("A");
    assertThat(sd.path("port").asInt()).isEqualTo(9404);
    assertThat(services.has(sd.path("names").path(0).asText())).isTrue();
  }

  @Test
  void everyMountedFileExists() {
    services.forEach(service -> service.path("volumes").forEach(volume -> {
      String source = volume.asText().split(":")[0];
      if (source.startsWith("./")) {
        assertThat(docker.resolve(source)).as("mount source %s", source).exists();
      }
    }));
  }

  @Test
  void theLoadTestTargetHoldsTheHarnessAndTheParallelConsumerArmWhereTheHarnessLooks() throws IOException {
    String dockerfile = Files.readString(docker.resolve("Dockerfile"));
    assertThat(dockerfile)
        .contains("FROM eclipse-temurin:21-jre AS loadtest")
        .contains("-pl load-tests,load-tests/peers/parallel-consumer -am package")
        .contains("procps")
        .contains("peers/parallel-consumer/target/ticketgate-load-tests-parallel-consumer.jar peers/parallel-consumer/target/")
        .contains("\"io.ticketgate.loadtest.Main\"");
    // Every module POM must be in the build context's early layer, or Maven refuses the reactor.
    for (String pom : List.of("store/pom.xml", "embedded-kafka/pom.xml", "gateway/pom.xml", "load-tests/pom.xml",
        "load-tests/peers/parallel-consumer/pom.xml")) {
      assertThat(dockerfile).contains("COPY " + pom + " " + pom);
    }
    // The gateway image stays the default (last) stage, which the compose services build.
    String last = dockerfile.substring(dockerfile.lastIndexOf("\nFROM "));
    assertThat(last).startsWith("\nFROM eclipse-temurin:21-jre\n");
  }

  @Test
  void theImageRunsTheGatewayAsANonRootUserAndProbesItself() throws IOException {
    String dockerfile = Files.readString(docker.resolve("Dockerfile"));
    assertThat(dockerfile)
        .contains("./mvnw -B -ntp -pl gateway -am package -DskipTests")
        .contains("FROM eclipse-temurin:21-jre")
        .contains("USER 10001")
        .contains("ENTRYPOINT [\"java\", \"-jar\", \"/opt/ticketgate/ticketgate.jar\"]")
        .contains("CMD [\"run\", \"--config\", \"/etc/ticketgate/gateway.yml\"]")
        // bash probes readiness: no JVM started every interval (MetricsServerIT runs the script).
        .contains("COPY docker/healthcheck.sh /opt/ticketgate/healthcheck.sh")
        .contains("CMD [\"/opt/ticketgate/healthcheck.sh\", \"9404\", \"/health/ready\"]")
        .doesNotContain("\"java\", \"-XX:TieredStopAtLevel=1\"");
    assertThat(Files.isExecutable(docker.resolve("healthcheck.sh"))).as("docker/healthcheck.sh is executable").isTrue();
  }

  @Test
  void kafkaIsProbedByTheMountedBashScriptNotByAJvm() {
    JsonNode kafka = services.path("kafka");
    // KafkaHealthCheckIT runs the script against a real broker.
    assertThat(kafka.path("healthcheck").path("test").toString())
        .contains("/opt/healthcheck/kafka-healthcheck.sh")
        .doesNotContain("/opt/kafka/bin");
    assertThat(kafka.path("volumes").toString())
        .contains("./kafka-healthcheck.sh:/opt/healthcheck/kafka-healthcheck.sh:ro");
    assertThat(Files.isExecutable(docker.resolve("kafka-healthcheck.sh")))
        .as("docker/kafka-healthcheck.sh is executable").isTrue();
  }

  @Test
  void everyFileTheImageCopiesFromTheContextIsInTheContext() throws IOException {
    Path root = docker.getParent();
    List<String> ignore = Files.readAllLines(root.resolve(".dockerignore")).stream()
        .map(String::trim).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    Matcher copy = Pattern.compile("(?m)^COPY (?!--from)(.+)$").matcher(Files.readString(docker.resolve("Dockerfile")));
    int checked = 0;
    while (copy.find()) {
      String[] parts = copy.group(1).trim().split("\\s+");
      for (int i = 0; i < parts.length - 1; i++) { // the last is the destination
        String source = parts[i];
        assertThat(root.resolve(source)).as("COPY source %s", source).exists();
        assertThat(excluded(source, ignore)).as("COPY source %s is left out of the build context by .dockerignore",
            source).isFalse();
        checked++;
      }
    }
    assertThat(checked).as("COPY sources found in the Dockerfile").isGreaterThan(10);
    assertThat(excluded("docker/compose.yml", ignore)).as("the rest of docker/ stays out of the context").isTrue();
    assertThat(excluded("gateway/target/x.jar", ignore)).isTrue();
  }

  /**
   * Whether .dockerignore leaves {@code path} out, by the rules its patterns here use: a pattern
   * matches the path or a directory above it, {@code **}{@code /} any leading directories, {@code *}
   * within a name; a later {@code !pattern} takes a match back.
   */
  private static boolean excluded(String path, List<String> patterns) {
    boolean excluded = false;
    for (String pattern : patterns) {
      boolean negate = pattern.startsWith("!");
      String p = negate ? pattern.substring(1) : pattern;
      p = p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
      String regex = p.replace(".", "\\.").replace("**/", "\0").replace("*", "[^/]*").replace("\0", "(.*/)?");
      if (Pattern.matches(regex + "(/.*)?", path)) {
        excluded = !negate;
      }
    }
    return excluded;
  }

  @Test
  void longRunningServicesComeBackAfterTheyExit() {
    for (String name : List.of("kafka", "redis", "bot", "gateway", "prometheus", "grafana")) {
      assertThat(services.path(name).path("restart").asText()).as("restart policy of %s", name)
          .isEqualTo("unless-stopped");
    }
    // One-shot jobs run to completion once.
    for (String name : List.of("traffic", "loadtest")) {
      assertThat(services.path(name).has("restart")).as("restart policy of %s", name).isFalse();
    }
  }
}
