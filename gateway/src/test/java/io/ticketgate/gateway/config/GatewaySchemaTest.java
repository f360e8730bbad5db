package io.ticketgate.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ticketgate.store.LockStores;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * {@code docs/gateway.schema.json}, which editors use to complete and check {@code gateway.yml},
 * says what the reader reads: every key it names is one the reader knows, and every key of the
 * README's example is in it.
 */
class GatewaySchemaTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final ObjectMapper JSON = new ObjectMapper();

  private static JsonNode schema() throws IOException {
    return JSON.readTree(ROOT.resolve("docs/gateway.schema.json").toFile());
  }

  @Test
  void everyKeyTheSchemaNamesIsOneTheReaderKnows() throws IOException {
    JsonNode sections = schema().get("properties");
    List<String> unknown = new ArrayList<>();
    for (Iterator<String> it = sections.fieldNames(); it.hasNext(); ) {
      String section = it.next();
      for (Iterator<String> keys = sections.get(section).get("properties").fieldNames(); keys.hasNext(); ) {
        String key = keys.next();
        if (section.equals("bot") && key.startsWith("delay_")) {
          continue; // the echo bot's own keys, read by the handler from the raw section
        }
        Map<String, Object> values = new HashMap<>();
        // The schema's default where it gives one, else present but empty: asked for, or reported as unknown.
        JsonNode dflt = sections.get(section).get("properties").get(key).get("default");
        values.put(key, dflt == null ? null : JSON.convertValue(dflt, Object.class));
        List<String> warnings;
        if (section.equals("lock_store")) {
          values.put("type", "concurrent_redis");
          warnings = LockStores.validate(values, "gateway.yml").warnings();
        } else {
          Map<String, Object> root = new LinkedHashMap<>();
          root.put(section, values);
          warnings = GatewayConfigs.check(root, "gateway.yml", null, null).warnings();
        }
        if (warnings.stream().anyMatch(w -> w.contains("unknown") && w.contains(key))) {
          unknown.add(section + "." + key);
        }
      }
      if (section.equals("kafka")) {
        for (Iterator<String> keys = sections.get("kafka").get("properties").get("conversation_id").get("properties")
            .fieldNames(); keys.hasNext(); ) {
          String key = keys.next();
          Map<String, Object> cid = new HashMap<>();
          cid.put("source", key.equals("header") ? "header" : "json_field");
          cid.put(key, "x");
          List<String> warnings = GatewayConfigs.check(Map.of("kafka", Map.of("conversation_id", cid)), "gateway.yml",
              null, null).warnings();
          if (warnings.stream().anyMatch(w -> w.contains("unknown") && w.contains(key))) {
            unknown.add("kafka.conversation_id." + key);
          }
        }
      }
    }
    assertThat(unknown).as("keys in the schema that the reader reports as unknown").isEmpty();
  }

  @Test
  void everyKeyOfTheReadmesExampleIsInTheSchema() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"));
    int heading = readme.indexOf("### Configuration: `gateway.yml`");
    int start = readme.indexOf("```yaml\n", heading) + "```yaml\n".length();
    String example = readme.substring(start, readme.indexOf("```", start));
    JsonNode yaml = new ObjectMapper(new YAMLFactory()).readTree(example);
    JsonNode sections = schema().get("properties");
    List<String> missing = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = yaml.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> section = it.next();
      JsonNode known = sections.get(section.getKey());
      if (known == null) {
        missing.add(section.getKey());
        continue;
      }
      for (Iterator<String> keys = section.getValue().fieldNames(); keys.hasNext(); ) {
        String key = keys.next();
        if (!known.get("properties").has(key)) {
          missing.add(section.getKey() + "." + key);
        }
      }
    }
    assertThat(yaml.size()).as("sections in the README's example").isGreaterThanOrEqualTo(6);
    assertThat(missing).as("keys of the README's example missing from the schema").isEmpty();
  }
}
