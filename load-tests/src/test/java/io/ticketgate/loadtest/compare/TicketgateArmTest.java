package io.ticketgate.loadtest.compare;

import static org.assertj.core.api.Assertions.assertThat;

import io.ticketgate.gateway.metrics.GatewayMetrics;
import io.ticketgate.store.StoreCallObserver;
import io.ticketgate.store.StoreCallObserver.Failure;
import io.ticketgate.store.StoreCallObserver.Operation;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The Ticketgate arm's count of its store's steps, read from the gateway's own meters. */
class TicketgateArmTest {

  @Test
  void storeStepsAreEveryStepTheGatewaysMetersSawAnsweredOrFailedAndNoProbe() {
    GatewayMetrics metrics = new GatewayMetrics();
    try {
      assertThat(TicketgateArm.storeSteps(metrics.registry())).isZero();
      StoreCallObserver calls = metrics.storeCalls();
      calls.answered(Operation.ISSUE, 1_000);
      calls.answered(Operation.RENEW, 1_000);
      calls.answered(Operation.RELEASE_AND_ISSUE, 1_000);
      calls.answered(Operation.RELEASE_AND_ISSUE, 1_000);
      calls.failed(Operation.LOOK, 1_000, Failure.TIMEOUT);
      metrics.lockStoreProbe(Duration.ofMillis(1), null);
      metrics.lockStoreProbe(Duration.ofMillis(1), "store_failed");

      assertThat(TicketgateArm.storeSteps(metrics.registry())).isEqualTo(5);
    } finally {
      metrics.close();
    }
  }
}
