package io.ticketgate.store.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads the configuration files ({@code gateway.yml}, {@code endpoints.yml}) the same way: a key
 * written twice is an error rather than the last one silently winning, and an empty file (or one
 * of comments only) is an empty mapping.
 *
 * <p>Internal: not part of the public API and may change without notice.
 */
public final class YamlFiles {

  // The factory's own defaults (an empty value reads as null), plus duplicate detection: its builder
  // starts from different parser defaults.
  private static final ObjectMapper YAML = new ObjectMapper(
      (YAMLFactory) new YAMLFactory().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION));

  private YamlFiles() {}

  /**
   * The file's top-level mapping.
   *
   * @throws IOException naming the problem when the file is missing, unreadable, not YAML, repeats a
   *     key, or holds something other than a mapping at the top level
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> readMapping(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IOException("cannot read " + file + ": no such file");
    }
    JsonNode tree;
    Object root;
    try {
      // readTree, not readValue: an empty or comments-only file is a valid YAML document without
      // content, which readValue rejects as "No content to map due to end-of-input".
      tree = YAML.readTree(file.toFile());
      root = tree == null || tree.isMissingNode() || tree.isNull() ? null : YAML.treeToValue(tree, Object.class);
    } catch (JsonProcessingException e) {
      // Jackson's own message puts the location on a second line, after a source description.
      JsonLocation at = e.getLocation();
      throw new IOException("cannot read " + file + ": " + e.getOriginalMessage()
          + (at == null || at.getLineNr() < 0 ? "" : " (line " + at.getLineNr() + ", column " + at.getColumnNr() + ")"),
          e);
    } catch (IOException e) {
      throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    if (root == null) {
      return new LinkedHashMap<>();
    }
    if (!(root instanceof Map<?, ?>)) {
      throw new IOException(file + " must hold a YAML mapping at the top level");
    }
    return (Map<String, Object>) root;
  }
}
