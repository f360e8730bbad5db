package io.ticketgate.gateway.kafka;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ClientIdTest {

  @Test
  void theDefaultClientIdNamesHostAndProcessSoReplicasInContainersStayApart() {
    String id = KafkaPipeline.defaultClientId();

    assertThat(id).startsWith("ticketgate-").endsWith("-" + ProcessHandle.current().pid())
        .matches("[A-Za-z0-9._-]+");
    String host = id.substring("ticketgate-".length(), id.length() - ("-" + ProcessHandle.current().pid()).length());
    assertThat(host).as("the host part of %s", id).isNotBlank();
  }
}
