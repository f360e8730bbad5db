package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.store.testing.MapBackedLockStore;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** A store that implements only Rasa's three primitives, loaded by class name as Rasa loads custom stores. */
class CustomLockStoreTest {

  private static final String TYPE = MapBackedLockStore.class.getName();

  @Test
  void isLoadedByClassNameWithItsSection() {
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("type", TYPE);
    section.put("lock_lifetime", 7);
    section.put("keep_alive", true);
    section.put("flavour", "sweet");

    try (LockStore store = LockStores.create(section)) {
      assertThat(store).isExactlyInstanceOf(MapBackedLockStore.class);
      assertThat(store.lockLifetime()).isEqualTo(Duration.ofSeconds(7));
      assertThat(store.options().keepAlive()).isTrue();
      assertThat(((MapBackedLockStore) store).section())
          .containsEntry("type", TYPE).containsEntry("flavour", "sweet").containsEntry("lock_lifetime", 7);
    }
  }

  @Test
  void worksEndToEndWithOnlyThePrimitives() {
    try (LockStore store = LockStores.create(Map.of("type", TYPE))) {
      String conv = "custom-conv";
      HeldLock first = store.lock(conv);
      CompletableFuture<HeldLock> second = store.lockAsync(conv);
      io.ticketgate.store.testing.Hang.until(() -> store.waitingCount() == 1, Duration.ofSeconds(30), "the waiter");
      assertThat(second).isNotDone();
      assertThat(store.getLock(conv).orElseThrow().tickets()).extracting(Ticket::number).containsExactly(0, 1);

      first.close();

      try (HeldLock held = io.ticketgate.store.testing.Hang.get(second, Duration.ofSeconds(30), "the second turn")) {
        assertThat(held.ticket()).isEqualTo(1);
        assertThat(((MapBackedLockStore) store).raw(conv)).startsWith("1@");
      }
      assertThat(store.getLock(conv)).isEmpty();
      assertThat(((MapBackedLockStore) store).size()).isZero();
    }
  }

  @Test
  void isValidatedWithoutBeingBuilt() {
    LockStores.Validation v = LockStores.validate(Map.of("type", TYPE, "anything", "goes"), "endpoints.yml");

    assertThat(v.kind()).isEqualTo(LockStores.Kind.CUSTOM);
    assertThat(v.isValid()).isTrue();
    assertThat(v.warnings()).isEmpty();
  }

  @Test
  void getsItsCommonOptionsCheckedBeforeItIsBuilt() {
    assertThatThrownBy(() -> LockStores.create(Map.of("type", TYPE, "lock_lifetime", "abc"), "endpoints.yml"))
        .isInstanceOf(LockStoreConfigException.class)
        .hasMessageContaining("lock_store.lock_lifetime")
        .hasMessageContaining("'abc'")
        .hasMessageContaining("endpoints.yml");
  }

  @Test
  void canBeBuiltDirectlyFromItsSection() {
    try (MapBackedLockStore store = new MapBackedLockStore(Map.of("lock_lifetime", 3))) {
      assertThat(store.lockLifetime()).isEqualTo(Duration.ofSeconds(3));
    }
  }

  @Test
  void rejectsBadOptionsInItsOwnConstructorToo() {
    assertThatThrownBy(() -> new MapBackedLockStore(Map.of("keep_alive", "maybe")))
        .isInstanceOf(LockStoreConfigException.class)
        .hasMessageContaining("lock_store.keep_alive");
  }
}
