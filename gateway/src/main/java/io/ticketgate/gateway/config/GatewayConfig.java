package io.ticketgate.gateway.config;

import java.util.Map;
import java.util.Objects;

/**
 * Everything a gateway runs with, read from {@code gateway.yml} (and optionally Rasa's
 * {@code endpoints.yml}) by {@link GatewayConfigs}. Immutable.
 *
 * @param kafka the {@code kafka:} section
 * @param lockStore the {@code lock_store:} section exactly as {@code endpoints.yml} has it; empty
 *     means the in-memory store
 * @param lockStoreSource the file the lock store section came from, for messages; may be null
 * @param bot the {@code bot:} section
 * @param dispatch the {@code dispatch:} section
 * @param metrics the {@code metrics:} section
 * @param logging the {@code logging:} section
 */
public record GatewayConfig(KafkaSettings kafka, Map<String, Object> lockStore, String lockStoreSource,
    BotSettings bot, DispatchSettings dispatch, MetricsSettings metrics, LoggingSettings logging) {

  /** Validates and freezes the components. */
  public GatewayConfig {
    Objects.requireNonNull(kafka, "kafka");
    lockStore = lockStore == null ? Map.of() : java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(lockStore));
    Objects.requireNonNull(bot, "bot");
    Objects.requireNonNull(dispatch, "dispatch");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(logging, "logging");
  }

  /** A copy with another Kafka section. */
  public GatewayConfig withKafka(KafkaSettings kafka) {
    return new GatewayConfig(kafka, lockStore, lockStoreSource, bot, dispatch, metrics, logging);
  }

  /** A copy with another lock store section. */
  public GatewayConfig withLockStore(Map<String, Object> lockStore) {
    return new GatewayConfig(kafka, lockStore, lockStoreSource, bot, dispatch, metrics, logging);
  }

  /** A copy with another bot. */
  public GatewayConfig withBot(BotSettings bot) {
    return new GatewayConfig(kafka, lockStore, lockStoreSource, bot, dispatch, metrics, logging);
  }

  /** A copy with other dispatch settings. */
  public GatewayConfig withDispatch(DispatchSettings dispatch) {
    return new GatewayConfig(kafka, lockStore, lockStoreSource, bot, dispatch, metrics, logging);
  }

  /** A copy with other metrics settings. */
  public GatewayConfig withMetrics(MetricsSettings metrics) {
    return new GatewayConfig(kafka, lockStore, lockStoreSource, bot, dispatch, metrics, logging);
  }
}
