package io.ticketgate.store.redis;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import java.math.BigDecimal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;

/**
 * Rasa's serialized forms, byte for byte: what Python's {@code json.dumps} writes with its defaults
 * ({@code ", "} and {@code ": "} separators, non-ASCII escaped as lowercase {@code \\uXXXX}, floats
 * as {@code repr}). Byte-equality matters beyond looks: the Redis store compares stored values when
 * it swaps them atomically, so a Rasa server and Ticketgate must write the same bytes for the same
 * lock.
 */
final class RasaJson {

  private static final ObjectMapper MAPPER = new ObjectMapper();

  private RasaJson() {}

  /** {@code {"number": 3, "expires": 1700000000.25}} */
  static String ticket(Ticket t) {
    return ticket(t.number(), t.expires());
  }

  static String ticket(long number, double expires) {
    return "{\"number\": " + number + ", \"expires\": " + pythonFloat(expires) + "}";
  }

  /** {@code {"conversation_id": "c", "tickets": ["{\"number\": 0, ...}", ...]}}: each ticket is a JSON string. */
  static String lock(TicketLock lock) {
    StringBuilder sb = new StringBuilder(64 + 48 * lock.tickets().size());
    sb.append("{\"conversation_id\": ");
    pythonString(sb, lock.conversationId());
    sb.append(", \"tickets\": [");
    boolean first = true;
    for (Ticket t : lock.tickets()) {
      if (!first) {
        sb.append(", ");
      }
      first = false;
      pythonString(sb, ticket(t));
    }
    return sb.append("]}").toString();
  }

  /**
   * Reads a lock Rasa or Ticketgate wrote. Tickets may be JSON strings (Rasa's form) or objects.
   *
   * @throws IllegalArgumentException naming what is wrong when the value is not a lock
   */
  static TicketLock parseLock(String conversationId, String json, Clock clock) {
    JsonNode root = read(json);
    JsonNode tickets = root.get("tickets");
    if (!root.isObject() || tickets == null || !tickets.isArray()) {
      throw new IllegalArgumentException("not a ticket lock (no \"tickets\" array): " + abbreviate(json));
    }
    List<Ticket> list = new ArrayList<>(tickets.size());
    for (JsonNode t : tickets) {
      list.add(parseTicket(t.isTextual() ? read(t.asText()) : t, json));
    }
    JsonNode id = root.get("conversation_id");
    return new TicketLock(id != null && id.isTextual() ? id.asText() : conversationId, list, clock);
  }

  /** Reads one ticket, {@code {"number": n, "expires": t}}. */
  static Ticket parseTicket(String json) {
    return parseTicket(read(json), json);
  }

  private static Ticket parseTicket(JsonNode node, String context) {
    JsonNode number = node.get("number");
    JsonNode expires = node.get("expires");
    if (number == null || !number.canConvertToInt() || expires == null || !expires.isNumber()) {
      throw new IllegalArgumentException("not a ticket (needs integer \"number\" and numeric \"expires\"): "
          + abbreviate(context));
    }
    return new Ticket(number.asInt(), expires.asDouble());
  }

  private static JsonNode read(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("not JSON: " + abbreviate(json), e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  /**
   * Python's {@code repr(float)}: the shortest digits that round-trip (Java's {@link Double#toString}
   * gives the same digits since JDK 19), in positional form with at least one decimal unless the
   * decimal exponent is below -4 or above 16.
   */
  static String pythonFloat(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0.0" : "0.0";
    }
    // Read the digits and the exponent off Java's text ("123.45", "1.7331234567E9", "1.0E-5"): this
    // runs for every ticket a Rasa-compatible store writes, where a BigDecimal per call showed in profiles.
    String text = Double.toString(Math.abs(d));
    int e = text.indexOf('E');
    int dot = text.indexOf('.');
    int end = e < 0 ? text.length() : e;
    String digits = text.substring(0, dot) + text.substring(dot + 1, end);
    int decpt = dot + (e < 0 ? 0 : Integer.parseInt(text.substring(e + 1))); // value = 0.<digits> x 10^decpt
    int lead = 0;
    while (lead < digits.length() - 1 && digits.charAt(lead) == '0') {
      lead++;
    }
    int trail = digits.length();
    while (trail > lead + 1 && digits.charAt(trail - 1) == '0') {
      trail--;
    }
    digits = digits.substring(lead, trail);
    decpt -= lead;
    if (digits.length() == 2) {
      // Java always prints two digits where one would do (4.9E-324 for Python's 5e-324); prefer one
      // digit when it reads back as the same double, as Python does.
      BigDecimal one = new BigDecimal(new java.math.BigInteger(digits), digits.length() - decpt)
          .round(new java.math.MathContext(1, java.math.RoundingMode.HALF_EVEN));
      if (one.doubleValue() == Math.abs(d)) {
        BigDecimal stripped = one.stripTrailingZeros();
        digits = stripped.unscaledValue().toString();
        decpt = digits.length() - stripped.scale();
      }
    }
    StringBuilder sb = new StringBuilder(24);
    if (d < 0) {
      sb.append('-');
    }
    if (decpt > -4 && decpt <= 16) {
      if (decpt <= 0) {
        sb.append("0.").append("0".repeat(-decpt)).append(digits);
      } else if (decpt >= digits.length()) {
        sb.append(digits).append("0".repeat(decpt - digits.length())).append(".0");
      } else {
        sb.append(digits, 0, decpt).append('.').append(digits, decpt, digits.length());
      }
    } else {
      int exp = decpt - 1;
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append('e').append(exp < 0 ? '-' : '+');
      int abs = Math.abs(exp);
      if (abs < 10) {
        sb.append('0');
      }
      sb.append(abs);
    }
    return sb.toString();
  }

  /** Python's {@code json.dumps(str)} with {@code ensure_ascii=True}. */
  static void pythonString(StringBuilder sb, String s) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        default -> {
          if (c < 0x20 || c > 0x7e) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
