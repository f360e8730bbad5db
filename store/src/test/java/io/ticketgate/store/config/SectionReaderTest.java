package io.ticketgate.store.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.store.LockStoreConfigException;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class SectionReaderTest {

  private static final String FILE = "endpoints.yml";

  private static final Map<String, String> ENV = Map.of(
      "HOST", "redis.internal",
      "PORT", "6380",
      "SECRET", "p$ss\\word",
      "EMPTY", "");

  private static final Function<String, String> env = ENV::get;

  private static Map<String, Object> section(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  private static SectionReader reader(Object... keysAndValues) {
    return new SectionReader("lock_store", section(keysAndValues), FILE, env);
  }

  @Nested
  class Substitution {

    @Test
    void replacesAVariable() {
      assertThat(reader("host", "${HOST}").values()).containsEntry("host", "redis.internal");
    }

    @Test
    void replacesSeveralVariablesInsideText() {
      SectionReader r = reader("url", "redis://${HOST}:${PORT}/0");

      assertThat(r.string("url", null)).isEqualTo("redis://redis.internal:6380/0");
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void insertsValuesLiterallyEvenWithDollarsAndBackslashes() {
      assertThat(reader("password", "${SECRET}").string("password", null)).isEqualTo("p$ss\\word");
    }

    @Test
    void replacesAnEmptyVariableWithNothing() {
      SectionReader r = reader("password", "x${EMPTY}y");

      assertThat(r.string("password", null)).isEqualTo("xy");
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void replacesVariablesInListElements() {
      SectionReader r = reader("endpoints", List.of("${HOST}:1", "other:2"));

      assertThat(r.stringList("endpoints")).containsExactly("redis.internal:1", "other:2");
    }

    @Test
    void leavesOtherDollarFormsAlone() {
      SectionReader r = reader("a", "$HOST", "b", "${1BAD}", "c", "${HOST", "d", "$${HOST}");

      assertThat(r.values()).containsEntry("a", "$HOST").containsEntry("b", "${1BAD}").containsEntry("c", "${HOST")
          .containsEntry("d", "$redis.internal");
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void leavesNonStringsAloneAndSubstitutesInsideNestedMaps() {
      SectionReader r = reader("port", 6379, "ssl", true, "nested", Map.of("k", "${HOST}"));

      // Nested maps carry pass-through client properties (SASL passwords among them).
      assertThat(r.values()).containsEntry("port", 6379).containsEntry("ssl", true)
          .containsEntry("nested", Map.of("k", "redis.internal"));
    }

    @Test
    void reportsAMissingVariableNamingKeyVariableAndFile() {
      SectionReader r = reader("password", "${NOT_SET}");

      assertThat(r.problems()).containsExactly(
          "lock_store.password refers to ${NOT_SET}, which is not set in the environment (give a default with "
              + "${NOT_SET:-value}) (in endpoints.yml)");
      // Left as written, so the value's own check does not report the same mistake twice.
      assertThat(r.values()).containsEntry("password", "${NOT_SET}");
    }

    @Test
    void takesTheDefaultOfAnUnsetOrEmptyVariableAsAShellDoes() {
      SectionReader r = reader("a", "${NOT_SET:-fallback}", "b", "${EMPTY:-fallback}", "c", "${HOST:-fallback}",
          "d", "${NOT_SET:-}", "e", "x${NOT_SET:-redis:6379}y");

      assertThat(r.values()).containsEntry("a", "fallback").containsEntry("b", "fallback")
          .containsEntry("c", "redis.internal").containsEntry("d", "").containsEntry("e", "xredis:6379y");
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void reportsEveryMissingVariable() {
      SectionReader r = reader("a", "${X1}", "b", List.of("${X2}", "${HOST}"), "c", "${X3}${X4}");

      assertThat(r.problems()).hasSize(4);
      assertThat(String.join("\n", r.problems())).contains("X1", "X2", "X3", "X4");
    }

    @Test
    void ofReadsTheProcessEnvironment() {
      String name = System.getenv().keySet().stream()
          .filter(k -> k.matches("[A-Za-z_][A-Za-z0-9_]*")).findFirst().orElse(null);
      org.junit.jupiter.api.Assumptions.assumeTrue(name != null);

      SectionReader r = SectionReader.of("lock_store", section("x", "${" + name + "}"), null);

      assertThat(r.values()).containsEntry("x", System.getenv(name));
    }
  }

  @Nested
  class Values {

    @Test
    void stringTakesScalarsAsWritten() {
      SectionReader r = reader("a", "text", "b", 5, "c", true, "d", 2.5);

      assertThat(r.string("a", null)).isEqualTo("text");
      assertThat(r.string("b", null)).isEqualTo("5");
      assertThat(r.string("c", null)).isEqualTo("true");
      assertThat(r.string("d", null)).isEqualTo("2.5");
      assertThat(r.string("absent", "fallback")).isEqualTo("fallback");
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void stringRejectsListsAndMaps() {
      SectionReader r = reader("a", List.of("x"), "b", Map.of("k", "v"));

      assertThat(r.string("a", "fa")).isEqualTo("fa");
      assertThat(r.string("b", "fb")).isEqualTo("fb");
      assertThat(r.problems()).containsExactly(
          "lock_store.a was '[x]' but it must be a single value (in endpoints.yml)",
          "lock_store.b was '{k=v}' but it must be a single value (in endpoints.yml)");
    }

    @Test
    void integerAcceptsWholeNumbersAndNumericStrings() {
      SectionReader r = reader("a", 5, "b", "6380", "c", 7.0, "d", " 8 ");

      assertThat(r.integer("a", 0, 0, 10)).isEqualTo(5);
      assertThat(r.integer("b", 0, 0, 65535)).isEqualTo(6380);
      assertThat(r.integer("c", 0, 0, 10)).isEqualTo(7);
      assertThat(r.integer("d", 0, 0, 10)).isEqualTo(8);
      assertThat(r.integer("absent", 3, 0, 10)).isEqualTo(3);
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void integerRejectsFractionsTextAndOutOfRange() {
      SectionReader r = reader("a", 1.5, "b", "x", "c", 11, "d", -1, "e", true);

      assertThat(r.integer("a", 1, 0, 10)).isEqualTo(1);
      assertThat(r.integer("b", 1, 0, 10)).isEqualTo(1);
      assertThat(r.integer("c", 1, 0, 10)).isEqualTo(1);
      assertThat(r.integer("d", 1, 0, 10)).isEqualTo(1);
      assertThat(r.integer("e", 1, 0, 10)).isEqualTo(1);
      assertThat(r.problems()).containsExactly(
          "lock_store.a was '1.5' but it must be a whole number (in endpoints.yml)",
          "lock_store.b was 'x' but it must be a whole number (in endpoints.yml)",
          "lock_store.c was '11' but it must be between 0 and 10 (in endpoints.yml)",
          "lock_store.d was '-1' but it must be between 0 and 10 (in endpoints.yml)",
          "lock_store.e was 'true' but it must be a whole number (in endpoints.yml)");
    }

    @Test
    void secondsAcceptsNumbersAndNumericStrings() {
      SectionReader r = reader("a", 5, "b", 0.25, "c", "1.5", "d", 10L);

      assertThat(r.seconds("a", null)).isEqualTo(Duration.ofSeconds(5));
      assertThat(r.seconds("b", null)).isEqualTo(Duration.ofMillis(250));
      assertThat(r.seconds("c", null)).isEqualTo(Duration.ofMillis(1500));
      assertThat(r.seconds("d", null)).isEqualTo(Duration.ofSeconds(10));
      assertThat(r.seconds("absent", Duration.ofDays(1))).isEqualTo(Duration.ofDays(1));
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void secondsRejectsTextNonFiniteNotPositiveAndHuge() {
      SectionReader r = reader("a", "abc", "b", "NaN", "c", 0, "d", -2, "e", 1e12, "f", false);

      for (String k : List.of("a", "b", "c", "d", "e", "f")) {
        assertThat(r.seconds(k, Duration.ofSeconds(60))).as(k).isEqualTo(Duration.ofSeconds(60));
      }
      assertThat(r.problems()).containsExactly(
          "lock_store.a was 'abc' but it must be a number of seconds (in endpoints.yml)",
          "lock_store.b was 'NaN' but it must be a number of seconds (in endpoints.yml)",
          "lock_store.c was '0' but it must be greater than 0 seconds (in endpoints.yml)",
          "lock_store.d was '-2' but it must be greater than 0 seconds (in endpoints.yml)",
          "lock_store.e was '1.0E12' but it must be at most 100 years (in endpoints.yml)",
          "lock_store.f was 'false' but it must be a number of seconds (in endpoints.yml)");
    }

    @Test
    void boolAcceptsTrueAndFalseInAnyCase() {
      SectionReader r = reader("a", true, "b", "TRUE", "c", " False ", "d", false);

      assertThat(r.bool("a", false)).isTrue();
      assertThat(r.bool("b", false)).isTrue();
      assertThat(r.bool("c", true)).isFalse();
      assertThat(r.bool("d", true)).isFalse();
      assertThat(r.bool("absent", true)).isTrue();
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void boolRejectsEverythingElse() {
      SectionReader r = reader("a", "maybe", "b", 1, "c", "yes");

      assertThat(r.bool("a", true)).isTrue();
      assertThat(r.bool("b", false)).isFalse();
      assertThat(r.bool("c", false)).isFalse();
      assertThat(r.problems()).containsExactly(
          "lock_store.a was 'maybe' but it must be true or false (in endpoints.yml)",
          "lock_store.b was '1' but it must be true or false (in endpoints.yml)",
          "lock_store.c was 'yes' but it must be true or false (in endpoints.yml)");
    }

    @Test
    void stringListAcceptsListsAndSingleValues() {
      SectionReader r = reader("a", List.of("x", 2), "b", "single");

      assertThat(r.stringList("a")).containsExactly("x", "2");
      assertThat(r.stringList("b")).containsExactly("single");
      assertThat(r.stringList("absent")).isEmpty();
      assertThat(r.problems()).isEmpty();
    }

    @Test
    void stringListRejectsMapsAndNestedValues() {
      SectionReader r = reader("a", Map.of("k", "v"), "b", List.of(List.of("x")), "c", Arrays.asList("x", null));

      assertThat(r.stringList("a")).isEmpty();
      assertThat(r.stringList("b")).isEmpty();
      assertThat(r.stringList("c")).isEmpty();
      assertThat(r.problems()).hasSize(3).allSatisfy(p -> assertThat(p).contains("must be a list of strings"));
    }

    @Test
    void hasIsTrueOnlyForPresentNonNullValues() {
      SectionReader r = reader("a", 1, "b", null);

      assertThat(r.has("a")).isTrue();
      assertThat(r.has("b")).isFalse();
      assertThat(r.has("c")).isFalse();
    }
  }

  @Nested
  class Reporting {

    @Test
    void problemsNameSectionKeyValueAndFile() {
      SectionReader r = reader();

      r.problem("port", 99999, "must be a port");
      r.problem("host and url are both set");

      assertThat(r.problems()).containsExactly(
          "lock_store.port was '99999' but it must be a port (in endpoints.yml)",
          "lock_store: host and url are both set (in endpoints.yml)");
    }

    @Test
    void withoutASourceNoFileIsNamed() {
      SectionReader r = new SectionReader("lock_store", Map.of("a", "x"), null, env);

      r.integer("a", 0, 0, 1);

      assertThat(r.problems()).containsExactly("lock_store.a was 'x' but it must be a whole number");
    }

    @Test
    void warnsAboutKeysNoReaderAskedFor() {
      SectionReader r = reader("type", "x", "known", 1, "unknown1", 2, "unknown2", null);
      r.string("type", null);
      r.raw("known");

      r.warnUnknownKeys("(context)");

      assertThat(r.warnings()).containsExactly(
          "lock_store: ignoring unknown key(s) [unknown1, unknown2] (context) (in endpoints.yml)");
    }

    @Test
    void suggestsTheKnownKeyAnUnknownOneIsATypoOf() {
      SectionReader r = reader("lock_lifetim", 1, "hots", "a", "something_else", 2);
      r.raw("lock_lifetime");
      r.raw("host");

      r.warnUnknownKeys("");

      assertThat(r.warnings()).containsExactly("lock_store: ignoring unknown key(s) [lock_lifetim, hots, "
          + "something_else]; did you mean 'lock_lifetime' for 'lock_lifetim', 'host' for 'hots' (in endpoints.yml)");
    }

    @Test
    void aTopLevelReaderNamesKeysAlone() {
      SectionReader top = new SectionReader("", Map.of("kafka", Map.of("group_id", "")), "gateway.yml", env);
      SectionReader kafka = top.section("kafka");

      kafka.problem("group_id", "", "must not be empty");
      top.problem("something is off");

      assertThat(top.problems()).containsExactly("kafka.group_id was '' but it must not be empty (in gateway.yml)",
          "something is off (in gateway.yml)");
    }

    @Test
    void nearestIgnoresCaseAndCountsASwapAsOneEdit() {
      assertThat(SectionReader.nearest("GROUP_ID", List.of("group_id", "topic"))).isEqualTo("group_id");
      assertThat(SectionReader.nearest("gorup_id", List.of("group_id", "topic"))).isEqualTo("group_id");
      assertThat(SectionReader.nearest("bootstrap", List.of("group_id", "topic"))).isNull();
    }

    @Test
    void noWarningWhenEveryKeyWasRead() {
      SectionReader r = reader("a", 1);
      r.raw("a");

      r.warnUnknownKeys("(context)");

      assertThat(r.warnings()).isEmpty();
    }

    @Test
    void throwIfProblemsListsEveryProblemOnce() {
      SectionReader r = reader("a", "x", "b", "y");
      r.integer("a", 0, 0, 1);
      r.bool("b", false);

      LockStoreConfigException e = (LockStoreConfigException) org.assertj.core.api.Assertions
          .catchThrowable(r::throwIfProblems);

      assertThat(e.problems()).isEqualTo(r.problems()).hasSize(2);
      assertThat(e.getMessage()).startsWith("invalid lock_store configuration (2 problems):")
          .contains("\n  - " + r.problems().get(0)).contains("\n  - " + r.problems().get(1));
    }

    @Test
    void throwIfProblemsDoesNothingWithoutProblems() {
      SectionReader r = reader("a", 1);
      r.integer("a", 0, 0, 1);

      r.throwIfProblems();

      assertThat(r.problems()).isEmpty();
    }

    @Test
    void problemAndWarningListsAreSnapshots() {
      SectionReader r = reader();
      List<String> before = r.problems();

      r.problem("late");

      assertThat(before).isEmpty();
      assertThatThrownBy(() -> r.problems().add("x")).isInstanceOf(UnsupportedOperationException.class);
    }
  }
}
