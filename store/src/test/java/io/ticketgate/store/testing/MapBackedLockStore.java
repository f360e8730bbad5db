package io.ticketgate.store.testing;

import io.ticketgate.store.LockStore;
import io.ticketgate.store.LockStoreOptions;
import io.ticketgate.store.LockStores;
import io.ticketgate.store.Ticket;
import io.ticketgate.store.TicketLock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The smallest possible custom store: it implements only Rasa's three primitives, over a map of
 * serialized locks (as a key-value server would hold them), and relies on {@link LockStore} for
 * everything else. Each primitive is atomic on its own, like a single command to a server; nothing
 * else is synchronized, which is exactly what the base class promises to cope with.
 *
 * <p>Loadable by {@code LockStores.create(Map.of("type", MapBackedLockStore.class.getName()))}.
 */
public class MapBackedLockStore extends LockStore {

  private final Map<String, String> serialized = Collections.synchronizedMap(new HashMap<>());
  private final Map<String, Object> section;

  /** The constructor {@code LockStores} calls with the {@code lock_store:} section. */
  public MapBackedLockStore(Map<String, Object> section) {
    super(LockStores.options(section));
    this.section = Collections.unmodifiableMap(new LinkedHashMap<>(section));
  }

  /** For tests that build the store directly. */
  public MapBackedLockStore(LockStoreOptions options) {
    super(options);
    this.section = Map.of();
  }

  /** The section this store was created from, with variables substituted. */
  public Map<String, Object> section() {
    return section;
  }

  /** How many conversations have a stored lock. */
  public int size() {
    return serialized.size();
  }

  /** The raw stored form of a conversation's lock, or null. */
  public String raw(String conversationId) {
    return serialized.get(conversationId);
  }

  @Override
  public Optional<TicketLock> getLock(String conversationId) {
    String s = serialized.get(conversationId);
    return s == null ? Optional.empty() : Optional.of(deserialize(conversationId, s));
  }

  @Override
  public void saveLock(TicketLock lock) {
    serialized.put(lock.conversationId(), serialize(lock));
  }

  @Override
  public void deleteLock(String conversationId) {
    serialized.remove(conversationId);
  }

  /** {@code number@expires;number@expires;...}, with doubles written so they read back exactly. */
  static String serialize(TicketLock lock) {
    StringBuilder sb = new StringBuilder();
    for (Ticket t : lock.tickets()) {
      if (!sb.isEmpty()) {
        sb.append(';');
      }
      sb.append(t.number()).append('@').append(Double.toString(t.expires()));
    }
    return sb.toString();
  }

  private TicketLock deserialize(String conversationId, String s) {
    List<Ticket> tickets = new ArrayList<>();
    if (!s.isEmpty()) {
      for (String part : s.split(";")) {
        int at = part.indexOf('@');
        tickets.add(new Ticket(Integer.parseInt(part.substring(0, at)), Double.parseDouble(part.substring(at + 1))));
      }
    }
    return new TicketLock(conversationId, tickets, clock());
  }
}
