package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.gateway.config.DispatchSettings;
import io.ticketgate.gateway.config.GatewayConfigs;
import io.ticketgate.gateway.config.KafkaSettings;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.Test;

/** The partition assignor the pipeline's consumer is configured with, by group protocol. */
class ConsumerConfigTest {

  private static final String ASSIGNOR = ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG;

  private static KafkaSettings kafka(Map<String, String> consumer) {
    KafkaSettings d = GatewayConfigs.defaults().kafka();
    return new KafkaSettings("127.0.0.1:9", "g", List.of("in"), "out", "dlq", d.conversationId(), d.maxMessageBytes(),
        consumer, Map.of());
  }

  private static Properties config(Map<String, String> consumer) {
    return KafkaPipeline.consumerConfig(kafka(consumer), DispatchSettings.defaults());
  }

  @Test
  void theClassicProtocolGetsTheCooperativeStickyAssignorByDefault() {
    assertThat(config(Map.of()).getProperty(ASSIGNOR)).as("classic is Kafka's default protocol")
        .isEqualTo(CooperativeStickyAssignor.class.getName());
    assertThat(config(Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "CLASSIC")).getProperty(ASSIGNOR))
        .isEqualTo(CooperativeStickyAssignor.class.getName());
  }

  @Test
  void anAssignorChosenInThePassThroughConsumerSettingsIsKept() {
    assertThat(config(Map.of(ASSIGNOR, RangeAssignor.class.getName())).getProperty(ASSIGNOR))
        .isEqualTo(RangeAssignor.class.getName());
  }

  @Test
  void theConsumerProtocolGetsNoAssignorWhichKafkaWouldRefuseThere() {
    Properties p = config(Map.of(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "consumer"));
    assertThat(p).doesNotContainKey(ASSIGNOR);
    // With the protocol of KIP-848 the broker assigns, and the client rejects an assignor setting outright.
    p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
    assertThat(new ConsumerConfig(p).getString(ConsumerConfig.GROUP_PROTOCOL_CONFIG)).isEqualTo("consumer");
    p.put(ASSIGNOR, CooperativeStickyAssignor.class.getName());
    assertThatThrownBy(() -> new ConsumerConfig(p)).isInstanceOf(ConfigException.class).hasMessageContaining(ASSIGNOR);
  }
}
