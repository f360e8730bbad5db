package io.ticketgate.gateway.bot;

import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.config.BotSettings;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Creates the {@link BotHandler} a {@code bot:} section names.
 *
 * <p>{@code rasa} is {@link RasaBot}, {@code http} is {@link HttpBot}, {@code echo} is
 * {@link EchoBot}; any other type is the class name of a handler, loaded from the thread's context
 * class loader. Such a class must implement {@link BotHandler} and have a public constructor taking
 * the section as {@code Map<String, Object>} (preferred) or a public no-argument constructor.
 *
 * <p>How the HTTP bots classify failures, in one place: a refused, reset or broken connection is
 * retryable {@code bot_unreachable}; no answer within {@code bot.timeout} is retryable
 * {@code bot_timeout}; HTTP 5xx, 408 and 429 are retryable {@code bot_http_<status>} (a 429's or
 * 503's {@code Retry-After}, seconds or an HTTP-date, travels in
 * {@link io.ticketgate.gateway.BotException#retryAfter()}); any other
 * non-2xx status is permanent {@code bot_http_<status>} (redirects are not followed), except the
 * fencing status ({@code bot.fencing_status}, 409 by default), which is a
 * {@linkplain io.ticketgate.gateway.BotException#fenced fenced} {@code bot_fenced}; a 2xx whose
 * body the bot type cannot read is permanent {@code bot_unparseable_response}, with the first 200
 * characters of the body in the message. Messages name the URL, the status, the conversation and the
 * ticket. Each HTTP bot has one HTTP/1.1 client, whose connect timeout is {@code bot.timeout}; its
 * {@code close()} gives calls in progress up to that timeout (at most 5 s) and then aborts them.
 */
public final class BotHandlers {

  /** The header carrying the message's ticket number, the fencing token, on every HTTP call. */
  public static final String TICKET_HEADER = "X-Ticketgate-Ticket";

  /** The header carrying the record's idempotency key ({@link io.ticketgate.gateway.BotRequest.SourceRecord#idempotencyKey()}). */
  public static final String IDEMPOTENCY_HEADER = "Idempotency-Key";

  private BotHandlers() {}

  /**
   * The handler {@code settings} names, with classes loaded from the thread's context class loader
   * (or this library's loader when the thread has none).
   *
   * @throws IllegalArgumentException naming the setting or class and what is wrong with it
   */
  public static BotHandler create(BotSettings settings) {
    ClassLoader loader = Thread.currentThread().getContextClassLoader();
    return create(settings, loader != null ? loader : BotHandlers.class.getClassLoader());
  }

  /**
   * The handler {@code settings} names, with a class-name type loaded from {@code loader}.
   *
   * @throws IllegalArgumentException naming the setting or class and what is wrong with it
   */
  public static BotHandler create(BotSettings settings, ClassLoader loader) {
    Objects.requireNonNull(settings, "settings");
    Objects.requireNonNull(loader, "loader");
    String type = settings.type().trim();
    return switch (type.toLowerCase(Locale.ROOT)) {
      case "rasa" -> new RasaBot(settings);
      case "http" -> new HttpBot(settings);
      case "echo" -> new EchoBot(settings.section());
      default -> instantiate(type, settings.section(), loader);
    };
  }

  private static BotHandler instantiate(String className, Map<String, Object> section, ClassLoader loader) {
    if (className.isEmpty()) {
      throw new IllegalArgumentException("bot.type is empty: use rasa, http, echo or the class name of a "
          + BotHandler.class.getName());
    }
    Class<?> type;
    try {
      type = Class.forName(className, true, loader);
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("bot.type was '" + className + "' but it is not rasa, http or echo,"
          + " and no class of that name is on the class path", e);
    } catch (LinkageError e) {
      throw new IllegalArgumentException("bot.type names class " + className + " but loading it failed: " + e, e);
    }
    if (!BotHandler.class.isAssignableFrom(type)) {
      throw new IllegalArgumentException("bot.type names class " + className + " but it does not implement "
          + BotHandler.class.getName());
    }
    if (type.isInterface() || Modifier.isAbstract(type.getModifiers())) {
      throw new IllegalArgumentException("bot.type names class " + className
          + " but it is abstract: name a concrete class");
    }
    if (!Modifier.isPublic(type.getModifiers())) {
      throw new IllegalArgumentException("bot.type names class " + className + " but it is not public");
    }
    Constructor<?> constructor;
    Object[] arguments;
    try {
      constructor = type.getConstructor(Map.class);
      arguments = new Object[] {section};
    } catch (NoSuchMethodException withoutSection) {
      try {
        constructor = type.getConstructor();
        arguments = new Object[0];
      } catch (NoSuchMethodException withoutAnything) {
        throw new IllegalArgumentException("bot.type names class " + className + " but it has neither a public"
            + " constructor taking the bot section (Map<String, Object>) nor a public no-argument constructor");
      }
    }
    try {
      return (BotHandler) constructor.newInstance(arguments);
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      throw new IllegalArgumentException("bot.type names class " + className + " but its constructor failed: "
          + cause, cause);
    } catch (ReflectiveOperationException e) {
      throw new IllegalArgumentException("bot.type names class " + className + " but it cannot be created: "
          + e, e);
    }
  }
}
