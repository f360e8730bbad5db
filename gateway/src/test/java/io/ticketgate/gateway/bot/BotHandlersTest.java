package io.ticketgate.gateway.bot;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ticketgate.gateway.BotHandler;
import io.ticketgate.gateway.BotReply;
import io.ticketgate.gateway.BotRequest;
import io.ticketgate.gateway.config.BotSettings;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Choosing and building handlers from a {@code bot:} section; no servers involved. */
class BotHandlersTest {

  private static BotSettings settings(String type, String url, Map<String, Object> section) {
    return new BotSettings(type, url == null ? null : URI.create(url), Duration.ofSeconds(3), Map.of(), section);
  }

  private static BotSettings settings(String type) {
    return settings(type, null, Map.of("type", type, "answer", "42"));
  }

  // --- Built-in types --------------------------------------------------------------------------

  @Test
  void rasaDefaultsToTheLocalServer() {
    try (BotHandler bot = BotHandlers.create(settings("rasa"))) {
      assertThat(bot).isInstanceOf(RasaBot.class);
      assertThat(((RasaBot) bot).url()).hasToString("http://localhost:5005/webhooks/rest/webhook");
    }
    try (BotHandler bot = BotHandlers.create(BotSettings.defaults())) {
      assertThat(((RasaBot) bot).url()).hasToString("http://localhost:5005/webhooks/rest/webhook");
    }
  }

  @Test
  void typesAreCaseInsensitive() {
    try (BotHandler bot = BotHandlers.create(settings(" Rasa "))) {
      assertThat(bot).isInstanceOf(RasaBot.class);
    }
    try (BotHandler bot = BotHandlers.create(settings("ECHO"))) {
      assertThat(bot).isInstanceOf(EchoBot.class);
    }
  }

  @Test
  void rasaAppendsTheWebhookPathToAnyBaseUrl() {
    assertThat(RasaBot.webhookUrl(URI.create("http://rasa:5005")))
        .hasToString("http://rasa:5005/webhooks/rest/webhook");
    assertThat(RasaBot.webhookUrl(URI.create("http://rasa:5005/")))
        .hasToString("http://rasa:5005/webhooks/rest/webhook");
    assertThat(RasaBot.webhookUrl(URI.create("https://bots.example.com/tenant1//")))
        .hasToString("https://bots.example.com/tenant1/webhooks/rest/webhook");
    assertThat(RasaBot.webhookUrl(URI.create("http://rasa:5005/webhooks/rest/webhook/")))
        .hasToString("http://rasa:5005/webhooks/rest/webhook");
    assertThat(RasaBot.webhookUrl(URI.create("http://rasa:5005?token=a%20b")))
        .hasToString("http://rasa:5005/webhooks/rest/webhook?token=a%20b");
  }

  @Test
  void httpUsesTheUrlAsItIs() {
    try (BotHandler bot = BotHandlers.create(settings("http", "http://bot.internal:8080/hook/", Map.of()))) {
      assertThat(((HttpBot) bot).url()).hasToString("http://bot.internal:8080/hook/");
    }
  }

