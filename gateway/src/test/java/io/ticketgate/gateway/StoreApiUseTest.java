package io.ticketgate.gateway;

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

/** The gateway uses the store through its API only: never its internals, its engine or its backend SPI. */
class StoreApiUseTest {

  private static final Pattern STORE_IMPORT =
      Pattern.compile("^import (?:static )?(io\\.ticketgate\\.store\\.[\\w.]+);", Pattern.MULTILINE);

  @Test
  void gatewaySourcesImportNoStoreInternals() throws IOException {
    Path main = Path.of("src/main/java");
    List<String> imports = new ArrayList<>();
    try (Stream<Path> files = Files.walk(main)) {
      for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
        Matcher m = STORE_IMPORT.matcher(Files.readString(f));
        while (m.find()) {
          imports.add(main.relativize(f) + " imports " + m.group(1));
        }
      }
    }
    assertThat(imports).as("the gateway uses the store").isNotEmpty()
        .noneMatch(i -> i.matches(".* io\\.ticketgate\\.store\\.(internal|engine|backend)\\..*"));
  }
}
