package io.ticketgate.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The store's layers, read from its sources: the engine and the backends never reach back into the
 * API's stores, {@code LockStores} is the only class that knows every store, and the packages
 * depend on one another only along the layers. A change that brings a back-reference back fails
 * here, naming the file and the import.
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

  /**
   * Which store package may import from which, as the sources stand: the API package sits on top
   * and may use everything (its stores are built from the engine, the backends and configuration);
   * the engine runs over the backend SPI and the API's value types, knowing no backend and no
   * configuration; the SPI knows only the API's types; the in-memory and Redis backends implement
   * the SPI without the engine or each other, the Redis one reading its own settings with the
   * configuration reader; {@code internal} is a leaf every package may use. A package not listed
   * here fails the test until it is placed.
   */
  private static final Map<String, Set<String>> MAY_IMPORT = Map.of(
      "(api)", Set.of("backend", "config", "engine", "internal", "memory", "redis"),
      "engine", Set.of("(api)", "backend", "internal"),
      "backend", Set.of("(api)", "internal"),
      "memory", Set.of("(api)", "backend", "internal"),
      "redis", Set.of("(api)", "backend", "config", "internal"),
      "config", Set.of("(api)", "internal"),
      "internal", Set.of());

  @Test
  void packagesImportEachOtherOnlyAlongTheLayers() throws IOException {
    Map<String, Set<String>> graph = new TreeMap<>();
    List<String> outOfLayer = new ArrayList<>();
    for (String i : imports(".")) {
      String file = i.substring(0, i.indexOf(' '));
      String from = file.contains("/") ? file.substring(0, file.indexOf('/')) : "(api)";
      String to = storePackageOf(i.substring(i.lastIndexOf(' ') + 1));
      if (to == null || to.equals(from)) {
        continue;
      }
      graph.computeIfAbsent(from, k -> new TreeSet<>()).add(to);
      Set<String> allowed = MAY_IMPORT.get(from);
      if (allowed == null || !allowed.contains(to)) {
        outOfLayer.add(i + " (" + from + " -> " + to + ")");
      }
    }
    assertThat(outOfLayer).as("imports across the layers; the graph found: %s", graph).isEmpty();
    assertThat(graph).as("internal imports nothing of the store").doesNotContainKey("internal");
    // Every other package was read and imports something: the scan itself did not come up empty.
    assertThat(graph.keySet()).containsExactlyInAnyOrder("(api)", "engine", "backend", "memory", "redis", "config");
  }

  /**
   * The store package an imported name lives in: the sub-package's name, {@code (api)} for the
   * API package itself, null for anything outside the store.
   */
  private static String storePackageOf(String imported) {
    String prefix = "io.ticketgate.store.";
    if (!imported.startsWith(prefix)) {
      return null;
    }
    String rest = imported.substring(prefix.length());
    String first = rest.contains(".") ? rest.substring(0, rest.indexOf('.')) : rest;
    return Character.isUpperCase(first.charAt(0)) ? "(api)" : first;
  }
}
