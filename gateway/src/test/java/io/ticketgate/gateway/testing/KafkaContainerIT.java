package io.ticketgate.gateway.testing;

import org.apache.kafka.common.utils.internals.AppInfoParser;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;
import org.testcontainers.utility.DockerImageName;

/**
 * {@link KafkaRoundTripScenario} on Apache Kafka's own image in Docker, proving the embedded
 * broker behaves like the real thing. Skipped when no Docker engine is reachable.
 */
@Testcontainers(disabledWithoutDocker = true)
class KafkaContainerIT extends KafkaRoundTripScenario {

  /** The image of the client library's own version, so both sides of the test speak the same. */
  @Container
  private static final KafkaContainer KAFKA =
      new KafkaContainer(DockerImageName.parse("apache/kafka:" + AppInfoParser.getVersion()));

  private static KafkaFixture fixture;

  @BeforeAll
  static void connect() {
    fixture = KafkaFixture.forBootstrap(KAFKA.getBootstrapServers());
  }

  @AfterAll
  static void disconnect() {
    if (fixture != null) {
      fixture.close();
    }
  }

  @Override
  protected KafkaFixture kafka() {
    return fixture;
  }
}
