package io.ticketgate.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.gateway.kafka.BotCallOutcome;
import io.ticketgate.gateway.kafka.BreakerState;
import io.ticketgate.gateway.testing.PrometheusText;
import io.ticketgate.store.StoreCallObserver;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.clients.producer.MockProducer;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The meters as a scraper sees them. */
class GatewayMetricsTest {

  private final GatewayMetrics metrics = new GatewayMetrics();

  @AfterEach
  void tearDown() {
    metrics.close();
  }

  @Test
  void lockWaitIsAHistogramInSeconds() {
    metrics.lockWait(Duration.ofMillis(20));
    metrics.lockWait(Duration.ofSeconds(2));

    String scrape = metrics.scrape();
    assertThat(scrape).contains("ticketgate_lock_wait_seconds_bucket");
    PrometheusText text = PrometheusText.parse(scrape);
    assertThat(text.value("ticketgate_lock_wait_seconds_count", Map.of())).isEqualTo(2);
    assertThat(text.value("ticketgate_lock_wait_seconds_sum", Map.of())).isEqualTo(2.02, within());
    assertThat(text.value("ticketgate_lock_wait_seconds_bucket", Map.of("le", "+Inf"))).isEqualTo(2);
    // Buckets span the expected range, 1 ms to 5 min, and no client-side quantiles are published.
    assertThat(text.samples("ticketgate_lock_wait_seconds_bucket")).hasSizeGreaterThan(10)
        .allSatisfy(s -> assertThat(s.labels()).containsOnlyKeys("le"));
    assertThat(text.samples("ticketgate_lock_wait_seconds")).isEmpty();
    assertThat(scrape).doesNotContain("quantile=");
  }

  @Test
  void readinessIsAGaugeOfOneOrZeroReadAtEachScrape() {
    java.util.concurrent.atomic.AtomicBoolean ready = new java.util.concurrent.atomic.AtomicBoolean(true);
    metrics.readiness(ready::get);

    assertThat(metrics.scrape()).contains("ticketgate_ready 1.0");
    ready.set(false);
    assertThat(metrics.scrape()).contains("ticketgate_ready 0.0");
  }

