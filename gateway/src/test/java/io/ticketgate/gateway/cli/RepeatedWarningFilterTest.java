package io.ticketgate.gateway.cli;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class RepeatedWarningFilterTest {

  private final AtomicLong now = new AtomicLong(1_000_000);
  private final LoggerContext context = new LoggerContext();
  private final ListAppender<ILoggingEvent> seen = new ListAppender<>();
  private Logger kafka;
  private Logger ours;

  @BeforeEach
  void setUp() {
    RepeatedWarningFilter filter = new RepeatedWarningFilter(now::get);
    filter.setWindowMillis(30_000);
    filter.setContext(context);
    filter.start();
    context.addTurboFilter(filter);
    seen.setContext(context);
    seen.start();
    Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
    root.addAppender(seen);
    root.setLevel(Level.INFO);
    kafka = context.getLogger("org.apache.kafka.clients.NetworkClient");
    ours = context.getLogger("io.ticketgate.gateway.kafka.KafkaPipeline");
  }

  private List<String> messages() {
    return seen.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  void aRepeatedKafkaWarningGoesThroughOncePerWindowThenSaysHowManyWereLeftOut() {
    for (int i = 0; i < 40; i++) {
      kafka.warn("[Consumer clientId={}] Connection to node {} could not be established", "c", -1);
      now.addAndGet(500);
    }
    assertThat(messages()).containsExactly("[Consumer clientId=c] Connection to node -1 could not be established");

    now.addAndGet(30_000);
    kafka.warn("[Consumer clientId={}] Connection to node {} could not be established", "c", -1);

    assertThat(messages()).containsExactly(
        "[Consumer clientId=c] Connection to node -1 could not be established",
        "39 more like the next warning of org.apache.kafka.clients.NetworkClient were left out since it was last shown",
        "[Consumer clientId=c] Connection to node -1 could not be established");
  }

  @Test
  void differentWarningsOtherLoggersAndLowerLevelsAreNotHeldBack() {
    for (int i = 0; i < 3; i++) {
      kafka.warn("first {}", i);
      kafka.warn("second {}", i);
      kafka.error("an error {}", i);
      ours.warn("ours {}", i);
    }
    assertThat(messages()).containsExactly("first 0", "second 0", "an error 0", "ours 0", "ours 1", "ours 2");
  }
}
