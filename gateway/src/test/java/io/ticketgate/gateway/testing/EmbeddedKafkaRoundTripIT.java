package io.ticketgate.gateway.testing;

/** {@link KafkaRoundTripScenario} on the shared in-process broker; runs everywhere. */
class EmbeddedKafkaRoundTripIT extends KafkaRoundTripScenario {

  @Override
  protected KafkaFixture kafka() {
    return KafkaFixture.shared();
  }
}
