package io.ticketgate.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DeadLetterReasonsTest {

  @Test
  void theReadmeNamesEveryReason() throws Exception {
    Path root = Path.of("").toAbsolutePath();
    while (!Files.isRegularFile(root.resolve("README.md")) || !Files.isDirectory(root.resolve("gateway"))) {
      root = root.getParent();
    }
    String readme = Files.readString(root.resolve("README.md"));
    int found = 0;
    for (Field f : DeadLetterReasons.class.getFields()) {
      if (Modifier.isStatic(f.getModifiers()) && f.getType() == String.class) {
        String reason = (String) f.get(null);
        String shown = reason.equals(DeadLetterReasons.BOT_HTTP_PREFIX) ? reason + "<status>" : reason;
        assertThat(readme).as("README mentions the dead-letter reason %s", shown).contains("`" + shown + "`");
        found++;
      }
    }
    assertThat(found).isGreaterThan(10);
    assertThat(DeadLetterReasons.botHttp(503)).isEqualTo("bot_http_503");
  }
}
