package io.ticketgate.gateway;

/**
 * The reasons a record is dead-lettered with: the {@code ticketgate.dead_letter.reason} header and
 * the {@code reason} label of {@code ticketgate_dead_letters_total}. Operators alert and replay by
 * them, so they are named here once and the README lists each.
 *
 * <p>A {@link BotHandler} of your own may use other reasons in its {@link BotException}s; keep them
 * few and fixed (the metric keeps at most 50 distinct reasons).
 */
public final class DeadLetterReasons {

  private DeadLetterReasons() {}

  // Rejected before a ticket was taken: these dead letters carry no ticketgate.ticket header.

  /** No value, zero bytes, or plain text of white space only. */
  public static final String EMPTY_VALUE = "empty_value";
  /** Longer than {@code kafka.max_message_bytes}. */
  public static final String TOO_LARGE = "too_large";
  /** Not valid UTF-8. */
  public static final String INVALID_UTF8 = "invalid_utf8";
  /** Starts like JSON but is not a Rasa-shaped message object. */
  public static final String MALFORMED_JSON = "malformed_json";
  /** The configured conversation id source is missing or empty. */
  public static final String NO_CONVERSATION_ID = "no_conversation_id";

  // Failed at the bot, after retries where the failure was retryable.

  /** Prefix of an HTTP status the bot answered with: {@code bot_http_<status>}. */
  public static final String BOT_HTTP_PREFIX = "bot_http_";
  /** The bot did not answer within {@code bot.timeout}. */
  public static final String BOT_TIMEOUT = "bot_timeout";
  /** No connection to the bot, or it broke before the answer. */
  public static final String BOT_UNREACHABLE = "bot_unreachable";
  /** A 2xx answer the bot type cannot read. */
  public static final String BOT_UNPARSEABLE_RESPONSE = "bot_unparseable_response";
  /** The message's metadata holds something JSON cannot encode. */
  public static final String BOT_REQUEST_UNENCODABLE = "bot_request_unencodable";
  /** The bot refused the ticket as stale, and a new ticket was refused too. */
  public static final String BOT_FENCED = "bot_fenced";
  /** The call was interrupted (the gateway is stopping); retried, dead-lettered only if it comes last. */
  public static final String BOT_INTERRUPTED = "bot_interrupted";
  /** A handler threw something other than a {@link BotException}. */
  public static final String BOT_ERROR = "bot_error";
  /** The gateway itself failed while handling the record. */
  public static final String INTERNAL_ERROR = "internal_error";

  /** {@code bot_http_<status>}. */
  public static String botHttp(int status) {
    return BOT_HTTP_PREFIX + status;
  }
}
