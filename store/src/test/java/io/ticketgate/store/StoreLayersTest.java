package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The store's layers, read from its sources: the engine and the backends never reach back into the
 * API's stores, and {@code LockStores} is the only class that knows every store. A change that
 * brings a back-reference back fails here, naming the file and the import.
 */
class StoreLayersTest {

  private static final Path MAIN = Path.of("src/main/java/io/ticketgate/store");
  private static final Pattern IMPORT = Pattern.compile("^import (?:static )?(io\\.ticketgate\\.[\\w.]+);", Pattern.MULTILINE);

  /** Every "file imports name" pair of the store's main sources under {@code dir}. */
  private static List<String> imports(String dir) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> files = Files.walk(MAIN.resolve(dir))) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = IMPORT.matcher(Files.readString(f));
        while (m.find()) {
          found.add(MAIN.relativize(f) + " imports " + m.group(1));
        }
      }
    }
    return found;
  }

  @Test
  void theEngineUsesOnlyTheBackendAndTheApisValueTypes() throws IOException {
    assertThat(imports("engine"))
        .isNotEmpty()
        .noneMatch(i -> i.matches(".* io\\.ticketgate\\.store\\.(LockStore|LockStores)(\\..*)?"))
        .noneMatch(i -> i.contains(" io.ticketgate.store.memory") || i.contains(" io.ticketgate.store.redis"))
        .noneMatch(i -> i.contains(" io.ticketgate.store.config"));
  }

  @Test
  void theBackendSpiKnowsNeitherTheEngineNorAnyStore() throws IOException {
    assertThat(imports("backend"))
        .noneMatch(i -> i.contains(" io.ticketgate.store.engine"))
        .noneMatch(i -> i.matches(".* io\\.ticketgate\\.store\\.(LockStore|LockStores)(\\..*)?"))
        .noneMatch(i -> i.contains(" io.ticketgate.store.memory") || i.contains(" io.ticketgate.store.redis"));
  }

  @Test
  void storesUseTheApiAndTheSpiButNeitherTheEngineNorLockStores() throws IOException {
    List<String> stores = new ArrayList<>(imports("memory"));
    stores.addAll(imports("redis"));
    assertThat(stores)
        .noneMatch(i -> i.contains(" io.ticketgate.store.engine"))
        .noneMatch(i -> i.endsWith(" io.ticketgate.store.LockStores"));
  }

  @Test
  void onlyLockStoresLockStoreAndBackedLockStoreReachBelowTheApi() throws IOException {
    assertThat(imports("."))
        .filteredOn(i -> !i.contains("/")) // files of the API package itself
        .filteredOn(i -> i.contains(" io.ticketgate.store.engine") || i.contains(" io.ticketgate.store.backend")
            || i.contains(" io.ticketgate.store.memory") || i.contains(" io.ticketgate.store.redis"))
        .allMatch(i -> i.startsWith("LockStore.java ") || i.startsWith("LockStores.java ")
            || i.startsWith("BackedLockStore.java "));
  }
}
