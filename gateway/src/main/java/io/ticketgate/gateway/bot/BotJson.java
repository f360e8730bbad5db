package io.ticketgate.gateway.bot;

import com.fasterxml.jackson.core.ErrorReportConfiguration;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.ByteArrayBuilder;
import com.fasterxml.jackson.core.util.JsonRecyclerPools;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.ticketgate.gateway.BotReply;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The JSON mapper the built-in bots share, and the helpers around it. */
final class BotJson {

  /**
   * Reads numbers as written: a bot's {@code 1.10} or {@code 12345678901234567890} reaches the
   * output topic unchanged instead of passing through a double. Trailing content after the value is
   * an error, so {@code [] garbage} is not taken for an empty answer.
   *
   * <p>Parser and generator buffers come from one pool shared by every thread. Jackson's default
   * keeps a set per thread, and bot calls run on virtual threads, a new one per record, so each
   * call allocated a fresh set of about 20 kB: measured, 40% of what the HTTP path allocated, and
   * twice the young collections. A call holds a set only while it encodes or decodes, which never
   * blocks, so the pool holds about as many sets as there are carrier threads.
   */
  static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
          .recyclerPool(JsonRecyclerPools.newConcurrentDequePool())
          // Parser complaints go into error messages next to our own body excerpt: keep them short.
          .errorReportConfiguration(ErrorReportConfiguration.builder()
              .maxErrorTokenLength(20)
              .maxRawContentLength(0)
              .build())
          .build())
      .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
      .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
      .build();

  /** How much of a body goes into an error message. */
  static final int EXCERPT_CHARS = 200;

  private BotJson() {}

  /**
   * One reply whose payload is the object {@code parser} stands at ({@code START_OBJECT}), as
   * compact JSON, numbers as written; leaves the parser at its {@code END_OBJECT}.
   */
  static BotReply reply(JsonParser parser) throws IOException {
    ByteArrayBuilder out = new ByteArrayBuilder(256);
    try (JsonGenerator generator = MAPPER.createGenerator(out)) {
      generator.copyCurrentStructureExact(parser);
    }
    return new BotReply(out.toByteArray());
  }

  /** One reply whose payload is {@code node} as compact JSON. */
  static BotReply reply(JsonNode node) {
    try {
      return new BotReply(MAPPER.writeValueAsBytes(node));
    } catch (JsonProcessingException e) {
      // A tree we just parsed always serializes; reaching this is a bug, not a bot failure.
      throw new IllegalStateException("could not serialize a parsed JSON tree: " + e.getMessage(), e);
    }
  }

  /**
   * The first {@value #EXCERPT_CHARS} characters of {@code body} decoded as UTF-8, on one line, with
   * a marker when cut, for error messages.
   */
  static String excerpt(byte[] body) {
    if (body == null || body.length == 0) {
      return "(empty body)";
    }
    String text = new String(body, StandardCharsets.UTF_8);
    boolean cut = text.length() > EXCERPT_CHARS;
    String head = cut ? text.substring(0, EXCERPT_CHARS) : text;
    head = head.replace("\r", "\\r").replace("\n", "\\n");
    return cut ? head + "... (" + body.length + " bytes)" : head;
  }
}
