package io.ticketgate.store;

import io.ticketgate.store.config.SectionReader;
import io.ticketgate.store.config.YamlFiles;
import io.ticketgate.store.memory.InMemoryLockStore;
import io.ticketgate.store.redis.ConcurrentRedisLockStore;
import io.ticketgate.store.redis.RedisLockStore;
import io.ticketgate.store.redis.RedisSettings;
import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Modifier;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds the {@link LockStore} an {@code endpoints.yml} {@code lock_store:} section describes, with
 * the keys and defaults Rasa documents.
 *
 * <pre>{@code
 * lock_store:
 *   type: concurrent_redis      # absent or in_memory | redis | concurrent_redis | a class name
 *   host: localhost
 *   port: 6379
 *   db: 1
 *   password: ${REDIS_PASSWORD}
 * }</pre>
 *
 * <p>Every problem in a section is reported at once in one {@link LockStoreConfigException} naming
 * key, value and file; warnings (unknown keys, the deprecated {@code url}, a rejected
 * {@code key_prefix}) are logged. Use {@link #validate} to get both without building anything.
 */
public final class LockStores {

  private static final Logger log = LoggerFactory.getLogger(LockStores.class);

  /** Rasa Pro's class paths for the concurrent store, accepted as {@code type} aliases. */
  public static final Set<String> RASA_CONCURRENT_ALIASES = Set.of(
      "rasa_plus.components.concurrent_lock_store.ConcurrentRedisLockStore",
      "rasa.core.concurrent_lock_store.ConcurrentRedisLockStore");

  /**
   * Class names of the built-in stores accepted as {@code type}: Ticketgate's own classes, and the
   * class paths of Rasa's stores in {@code rasa.core.lock_store}. Each is read as the short type it
   * names, so its keys are checked ({@code check-config}) and it is built as that type is, not
   * through the custom-store path.
   */
  static final Map<String, String> BUILT_IN_CLASS_NAMES = Map.of(
      InMemoryLockStore.class.getName(), "in_memory",
      "rasa.core.lock_store.InMemoryLockStore", "in_memory",
      RedisLockStore.class.getName(), "redis",
      "rasa.core.lock_store.RedisLockStore", "redis",
      ConcurrentRedisLockStore.class.getName(), "concurrent_redis");

  private static final Set<String> COMMON_KEYS = Set.of("type", "lock_lifetime", "keep_alive", "recheck_interval");

  private LockStores() {}

  /** The kinds of store a section can name. */
  public enum Kind {
    /** {@link InMemoryLockStore}. */
    IN_MEMORY,
    /** {@link RedisLockStore}. */
    REDIS,
    /** {@link ConcurrentRedisLockStore}. */
    CONCURRENT_REDIS,
    /** A subclass of {@link LockStore} named by its class. */
    CUSTOM
  }

  /**
   * What checking a section found.
   *
   * @param kind the store it describes, or null when {@code type} itself is wrong
   * @param problems errors; the section is unusable when there is any
   * @param warnings things that work but deserve attention
   */
  public record Validation(Kind kind, List<String> problems, List<String> warnings) {
    /** Whether the section can be used. */
    public boolean isValid() {
      return problems.isEmpty();
    }
  }

  /** Builds the store that {@code endpointsYml}'s {@code lock_store:} section describes (in-memory when absent). */
  public static LockStore create(Path endpointsYml) {
    return create(readSection(endpointsYml), endpointsYml.toString());
  }

  /** Builds the store {@code section} describes; an empty or null section gives the in-memory store. */
  public static LockStore create(Map<String, Object> section) {
    return create(section, null);
  }

  /**
   * Builds the store {@code section} describes.
   *
   * @param source the file the section came from, named in messages; may be null
   * @throws LockStoreConfigException listing every problem with the section
   */
  public static LockStore create(Map<String, Object> section, String source) {
    Plan plan = plan(section, source);
    plan.reader.throwIfProblems();
    plan.reader.warnings().forEach(log::warn);
    return switch (plan.kind) {
      case IN_MEMORY -> new InMemoryLockStore(plan.options);
      case REDIS -> new RedisLockStore(plan.redis, plan.options);
      case CONCURRENT_REDIS -> new ConcurrentRedisLockStore(plan.redis, plan.options);
      case CUSTOM -> instantiate(plan, source);
    };
  }

  /** Checks {@code section} without building a store or connecting anywhere. */
  public static Validation validate(Map<String, Object> section, String source) {
    Plan plan = plan(section, source);
    return new Validation(plan.kind, plan.reader.problems(), plan.reader.warnings());
  }

  /**
   * The common settings of a section ({@code lock_lifetime}, {@code keep_alive},
   * {@code recheck_interval}); custom stores pass them to {@code super(...)}.
   *
   * @throws LockStoreConfigException when one of them is invalid
   */
  public static LockStoreOptions options(Map<String, Object> section) {
    return LockStoreOptions.of(section);
  }

  /**
   * Reads the {@code lock_store:} section of an {@code endpoints.yml} file; empty when the file has none.
   *
   * @throws LockStoreConfigException when the file cannot be read or is not YAML
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> readSection(Path endpointsYml) {
    Map<String, Object> map;
    try {
      map = YamlFiles.readMapping(endpointsYml);
    } catch (IOException e) {
      throw new LockStoreConfigException(List.of(e.getMessage()), e);
    }
    Object section = map.get("lock_store");
    if (section == null) {
      return Map.of();
    }
    if (!(section instanceof Map<?, ?>)) {
      throw new LockStoreConfigException(List.of("lock_store was '" + section + "' but it must be a mapping (in "
          + endpointsYml + ")"));
    }
    return new LinkedHashMap<>((Map<String, Object>) section);
  }

  private record Plan(Kind kind, SectionReader reader, LockStoreOptions options, RedisSettings redis,
      Class<? extends LockStore> custom) {}

  private static Plan plan(Map<String, Object> section, String source) {
    SectionReader r = SectionReader.of("lock_store", section, source);
    String type = r.string("type", null);
    LockStoreOptions options = LockStoreOptions.read(r);
    String t = type == null ? null : type.trim();
    if (t != null) {
      t = BUILT_IN_CLASS_NAMES.getOrDefault(t, t);
    }
    if (t == null || t.isEmpty() || t.equals("in_memory")) {
      r.warnUnknownKeys("(the in_memory store takes only " + COMMON_KEYS + ")");
      return new Plan(Kind.IN_MEMORY, r, options, null, null);
    }
    if (t.equals("redis") || t.equals("concurrent_redis") || RASA_CONCURRENT_ALIASES.contains(t)) {
      boolean concurrent = r.bool("concurrent_mode", false) || !t.equals("redis");
      RedisSettings redis = RedisSettings.read(r, concurrent);
      r.warnUnknownKeys("(not a setting of the " + t + " lock store)");
      return new Plan(concurrent ? Kind.CONCURRENT_REDIS : Kind.REDIS, r, options, redis, null);
    }
    if (t.contains(".")) {
      return new Plan(Kind.CUSTOM, r, options, null, loadCustom(r, t));
    }
    r.problem("type", type, "is not a known lock store type (expected in_memory, redis, concurrent_redis, "
        + "or the fully qualified name of a LockStore subclass)");
    return new Plan(null, r, options, null, null);
  }

  private static Class<? extends LockStore> loadCustom(SectionReader r, String className) {
    Class<?> c;
    try {
      ClassLoader loader = Thread.currentThread().getContextClassLoader();
      c = Class.forName(className, false, loader != null ? loader : LockStores.class.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      r.problem("type", className, "names a class that cannot be loaded (" + e + "); is its jar on the class path?");
      return null;
    }
    if (!LockStore.class.isAssignableFrom(c)) {
      r.problem("type", className, "names a class that does not extend " + LockStore.class.getName());
      return null;
    }
    if (Modifier.isAbstract(c.getModifiers())) {
      r.problem("type", className, "names an abstract class");
      return null;
    }
    if (!Modifier.isPublic(c.getModifiers())) {
      r.problem("type", className, "names a class that is not public");
      return null;
    }
    try {
      c.getConstructor(Map.class);
    } catch (NoSuchMethodException e) {
      r.problem("type", className, "names a class without a public constructor taking the section as Map<String, Object>");
      return null;
    }
    return c.asSubclass(LockStore.class);
  }

  private static LockStore instantiate(Plan plan, String source) {
    try {
      Constructor<? extends LockStore> ctor = plan.custom.getConstructor(Map.class);
      return ctor.newInstance(plan.reader.values());
    } catch (InvocationTargetException e) {
      Throwable cause = e.getCause();
      if (cause instanceof LockStoreConfigException lce) {
        throw lce;
      }
      throw new LockStoreConfigException(List.of("lock_store.type was '" + plan.custom.getName()
          + "' but its constructor failed: " + cause + (source == null ? "" : " (in " + source + ")")), cause);
    } catch (ReflectiveOperationException | LinkageError e) {
      // LinkageError: its static initialization failed, or a class it needs is missing; both show
      // only now, when the class is first initialized.
      throw new LockStoreConfigException(List.of("lock_store.type was '" + plan.custom.getName()
          + "' but it could not be instantiated: " + e + (source == null ? "" : " (in " + source + ")")), e);
    }
  }
}
