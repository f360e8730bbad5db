package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ticketgate.store.memory.InMemoryLockStore;
import io.ticketgate.store.testing.BrokenStores;
import io.ticketgate.store.testing.Fixtures;
import io.ticketgate.store.testing.MapBackedLockStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LockStoresTest {

  /** A variable name no environment sets. */
  private static final String UNSET_VARIABLE = "TICKETGATE_TEST_SURELY_UNSET_7F3A9C";

  private static final String SOURCE = "config/endpoints.yml";

  @TempDir
  Path dir;

  private final List<LockStore> created = new ArrayList<>();

  @AfterEach
  void closeCreated() {
    created.forEach(LockStore::close);
  }

  private LockStore create(Map<String, Object> section) {
    LockStore s = LockStores.create(section);
    created.add(s);
    return s;
  }

  private LockStore create(Path file) {
    LockStore s = LockStores.create(file);
    created.add(s);
    return s;
  }

  private Path yaml(String name, String content) throws IOException {
    Path p = dir.resolve(name);
    Files.writeString(p, content);
    return p;
  }

  private static Map<String, Object> section(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return m;
  }

  private static LockStoreConfigException configError(Map<String, Object> section, String source) {
    return catchThrowableOfType(LockStoreConfigException.class, () -> LockStores.create(section, source).close());
  }

  /** Asserts that exactly one problem was found, naming the key, the value and the file. */
  private static String singleProblem(Map<String, Object> section, String key, String value) {
    LockStoreConfigException e = configError(section, SOURCE);
    assertThat(e).as("a LockStoreConfigException for %s", section).isNotNull();
    assertThat(e.problems()).hasSize(1);
    String problem = e.problems().get(0);
    assertThat(problem).contains("lock_store." + key).contains("'" + value + "'").contains(SOURCE);
    assertThat(e.getMessage()).contains(problem);
    return problem;
  }

  @Nested
  class TheInMemoryStore {

    @Test
    void isTheDefaultForAnEmptyOrAbsentSection() {
      assertThat(create(Map.of())).isExactlyInstanceOf(InMemoryLockStore.class);
      assertThat(create((Map<String, Object>) null)).isExactlyInstanceOf(InMemoryLockStore.class);
      assertThat(create(section("type", null))).isExactlyInstanceOf(InMemoryLockStore.class);
      assertThat(create(section("type", ""))).isExactlyInstanceOf(InMemoryLockStore.class);
    }

    @Test
    void isChosenByTypeInMemory() {
      assertThat(create(section("type", "in_memory"))).isExactlyInstanceOf(InMemoryLockStore.class);
      assertThat(create(section("type", "  in_memory "))).isExactlyInstanceOf(InMemoryLockStore.class);
    }

    @Test
    void getsTheDefaultOptionsWhenNoneAreGiven() {
      LockStore store = create(Map.of());

      assertThat(store.lockLifetime()).isEqualTo(LockStoreOptions.defaultLifetime());
      assertThat(store.options().keepAlive()).isFalse();
      assertThat(store.options().recheckInterval()).isEqualTo(LockStoreOptions.DEFAULT_RECHECK_INTERVAL);
    }

    @Test
    void defaultsToRasasSixtySecondsWhenTheEnvironmentSetsNoLifetime() {
      assumeTrue(System.getenv(LockStoreOptions.LIFETIME_ENV) == null, "TICKET_LOCK_LIFETIME is set");

      assertThat(create(Map.of()).lockLifetime()).isEqualTo(Duration.ofSeconds(60));
    }

    @Test
    void honoursLockLifetimeInSeconds() {
      assertThat(create(section("lock_lifetime", 5)).lockLifetime()).isEqualTo(Duration.ofSeconds(5));
      assertThat(create(section("lock_lifetime", 0.25)).lockLifetime()).isEqualTo(Duration.ofMillis(250));
      assertThat(create(section("lock_lifetime", "2.5")).lockLifetime()).isEqualTo(Duration.ofMillis(2500));
      assertThat(create(section("type", "in_memory", "lock_lifetime", 3600L)).lockLifetime())
          .isEqualTo(Duration.ofHours(1));
    }

    @Test
    void honoursKeepAliveAndRecheckInterval() {
      LockStore store = create(section("keep_alive", true, "recheck_interval", 0.5));

      assertThat(store.options().keepAlive()).isTrue();
      assertThat(store.options().recheckInterval()).isEqualTo(Duration.ofMillis(500));
      assertThat(create(section("keep_alive", "TRUE")).options().keepAlive()).isTrue();
      assertThat(create(section("keep_alive", " false ")).options().keepAlive()).isFalse();
    }

    @Test
    void theLifetimeIsUsedByLock() {
      LockStore store = create(section("lock_lifetime", 42));
      double before = System.currentTimeMillis() / 1000.0;

      try (HeldLock held = store.lock("conv")) {
        double expires = store.getLock("conv").orElseThrow().ticketFor(held.ticket()).expires();
        assertThat(expires).isBetween(before + 41, before + 43);
      }
    }
  }

  @Nested
  class EndpointsFiles {

    @Test
    void withoutALockStoreSectionGiveTheInMemoryStore() throws IOException {
      Path file = yaml("endpoints.yml", """
          tracker_store:
            type: sql
          action_endpoint:
            url: http://localhost:5055/webhook
          """);

      assertThat(LockStores.readSection(file)).isEmpty();
      assertThat(create(file)).isExactlyInstanceOf(InMemoryLockStore.class);
    }

    @Test
    void thatAreEmptyGiveTheInMemoryStore() throws IOException {
      assertThat(create(yaml("empty.yml", ""))).isExactlyInstanceOf(InMemoryLockStore.class);
      assertThat(create(yaml("comment.yml", "# nothing here\n"))).isExactlyInstanceOf(InMemoryLockStore.class);
    }

    @Test
    void withAnEmptyLockStoreSectionGiveTheInMemoryStore() throws IOException {
      assertThat(create(yaml("endpoints.yml", "lock_store:\n"))).isExactlyInstanceOf(InMemoryLockStore.class);
    }

    @Test
    void withALockStoreSectionAreHonoured() throws IOException {
      Path file = yaml("endpoints.yml", """
          lock_store:
            type: in_memory
            lock_lifetime: 7
            keep_alive: true
          """);

      assertThat(LockStores.readSection(file))
          .containsExactly(Map.entry("type", "in_memory"), Map.entry("lock_lifetime", 7), Map.entry("keep_alive", true));
      LockStore store = create(file);
      assertThat(store).isExactlyInstanceOf(InMemoryLockStore.class);
      assertThat(store.lockLifetime()).isEqualTo(Duration.ofSeconds(7));
      assertThat(store.options().keepAlive()).isTrue();
    }

    @Test
    void canNameACustomStore() throws IOException {
      Path file = yaml("endpoints.yml", """
          lock_store:
            type: %s
            lock_lifetime: 9
            flavour: sweet
          """.formatted(MapBackedLockStore.class.getName()));

      LockStore store = create(file);

      assertThat(store).isExactlyInstanceOf(MapBackedLockStore.class);
      assertThat(store.lockLifetime()).isEqualTo(Duration.ofSeconds(9));
      assertThat(((MapBackedLockStore) store).section()).containsEntry("flavour", "sweet");
    }

    @Test
    void reportProblemsNamingTheFile() throws IOException {
      Path file = yaml("endpoints.yml", """
          lock_store:
            lock_lifetime: abc
            keep_alive: maybe
          """);

      LockStoreConfigException e = catchThrowableOfType(LockStoreConfigException.class, () -> create(file));

      assertThat(e.problems()).hasSize(2).allSatisfy(p -> assertThat(p).contains(file.toString()));
      assertThat(e.problems().get(0)).contains("lock_store.lock_lifetime").contains("'abc'");
      assertThat(e.problems().get(1)).contains("lock_store.keep_alive").contains("'maybe'");
    }

    @Test
    void withAScalarLockStoreAreRejectedNamingTheValueAndFile() throws IOException {
      Path file = yaml("endpoints.yml", "lock_store: redis\n");

      assertThatThrownBy(() -> create(file))
          .isInstanceOf(LockStoreConfigException.class)
          .hasMessageContaining("lock_store")
          .hasMessageContaining("'redis'")
          .hasMessageContaining("mapping")
          .hasMessageContaining(file.toString());
    }

    @Test
    void withAListLockStoreAreRejected() throws IOException {
      Path file = yaml("endpoints.yml", "lock_store:\n  - type: redis\n");

      assertThatThrownBy(() -> create(file))
          .isInstanceOf(LockStoreConfigException.class)
          .hasMessageContaining("lock_store")
          .hasMessageContaining(file.toString());
    }

    @Test
    void whoseTopLevelIsNotAMappingAreRejected() throws IOException {
      Path file = yaml("endpoints.yml", "- one\n- two\n");

      assertThatThrownBy(() -> create(file))
          .isInstanceOf(LockStoreConfigException.class)
          .hasMessageContaining(file.toString())
          .hasMessageContaining("mapping");
    }

    @Test
    void thatAreNotYamlAreRejectedNamingTheFile() throws IOException {
      Path file = yaml("endpoints.yml", "lock_store:\n  type: [unclosed\n");

      LockStoreConfigException e = catchThrowableOfType(LockStoreConfigException.class, () -> create(file));

      assertThat(e).hasMessageContaining(file.toString());
      assertThat(e.problems()).hasSize(1);
    }

    @Test
    void thatRepeatAKeyAreRejectedNamingTheKeyAndTheFile() throws IOException {
      Path file = yaml("endpoints.yml", "lock_store:\n  type: redis\n  host: a\n  host: b\n");

      LockStoreConfigException e = catchThrowableOfType(LockStoreConfigException.class, () -> create(file));

      assertThat(e).hasMessageContaining(file.toString()).hasMessageContaining("host");
      assertThat(e.problems()).singleElement().asString().containsIgnoringCase("duplicate");
    }

    @Test
    void thatAreMissingAreRejectedNamingTheFile() {
      Path file = dir.resolve("nope/endpoints.yml");

      assertThatThrownBy(() -> create(file))
          .isInstanceOf(LockStoreConfigException.class)
          .hasMessageContaining(file.toString());
    }

    @Test
    void thatAreDirectoriesAreRejectedNamingThePath() {
      assertThatThrownBy(() -> create(dir))
          .isInstanceOf(LockStoreConfigException.class)
          .hasMessageContaining(dir.toString());
    }

    @Test
    void thatCannotBeReadAreRejectedNamingTheFile() throws IOException {
      Path file = yaml("endpoints.yml", "lock_store:\n  type: in_memory\n");
      try {
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
      } catch (UnsupportedOperationException e) {
        assumeTrue(false, "no POSIX permissions here");
      }
      assumeTrue(!Files.isReadable(file), "this user can read any file (root?)");

      assertThatThrownBy(() -> create(file))
          .isInstanceOf(LockStoreConfigException.class)
          .hasMessageContaining(file.toString());
    }

    @Test
    void reportAMissingVariableNamingKeyVariableAndFile() throws IOException {
      Path file = yaml("endpoints.yml", """
          lock_store:
            type: %s
            password: ${%s}
          """.formatted(MapBackedLockStore.class.getName(), UNSET_VARIABLE));

      LockStoreConfigException e = catchThrowableOfType(LockStoreConfigException.class, () -> create(file));

      assertThat(e.problems()).hasSize(1);
      assertThat(e.problems().get(0))
          .contains("lock_store.password")
          .contains(UNSET_VARIABLE)
          .contains(file.toString());
    }
  }

  @Nested
  class Variables {

    @Test
    void areSubstitutedFromTheEnvironmentBeforeTheStoreSeesTheSection() {
      Map.Entry<String, String> variable = System.getenv().entrySet().stream()
          .filter(e -> e.getKey().matches("[A-Za-z_][A-Za-z0-9_]*") && !e.getValue().isEmpty())
          .findFirst().orElse(null);
      assumeTrue(variable != null, "the environment has no usable variable");

      MapBackedLockStore store = (MapBackedLockStore) create(section(
          "type", MapBackedLockStore.class.getName(), "greeting", "<${" + variable.getKey() + "}>"));

      assertThat(store.section()).containsEntry("greeting", "<" + variable.getValue() + ">");
    }

    @Test
    void thatAreMissingAreReported() {
      LockStores.Validation v = LockStores.validate(section("lock_lifetime", "${" + UNSET_VARIABLE + "}"), SOURCE);

      assertThat(v.isValid()).isFalse();
      assertThat(v.problems()).anySatisfy(p -> assertThat(p)
          .contains("lock_store.lock_lifetime").contains("${" + UNSET_VARIABLE + "}").contains(SOURCE));
    }

    @Test
    void thatAreMissingMakeCreateFail() {
      assertThatThrownBy(() -> create(section("type", "${" + UNSET_VARIABLE + "}")))
          .isInstanceOf(LockStoreConfigException.class)
          .hasMessageContaining(UNSET_VARIABLE);
    }
  }

  @Nested
  class Errors {

    @Test
    void anUnknownTypeNamesKeyValueAndFile() {
      String p = singleProblem(section("type", "mongo"), "type", "mongo");

      assertThat(p).contains("in_memory").contains("redis");
    }

    @Test
    void aTypeThatIsNotAStringIsReported() {
      singleProblem(section("type", 42), "type", "42");
      singleProblem(section("type", List.of("in_memory")), "type", "[in_memory]");
      singleProblem(section("type", Map.of("a", 1)), "type", "{a=1}");
    }

    @Test
    void aClassThatCannotBeFoundIsReported() {
      singleProblem(section("type", "com.example.NoSuchLockStore"), "type", "com.example.NoSuchLockStore");
    }

    @Test
    void aClassThatIsNotALockStoreIsReported() {
      String name = BrokenStores.NotALockStore.class.getName();

      assertThat(singleProblem(section("type", name), "type", name)).contains(LockStore.class.getName());
    }

    @Test
    void anAbstractClassIsReported() {
      String name = BrokenStores.AbstractStore.class.getName();

      assertThat(singleProblem(section("type", name), "type", name)).contains("abstract");
    }

    @Test
    void aClassWithoutAPublicSectionConstructorIsReported() {
      String name = BrokenStores.NoMapConstructor.class.getName();
      assertThat(singleProblem(section("type", name), "type", name)).contains("constructor");

      String privateCtor = BrokenStores.PrivateMapConstructor.class.getName();
      assertThat(singleProblem(section("type", privateCtor), "type", privateCtor)).contains("constructor");
    }

    @Test
    void aClassThatIsNotPublicIsReportedByValidateAndCreate() {
      String name = Fixtures.hiddenLockStoreName();
      Map<String, Object> s = section("type", name);

      LockStores.Validation v = LockStores.validate(s, SOURCE);
      assertThat(v.problems()).as("validate must catch what create cannot do").hasSize(1);
      assertThat(v.problems().get(0)).contains("lock_store.type").contains(name).contains(SOURCE);
      singleProblem(s, "type", name);
    }

    @Test
    void aConstructorThatThrowsIsReportedWithItsCause() {
      String name = BrokenStores.ThrowingConstructor.class.getName();

      LockStoreConfigException e = configError(section("type", name), SOURCE);

      assertThat(e.problems()).hasSize(1);
      assertThat(e.problems().get(0)).contains("lock_store.type").contains(name)
          .contains(BrokenStores.ThrowingConstructor.MESSAGE).contains(SOURCE);
      assertThat(e.getCause()).isInstanceOf(IllegalStateException.class)
          .hasMessage(BrokenStores.ThrowingConstructor.MESSAGE);
    }

    @Test
    void aConstructorReportingItsOwnProblemsIsPassedThrough() {
      LockStoreConfigException e = configError(section("type", BrokenStores.RejectingConstructor.class.getName()), SOURCE);

      assertThat(e.problems()).containsExactly(BrokenStores.RejectingConstructor.PROBLEM);
    }

    @Test
    void aClassWhoseInitializationFailsIsReported() {
      String name = BrokenStores.FailingStaticInitializer.class.getName();

      LockStoreConfigException e = configError(section("type", name), SOURCE);

      assertThat(e).as("a LockStoreConfigException, not a raw LinkageError").isNotNull();
      assertThat(e.problems()).hasSize(1);
      assertThat(e.problems().get(0)).contains("lock_store.type").contains(name).contains(SOURCE);
    }

    @Test
    void aLockLifetimeThatIsNotANumberIsReported() {
      singleProblem(section("lock_lifetime", "abc"), "lock_lifetime", "abc");
      singleProblem(section("lock_lifetime", true), "lock_lifetime", "true");
      singleProblem(section("lock_lifetime", List.of(1, 2)), "lock_lifetime", "[1, 2]");
      singleProblem(section("lock_lifetime", "NaN"), "lock_lifetime", "NaN");
      singleProblem(section("lock_lifetime", "Infinity"), "lock_lifetime", "Infinity");
    }

    @Test
    void aLockLifetimeThatIsNotPositiveIsReported() {
      assertThat(singleProblem(section("lock_lifetime", -5), "lock_lifetime", "-5")).contains("greater than 0");
      singleProblem(section("lock_lifetime", 0), "lock_lifetime", "0");
      singleProblem(section("lock_lifetime", "-0.5"), "lock_lifetime", "-0.5");
    }

    @Test
    void anAbsurdlyLongLockLifetimeIsReported() {
      singleProblem(section("lock_lifetime", 1e12), "lock_lifetime", "1.0E12");
    }

    @Test
    void aKeepAliveThatIsNotABooleanIsReported() {
      assertThat(singleProblem(section("keep_alive", "maybe"), "keep_alive", "maybe")).contains("true or false");
      singleProblem(section("keep_alive", 1), "keep_alive", "1");
      singleProblem(section("keep_alive", "yes"), "keep_alive", "yes");
    }

    @Test
    void aBadRecheckIntervalIsReported() {
      singleProblem(section("recheck_interval", "often"), "recheck_interval", "often");
      singleProblem(section("recheck_interval", 0), "recheck_interval", "0");
    }

    @Test
    void everyProblemOfASectionIsListedInOneException() {
      Map<String, Object> s = section(
          "type", "in_memory", "lock_lifetime", "abc", "keep_alive", "maybe", "recheck_interval", -1);

      LockStoreConfigException e = configError(s, SOURCE);

      assertThat(e.problems()).hasSize(3).allSatisfy(p -> assertThat(p).contains(SOURCE));
      assertThat(e.problems().get(0)).contains("lock_store.lock_lifetime").contains("'abc'");
      assertThat(e.problems().get(1)).contains("lock_store.keep_alive").contains("'maybe'");
      assertThat(e.problems().get(2)).contains("lock_store.recheck_interval").contains("'-1'");
      assertThat(e.getMessage()).contains("3 problems");
      e.problems().forEach(p -> assertThat(e.getMessage()).contains(p));
    }

    @Test
    void aBadTypeIsListedTogetherWithBadOptions() {
      LockStoreConfigException e = configError(section("type", "mongo", "lock_lifetime", -1, "keep_alive", "x"), SOURCE);

      assertThat(e.problems()).hasSize(3);
      assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("lock_store.type").contains("'mongo'"));
    }

    @Test
    void aMissingCustomClassIsListedTogetherWithBadOptions() {
      LockStoreConfigException e = configError(
          section("type", "com.example.Missing", "lock_lifetime", "soon"), SOURCE);

      assertThat(e.problems()).hasSize(2);
      assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("lock_store.type").contains("com.example.Missing"));
      assertThat(e.problems()).anySatisfy(p -> assertThat(p).contains("lock_store.lock_lifetime").contains("'soon'"));
    }

    @Test
    void aCustomStoreIsNotConstructedWhenItsOptionsAreBad() {
      // ThrowingConstructor would fail with its own message if it were constructed.
      LockStoreConfigException e = configError(
          section("type", BrokenStores.ThrowingConstructor.class.getName(), "keep_alive", "perhaps"), SOURCE);

      assertThat(e.problems()).hasSize(1);
      assertThat(e.problems().get(0)).contains("lock_store.keep_alive");
    }

    @Test
    void withoutAFileTheMessagesDoNotPretendOne() {
      LockStoreConfigException e = catchThrowableOfType(LockStoreConfigException.class,
          () -> LockStores.create(section("lock_lifetime", "abc")));

      assertThat(e.problems()).containsExactly("lock_store.lock_lifetime was 'abc' but it must be a number of seconds");
      assertThat(e.getMessage()).isEqualTo("invalid lock_store configuration: " + e.problems().get(0));
    }
  }

  @Nested
  class Validation {

    @Test
    void ofAGoodSectionHasNoProblemsOrWarnings() {
      LockStores.Validation v = LockStores.validate(section("type", "in_memory", "lock_lifetime", 5), SOURCE);

      assertThat(v.kind()).isEqualTo(LockStores.Kind.IN_MEMORY);
      assertThat(v.isValid()).isTrue();
      assertThat(v.problems()).isEmpty();
      assertThat(v.warnings()).isEmpty();
    }

    @Test
    void warnsAboutUnknownKeysNamingThemAndTheFile() {
      LockStores.Validation v = LockStores.validate(section("type", "in_memory", "colour", "blue", "hostt", "x"), SOURCE);

      assertThat(v.isValid()).isTrue();
      assertThat(v.warnings()).hasSize(1);
      assertThat(v.warnings().get(0)).contains("colour").contains("hostt").contains(SOURCE);
    }

    @Test
    void warnsAboutUnknownKeysWhenTheTypeIsAbsent() {
      LockStores.Validation v = LockStores.validate(section("lock_lifetme", 5), null);

      assertThat(v.kind()).isEqualTo(LockStores.Kind.IN_MEMORY);
      assertThat(v.warnings()).singleElement().asString().contains("lock_lifetme");
    }

    @Test
    void unknownKeysDoNotStopCreate() {
      assertThat(create(section("type", "in_memory", "colour", "blue"))).isExactlyInstanceOf(InMemoryLockStore.class);
    }

    @Test
    void leavesTheKeysOfACustomStoreToIt() {
      LockStores.Validation v = LockStores.validate(
          section("type", MapBackedLockStore.class.getName(), "flavour", "sweet"), SOURCE);

      assertThat(v.kind()).isEqualTo(LockStores.Kind.CUSTOM);
      assertThat(v.isValid()).isTrue();
      assertThat(v.warnings()).isEmpty();
    }

    @Test
    void ofAnUnknownTypeHasNoKind() {
      LockStores.Validation v = LockStores.validate(section("type", "mongo"), SOURCE);

      assertThat(v.kind()).isNull();
      assertThat(v.isValid()).isFalse();
    }

    @Test
    void namesTheKindOfEveryType() {
      assertThat(LockStores.validate(Map.of(), null).kind()).isEqualTo(LockStores.Kind.IN_MEMORY);
      assertThat(LockStores.validate(section("type", "redis"), null).kind()).isEqualTo(LockStores.Kind.REDIS);
      assertThat(LockStores.validate(section("type", "concurrent_redis"), null).kind())
          .isEqualTo(LockStores.Kind.CONCURRENT_REDIS);
      assertThat(LockStores.validate(section("type", "redis", "concurrent_mode", true), null).kind())
          .isEqualTo(LockStores.Kind.CONCURRENT_REDIS);
      for (String alias : LockStores.RASA_CONCURRENT_ALIASES) {
        assertThat(LockStores.validate(section("type", alias), null).kind()).as(alias)
            .isEqualTo(LockStores.Kind.CONCURRENT_REDIS);
      }
      assertThat(LockStores.validate(section("type", MapBackedLockStore.class.getName()), null).kind())
          .isEqualTo(LockStores.Kind.CUSTOM);
    }

    @Test
    void ofABuiltInStoreNamedByItsClassIsThatStoreWithItsKeysChecked() {
      Map<String, LockStores.Kind> expected = Map.of(
          "io.ticketgate.store.memory.InMemoryLockStore", LockStores.Kind.IN_MEMORY,
          "rasa.core.lock_store.InMemoryLockStore", LockStores.Kind.IN_MEMORY,
          "io.ticketgate.store.redis.RedisLockStore", LockStores.Kind.REDIS,
          "rasa.core.lock_store.RedisLockStore", LockStores.Kind.REDIS,
          "io.ticketgate.store.redis.ConcurrentRedisLockStore", LockStores.Kind.CONCURRENT_REDIS);
      assertThat(LockStores.BUILT_IN_CLASS_NAMES.keySet()).isEqualTo(expected.keySet());
      expected.forEach((className, kind) -> {
        LockStores.Validation v = LockStores.validate(section("type", className, "port", "not-a-port"), SOURCE);
        assertThat(v.kind()).as(className).isEqualTo(kind);
        if (kind == LockStores.Kind.IN_MEMORY) {
          assertThat(v.warnings()).as(className).anySatisfy(w -> assertThat(w).contains("unknown key(s) [port]"));
        } else {
          assertThat(v.problems()).as(className).anySatisfy(p -> assertThat(p).contains("lock_store.port")
              .contains("not-a-port"));
        }
      });
      assertThat(create(section("type", "io.ticketgate.store.memory.InMemoryLockStore")))
          .isInstanceOf(InMemoryLockStore.class);
    }

    @Test
    void buildsNothing() {
      // ThrowingConstructor fails whenever it is constructed; validate must not construct it.
      LockStores.Validation v = LockStores.validate(section("type", BrokenStores.ThrowingConstructor.class.getName()), SOURCE);

      assertThat(v.isValid()).isTrue();
    }
  }

  @Nested
  class Options {

    @Test
    void readTheCommonKeys() {
      LockStoreOptions o = LockStores.options(section("lock_lifetime", 3, "keep_alive", "true", "recheck_interval", "0.2",
          "type", "whatever", "other", "ignored"));

      assertThat(o.lockLifetime()).isEqualTo(Duration.ofSeconds(3));
      assertThat(o.keepAlive()).isTrue();
      assertThat(o.recheckInterval()).isEqualTo(Duration.ofMillis(200));
    }

    @Test
    void ofAnEmptySectionAreTheDefaults() {
      assertThat(LockStores.options(Map.of())).isEqualTo(LockStoreOptions.defaults());
    }

    @Test
    void rejectBadValuesListingAll() {
      LockStoreConfigException e = catchThrowableOfType(LockStoreConfigException.class,
          () -> LockStores.options(section("lock_lifetime", "abc", "keep_alive", "maybe")));

      assertThat(e.problems()).hasSize(2);
    }
  }
}