  @Test
  void lockStoreStepsAreTimedByOperationAndTheirFailuresCountedByKind() {
    StoreCallObserver calls = metrics.storeCalls();
    calls.answered(StoreCallObserver.Operation.ISSUE, 300_000);
    calls.answered(StoreCallObserver.Operation.ISSUE, 2_000_000);
    calls.answered(StoreCallObserver.Operation.RELEASE_AND_ISSUE, 400_000);
    calls.failed(StoreCallObserver.Operation.RENEW, 2_000_000_000L, StoreCallObserver.Failure.TIMEOUT);

    PrometheusText text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("ticketgate_lock_store_call_seconds_count", Map.of("operation", "issue"))).isEqualTo(2);
    assertThat(text.value("ticketgate_lock_store_call_seconds_bucket", Map.of("operation", "issue", "le", "5.0E-4")))
        .as("sub-millisecond buckets: a Redis round trip").isEqualTo(1);
    assertThat(text.value("ticketgate_lock_store_call_seconds_count", Map.of("operation", "release_and_issue")))
        .isEqualTo(1);
    assertThat(text.value("ticketgate_lock_store_call_seconds_count", Map.of("operation", "look")))
        .as("every operation has its series before its first step").isZero();
    assertThat(text.value("ticketgate_lock_store_call_errors_total", Map.of("operation", "renew", "kind", "timeout")))
        .isEqualTo(1);
    assertThat(text.value("ticketgate_lock_store_call_errors_total",
        Map.of("operation", "issue", "kind", "unreachable"))).as("an outage's series, at zero").isZero();
    assertThat(text.samples("ticketgate_lock_store_call_seconds_bucket")
        .stream().filter(s -> s.labels().get("operation").equals("issue"))).hasSize(15);
  }

  @Test
  void everyPipelineEventHasItsSeries() {
    metrics.lockHold(Duration.ofMillis(300));
    metrics.botCall(Duration.ofMillis(40), BotCallOutcome.OK);
    metrics.botCall(Duration.ofMillis(40), BotCallOutcome.OK);
    metrics.botCall(Duration.ofSeconds(30), BotCallOutcome.RETRYABLE_ERROR);
    metrics.replied();
    metrics.replied();
    metrics.retried();
    metrics.deadLettered("bot_http_404");
    metrics.droppedOnRevoke();
    metrics.skippedDuplicate();
    metrics.ticketIssued();
    metrics.ticketIssued();
    metrics.ticketIssued();
    metrics.ticketExpired();
    metrics.servedAfterExpiry(Duration.ofSeconds(9));

    PrometheusText text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("ticketgate_lock_hold_seconds_count", Map.of())).isEqualTo(1);
    assertThat(text.value("ticketgate_bot_dispatch_seconds_count", Map.of("outcome", "ok"))).isEqualTo(2);
    assertThat(text.value("ticketgate_bot_dispatch_seconds_count", Map.of("outcome", "retryable_error")))
        .isEqualTo(1);
    assertThat(text.value("ticketgate_bot_dispatch_seconds_count", Map.of("outcome", "permanent_error")))
        .isZero();
    assertThat(text.samples("ticketgate_bot_dispatch_seconds_bucket")).isNotEmpty();
    assertThat(text.value("ticketgate_messages_total", Map.of("outcome", "replied"))).isEqualTo(2);
    assertThat(text.value("ticketgate_messages_total", Map.of("outcome", "retried"))).isEqualTo(1);
    assertThat(text.value("ticketgate_messages_total", Map.of("outcome", "dead_lettered"))).isEqualTo(1);
    assertThat(text.value("ticketgate_messages_total", Map.of("outcome", "dropped_on_revoke"))).isEqualTo(1);
    assertThat(text.value("ticketgate_messages_total", Map.of("outcome", "skipped_duplicate"))).isEqualTo(1);
    assertThat(text.value("ticketgate_dead_letters_total", Map.of("reason", "bot_http_404"))).isEqualTo(1);
    assertThat(text.value("ticketgate_tickets_issued_total", Map.of())).isEqualTo(3);
    assertThat(text.value("ticketgate_tickets_expired_total", Map.of())).isEqualTo(1);
    assertThat(text.value("ticketgate_turns_after_expiry_total", Map.of())).isEqualTo(1);
    assertThat(text.value("ticketgate_lock_wait_after_expiry_seconds_count", Map.of())).isEqualTo(1);
    assertThat(text.value("ticketgate_lock_wait_after_expiry_seconds_sum", Map.of())).isEqualTo(9);
  }

  @Test
  void countersExistAtZeroBeforeAnyEvent() {
    PrometheusText text = PrometheusText.parse(metrics.scrape());
    for (String outcome : new String[] {"replied", "dead_lettered", "retried", "dropped_on_revoke", "skipped_duplicate"}) {
      assertThat(text.value("ticketgate_messages_total", Map.of("outcome", outcome))).isZero();
    }
    assertThat(text.names()).contains("ticketgate_tickets_issued_total", "ticketgate_tickets_expired_total",
        "ticketgate_lock_wait_seconds_bucket", "ticketgate_lock_hold_seconds_bucket",
        "ticketgate_turns_after_expiry_total", "ticketgate_lock_wait_after_expiry_seconds_bucket");
  }


  @Test
  void deadLetterReasonsAreCappedAndTheRestFoldedIntoOther() {
    for (int i = 0; i < 80; i++) {
      metrics.deadLettered("reason_" + i);
    }
    metrics.deadLettered("reason_0");
    metrics.deadLettered("");
    metrics.deadLettered(null);

    PrometheusText text = PrometheusText.parse(metrics.scrape());
    var reasons = text.samples("ticketgate_dead_letters_total");
    assertThat(reasons).hasSize(GatewayMetrics.MAX_REASONS + 1);
    assertThat(text.value("ticketgate_dead_letters_total", Map.of("reason", "reason_0"))).isEqualTo(2);
    // 30 of the 80 names, then "" and null (as "unknown") came after the cap.
    assertThat(text.value("ticketgate_dead_letters_total", Map.of("reason", "other"))).isEqualTo(32);
    assertThat(text.value("ticketgate_messages_total", Map.of("outcome", "dead_lettered"))).isEqualTo(83);
  }

  @Test
  void blankReasonsCountAsUnknownAndLongOnesAreCut() {
    metrics.deadLettered(" ");
    metrics.deadLettered("x".repeat(500));

    PrometheusText text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("ticketgate_dead_letters_total", Map.of("reason", "unknown"))).isEqualTo(1);
    assertThat(text.value("ticketgate_dead_letters_total", Map.of("reason", "x".repeat(64)))).isEqualTo(1);
  }

  @Test
  void gaugesReadTheirSuppliersAndCanBeReplaced() {
    AtomicInteger inFlight = new AtomicInteger(3);
    metrics.gauges(inFlight::get, () -> 7);

    PrometheusText text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("ticketgate_in_flight", Map.of())).isEqualTo(3);
    assertThat(text.value("ticketgate_waiting", Map.of())).isEqualTo(7);

    inFlight.set(5);
    assertThat(PrometheusText.parse(metrics.scrape()).value("ticketgate_in_flight", Map.of())).isEqualTo(5);

    metrics.gauges(() -> 11, () -> null);
    text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("ticketgate_in_flight", Map.of())).isEqualTo(11);
    assertThat(text.value("ticketgate_waiting", Map.of())).isNaN();
  }

  @Test
  void theBreakersStateIsOneGaugeItsTransitionsCountByTargetAndHeldRecordsAreAGauge() {
    PrometheusText before = PrometheusText.parse(metrics.scrape());
    for (BreakerState to : BreakerState.values()) {
      assertThat(before.value("ticketgate_bot_breaker_transitions_total", Map.of("to", to.label()))).isZero();
    }
    AtomicReference<BreakerState> state = new AtomicReference<>(BreakerState.CLOSED);
    metrics.breaker(state::get, () -> 4);
    metrics.breakerTransition(BreakerState.OPEN);
    metrics.breakerTransition(BreakerState.HALF_OPEN);
    metrics.breakerTransition(BreakerState.OPEN);

    PrometheusText text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("ticketgate_bot_breaker_state", Map.of())).isZero();
    assertThat(text.value("ticketgate_records_held", Map.of())).isEqualTo(4);
    assertThat(text.value("ticketgate_bot_breaker_transitions_total", Map.of("to", "open"))).isEqualTo(2);
    assertThat(text.value("ticketgate_bot_breaker_transitions_total", Map.of("to", "half_open"))).isEqualTo(1);
    state.set(BreakerState.OPEN);
    assertThat(PrometheusText.parse(metrics.scrape()).value("ticketgate_bot_breaker_state", Map.of())).isEqualTo(2);
    state.set(BreakerState.HALF_OPEN);
    assertThat(PrometheusText.parse(metrics.scrape()).value("ticketgate_bot_breaker_state", Map.of())).isEqualTo(1);
  }

  @Test
  void theBotConcurrencyGaugesAppearOnlyOnceRegisteredAndReadTheLimitersValuesAtEachScrape() {
    assertThat(PrometheusText.parse(metrics.scrape()).names())
        .as("unlimited calls (nothing registered): no series, so the dashboard panel stays empty")
        .doesNotContain("ticketgate_bot_concurrency_limit", "ticketgate_bot_calls_in_flight");

    AtomicInteger limit = new AtomicInteger(4);
    AtomicInteger inFlight = new AtomicInteger(0);
    metrics.botConcurrency(limit::get, inFlight::get);
    PrometheusText text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("ticketgate_bot_concurrency_limit", Map.of())).isEqualTo(4);
    assertThat(text.value("ticketgate_bot_calls_in_flight", Map.of())).isZero();

    // An adaptive limit moves and calls come and go between scrapes: each scrape reads them again.
    limit.set(9);
    inFlight.set(7);
    text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("ticketgate_bot_concurrency_limit", Map.of())).isEqualTo(9);
    assertThat(text.value("ticketgate_bot_calls_in_flight", Map.of())).isEqualTo(7);

    metrics.botConcurrency(() -> 2, () -> null);
    text = PrometheusText.parse(metrics.scrape());
    assertThat(text.samples("ticketgate_bot_concurrency_limit")).as("replaced, not registered twice").hasSize(1);
    assertThat(text.value("ticketgate_bot_concurrency_limit", Map.of())).isEqualTo(2);
    assertThat(text.value("ticketgate_bot_calls_in_flight", Map.of())).isNaN();
  }

  @Test
  void bindsJvmMeters() {
    assertThat(PrometheusText.parse(metrics.scrape()).names()).contains(
        "jvm_memory_used_bytes",
        "jvm_threads_live_threads",
        "jvm_classes_loaded_classes",
        "system_cpu_count",
        "process_uptime_seconds",
        "jvm_gc_memory_allocated_bytes_total");
  }

  @Test
  void noSeriesIsLabelledWithAConversation() {
    metrics.lockWait(Duration.ofMillis(1));
    metrics.deadLettered("malformed_json");
    metrics.gauges(() -> 1, () -> 2);

    assertThat(PrometheusText.parse(metrics.scrape()).labelNames())
        .noneMatch(label -> label.toLowerCase().contains("conversation") || label.toLowerCase().contains("sender"));
  }

  @Test
  void bindsAndUnbindsAConsumersMetricsIncludingLag() {
    Map<MetricName, Metric> kafkaMetrics = new HashMap<>();
    MetricName lag = new MetricName("records-lag", "consumer-fetch-manager-metrics", "lag of a partition",
        Map.of("client-id", "gw-1", "topic", "in", "partition", "0"));
    kafkaMetrics.put(lag, metric(lag, 12.0));
    MockConsumer<String, String> consumer = new MockConsumer<>("earliest") {
      @Override
      public synchronized Map<MetricName, ? extends Metric> metrics() {
        return kafkaMetrics;
      }
    };

    GatewayMetrics.Binding binding = metrics.bindConsumer(consumer);
    PrometheusText text = PrometheusText.parse(metrics.scrape());
    assertThat(text.value("kafka_consumer_fetch_manager_records_lag",
        Map.of("topic", "in", "partition", "0", "client_id", "gw-1"))).isEqualTo(12.0);

    binding.close();
    binding.close();
    assertThat(PrometheusText.parse(metrics.scrape()).names())
        .noneMatch(name -> name.startsWith("kafka_consumer"));
  }

  @Test
  void bindsAProducerAndCloseUnbindsEverything() {
    MockProducer<String, String> producer = new MockProducer<>();
    MetricName sendRate = new MetricName("record-send-rate", "producer-metrics", "records sent per second",
        Map.of("client-id", "gw-producer"));
    producer.setMockMetrics(sendRate, metric(sendRate, 4.5));

    metrics.bindProducer(producer);
    assertThat(PrometheusText.parse(metrics.scrape())
        .value("kafka_producer_record_send_rate", Map.of("client_id", "gw-producer"))).isEqualTo(4.5);

    metrics.close();
    assertThat(metrics.registry().getMeters()).noneMatch(m -> m.getId().getName().startsWith("kafka."));
    assertThatThrownBy(() -> metrics.bindProducer(producer))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  private static Metric metric(MetricName name, double value) {
    return new Metric() {
      @Override
      public MetricName metricName() {
        return name;
      }

      @Override
      public Object metricValue() {
        return value;
      }
    };
  }

  private static org.assertj.core.data.Offset<Double> within() {
    return org.assertj.core.data.Offset.offset(1e-9);
  }
}
