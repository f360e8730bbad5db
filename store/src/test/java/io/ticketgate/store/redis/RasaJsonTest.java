package io.ticketgate.store.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import java.time.Clock;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Rasa's serialized forms; every expected string was printed by CPython 3.11's {@code json.dumps}. */
class RasaJsonTest {

  @ParameterizedTest
  @CsvSource({
      "1700000060.125, 1700000060.125",
      "1e16, 1e+16",
      "1e15, 1000000000000000.0",
      "0.0001, 0.0001",
      "0.00001, 1e-05",
      "1.5, 1.5",
      "100.0, 100.0",
      "-2.5, -2.5",
      "123456789.123456789, 123456789.12345679",
      "0.30000000000000004, 0.30000000000000004",
      "1e22, 1e+22",
      "1.7e9, 1700000000.0",
      "4.9e-324, 5e-324",
      "1.7976931348623157e308, 1.7976931348623157e+308",
      "1763763000.1234567, 1763763000.1234567",
      "0.0, 0.0",
      "-0.0, -0.0",
      "12345678901234567890.0, 1.2345678901234567e+19",
      "9999999999999998.0, 9999999999999998.0",
  })
  void floatsAsPythonReprs(double value, String python) {
    assertThat(RasaJson.pythonFloat(value)).isEqualTo(python);
  }

  @Test
  void floatsRoundTripExactly() {
    SplittableRandom random = new SplittableRandom(42);
    for (int i = 0; i < 100_000; i++) {
      double epoch = 1.6e9 + random.nextDouble() * 1e9;
      double any = Double.longBitsToDouble(random.nextLong());
      for (double d : new double[] {epoch, any}) {
        if (Double.isFinite(d)) {
          assertThat(Double.parseDouble(RasaJson.pythonFloat(d))).as("%s", d).isEqualTo(d);
        }
      }
    }
  }

  @Test
  void stringsEscapedLikeEnsureAscii() {
    StringBuilder sb = new StringBuilder();
    RasaJson.pythonString(sb, "é\"/\\ \n\t\u007f\u0001😀 ok");
    assertThat(sb).hasToString("\"\\u00e9\\\"/\\\\ \\n\\t\\u007f\\u0001\\ud83d\\ude00 ok\"");
  }

  @Test
  void ticketAsRasaWritesIt() {
    assertThat(RasaJson.ticket(new Ticket(3, 1763763000.5))).isEqualTo("{\"number\": 3, \"expires\": 1763763000.5}");
  }

  @Test
  void lockAsRasaWritesIt() {
    TicketLock lock = new TicketLock("c1", List.of(new Ticket(0, 1.7e9), new Ticket(1, 1700000001.25)));
    assertThat(RasaJson.lock(lock)).isEqualTo("{\"conversation_id\": \"c1\", \"tickets\": ["
        + "\"{\\\"number\\\": 0, \\\"expires\\\": 1700000000.0}\", "
        + "\"{\\\"number\\\": 1, \\\"expires\\\": 1700000001.25}\"]}");
    assertThat(RasaJson.lock(new TicketLock("c1"))).isEqualTo("{\"conversation_id\": \"c1\", \"tickets\": []}");
  }

  @Test
  void readsWhatItWritesAndTicketObjects() {
    TicketLock lock = new TicketLock("ü", List.of(new Ticket(0, 1.7e9), new Ticket(1, 1700000001.25)), Clock.systemUTC());
    assertThat(RasaJson.parseLock("ignored", RasaJson.lock(lock), Clock.systemUTC())).isEqualTo(lock);
    TicketLock objects = RasaJson.parseLock("c", "{\"tickets\": [{\"number\": 4, \"expires\": 5.5}]}", Clock.systemUTC());
    assertThat(objects.conversationId()).isEqualTo("c");
    assertThat(objects.tickets()).containsExactly(new Ticket(4, 5.5));
  }

  @Test
  void rejectsValuesThatAreNotLocksNamingThem() {
    assertThatThrownBy(() -> RasaJson.parseLock("c", "not json", Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not JSON: not json");
    assertThatThrownBy(() -> RasaJson.parseLock("c", "{\"tickets\": 3}", Clock.systemUTC()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no \"tickets\" array");
    assertThatThrownBy(() -> RasaJson.parseTicket("{\"number\": \"x\", \"expires\": 1}"))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("needs integer \"number\"");
  }
}