  @Test
  void httpNeedsAUrl() {
    assertThatThrownBy(() -> BotHandlers.create(settings("http", null, Map.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.url is required when bot.type is http");
  }

  @Test
  void urlsMustBeHttp() {
    assertThatThrownBy(() -> BotHandlers.create(settings("rasa", "ftp://rasa:5005", Map.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.url was 'ftp://rasa:5005/webhooks/rest/webhook'")
        .hasMessageContaining("http:// or https://");
    assertThatThrownBy(() -> BotHandlers.create(settings("http", "bot.internal/hook", Map.of())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.url was 'bot.internal/hook'");
  }

  @Test
  void theTimeoutMustBePositive() {
    BotSettings zero = new BotSettings("rasa", null, Duration.ZERO, Map.of(), Map.of());
    assertThatThrownBy(() -> BotHandlers.create(zero))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.timeout was '0.0' but it must be greater than 0 seconds");
  }

  @Test
  void headersTheJdkOrTheGatewayOwnAreRefusedWithoutShowingTheirValues() {
    for (String name : List.of("Host", "Connection", "X-Ticketgate-Ticket", "content-type")) {
      BotSettings s = new BotSettings("rasa", null, Duration.ofSeconds(1), Map.of(name, "secret-value"), Map.of());
      assertThatThrownBy(() -> BotHandlers.create(s))
          .as(name)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("bot.headers." + name)
          .hasMessageNotContaining("secret-value");
    }
  }

  @Test
  void aHeaderValueThatCannotBeSentIsRefusedWithoutShowingIt() {
    BotSettings s = new BotSettings("rasa", null, Duration.ofSeconds(1), Map.of("Authorization", "Bearer se\ncret"),
        Map.of());
    assertThatThrownBy(() -> BotHandlers.create(s))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.headers.Authorization has a value that cannot be sent")
        .hasMessageNotContaining("cret")
        .hasNoCause();
  }

  @Test
  void retryableStatusesAreServerErrorsTimeoutsAndThrottling() {
    assertThat(BotHttpClient.isRetryable(500)).isTrue();
    assertThat(BotHttpClient.isRetryable(599)).isTrue();
    assertThat(BotHttpClient.isRetryable(408)).isTrue();
    assertThat(BotHttpClient.isRetryable(429)).isTrue();
    assertThat(BotHttpClient.isRetryable(400)).isFalse();
    assertThat(BotHttpClient.isRetryable(404)).isFalse();
    assertThat(BotHttpClient.isRetryable(409)).isFalse();
    assertThat(BotHttpClient.isRetryable(301)).isFalse();
    assertThat(BotHttpClient.isRetryable(600)).isFalse();
  }

  @Test
  void onlyStatusesOfABotThatIsUnavailableCountTowardTheBreaker() {
    for (int status : new int[] {429, 502, 503, 504}) {
      assertThat(BotHttpClient.isUnavailable(status)).as("HTTP %d", status).isTrue();
    }
    for (int status : new int[] {500, 501, 408, 404}) {
      assertThat(BotHttpClient.isUnavailable(status)).as("HTTP %d", status).isFalse();
    }
  }

  @Test
  void aFencingStatusMustBeAClientErrorThatIsNotRetried() {
    for (int status : new int[] {408, 429, 500, 200, 302}) {
      BotSettings s = new BotSettings("rasa", null, Duration.ofSeconds(1), Map.of(), Map.of(), status);
      assertThatThrownBy(() -> BotHandlers.create(s))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("bot.fencing_status was '" + status + "'")
          .hasMessageContaining("4xx status other than 408 and 429");
    }
    assertThat(BotHttpClient.isFencingStatusAllowed(409)).isTrue();
    assertThat(BotHttpClient.isFencingStatusAllowed(423)).isTrue();
  }

  // --- Class names -----------------------------------------------------------------------------

  @Test
  void loadsAClassWithASectionConstructor() throws Exception {
    try (BotHandler bot = BotHandlers.create(settings(SectionBot.class.getName()))) {
      assertThat(bot).isInstanceOf(SectionBot.class);
      assertThat(((SectionBot) bot).section).containsEntry("answer", "42");
      assertThat(bot.handle(new BotRequest("c", "t", Map.of(), 1, new BotRequest.SourceRecord("in", 0, 0), 1)))
          .containsExactly(BotReply.json("\"42\""));
    }
  }

  @Test
  void prefersTheSectionConstructorOverTheNoArgumentOne() {
    try (BotHandler bot = BotHandlers.create(settings(BothConstructorsBot.class.getName()))) {
      assertThat(((BothConstructorsBot) bot).usedSection).isTrue();
    }
  }

  @Test
  void loadsAClassWithANoArgumentConstructor() {
    try (BotHandler bot = BotHandlers.create(settings(NoArgBot.class.getName()))) {
      assertThat(bot).isInstanceOf(NoArgBot.class);
    }
  }

  @Test
  void loadsFromTheGivenClassLoader() {
    ClassLoader refusing = new ClassLoader(null) {
      @Override
      protected Class<?> findClass(String name) throws ClassNotFoundException {
        throw new ClassNotFoundException(name + " (this loader knows nothing)");
      }
    };
    assertThatThrownBy(() -> BotHandlers.create(settings(NoArgBot.class.getName()), refusing))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("no class of that name is on the class path");
    Thread thread = Thread.currentThread();
    ClassLoader previous = thread.getContextClassLoader();
    thread.setContextClassLoader(refusing);
    try {
      assertThatThrownBy(() -> BotHandlers.create(settings(NoArgBot.class.getName())))
          .isInstanceOf(IllegalArgumentException.class);
    } finally {
      thread.setContextClassLoader(previous);
    }
  }

  @Test
  void anUnknownTypeSaysWhatWasExpected() {
    assertThatThrownBy(() -> BotHandlers.create(settings("rassa")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bot.type was 'rassa' but it is not rasa, http or echo, and no class of that name is on the"
            + " class path");
    assertThatThrownBy(() -> BotHandlers.create(settings("com.example.MissingBot")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.type was 'com.example.MissingBot'");
    assertThatThrownBy(() -> BotHandlers.create(settings("  ")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("bot.type is empty");
  }

  @Test
  void aClassThatIsNotAHandlerIsRefused() {
    assertThatThrownBy(() -> BotHandlers.create(settings(String.class.getName())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bot.type names class java.lang.String but it does not implement io.ticketgate.gateway.BotHandler");
  }

  @Test
  void anAbstractClassIsRefused() {
    assertThatThrownBy(() -> BotHandlers.create(settings(AbstractBot.class.getName())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(AbstractBot.class.getName())
        .hasMessageContaining("is abstract");
    assertThatThrownBy(() -> BotHandlers.create(settings(BotHandler.class.getName())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is abstract");
  }

  @Test
  void aClassThatIsNotPublicIsRefused() {
    assertThatThrownBy(() -> BotHandlers.create(settings(HiddenBot.class.getName())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(HiddenBot.class.getName())
        .hasMessageContaining("is not public");
  }

  @Test
  void aClassWithoutAUsableConstructorIsRefused() {
    assertThatThrownBy(() -> BotHandlers.create(settings(WrongConstructorBot.class.getName())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(WrongConstructorBot.class.getName())
        .hasMessageContaining("neither a public constructor taking the bot section (Map<String, Object>)"
            + " nor a public no-argument constructor");
  }

  @Test
  void aFailingConstructorIsReportedWithItsCause() {
    assertThatThrownBy(() -> BotHandlers.create(settings(FailingBot.class.getName())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(FailingBot.class.getName())
        .hasMessageContaining("its constructor failed")
        .hasMessageContaining("bot.model is required")
        .cause().isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aClassThatFailsToInitializeIsReported() {
    assertThatThrownBy(() -> BotHandlers.create(settings(BrokenInitBot.class.getName())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(BrokenInitBot.class.getName())
        .hasMessageContaining("loading it failed")
        .cause().isInstanceOf(ExceptionInInitializerError.class);
  }

  // --- Handlers for the tests above ------------------------------------------------------------

  /** Answers the section's {@code answer}. */
  public static final class SectionBot implements BotHandler {
    final Map<String, Object> section;

    public SectionBot(Map<String, Object> section) {
      this.section = section;
    }

    @Override
    public List<BotReply> handle(BotRequest request) {
      return List.of(BotReply.json("\"" + section.get("answer") + "\""));
    }
  }

  /** Has both constructors. */
  public static final class BothConstructorsBot implements BotHandler {
    final boolean usedSection;

    public BothConstructorsBot() {
      usedSection = false;
    }

    public BothConstructorsBot(Map<String, Object> section) {
      usedSection = true;
    }

    @Override
    public List<BotReply> handle(BotRequest request) {
      return List.of();
    }
  }

  /** Only a no-argument constructor. */
  public static final class NoArgBot implements BotHandler {
    @Override
    public List<BotReply> handle(BotRequest request) {
      return List.of();
    }
  }

  /** Cannot be instantiated. */
  public abstract static class AbstractBot implements BotHandler {}

  /** Not public. */
  static final class HiddenBot implements BotHandler {
    @Override
    public List<BotReply> handle(BotRequest request) {
      return List.of();
    }
  }

  /** Only a constructor the loader does not know. */
  public static final class WrongConstructorBot implements BotHandler {
    public WrongConstructorBot(String name) {
      // A constructor shape BotHandlers does not call.
    }

    @Override
    public List<BotReply> handle(BotRequest request) {
      return List.of();
    }
  }

  /** Refuses its configuration. */
  public static final class FailingBot implements BotHandler {
    public FailingBot(Map<String, Object> section) {
      throw new IllegalStateException("bot.model is required");
    }

    @Override
    public List<BotReply> handle(BotRequest request) {
      return List.of();
    }
  }

  /** Fails while its class initializes. */
  public static final class BrokenInitBot implements BotHandler {
    static final int VALUE = Integer.parseInt("not a number");

    @Override
    public List<BotReply> handle(BotRequest request) {
      return List.of();
    }
  }
}
