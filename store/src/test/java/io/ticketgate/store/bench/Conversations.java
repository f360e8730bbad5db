package io.ticketgate.store.bench;

import java.util.concurrent.atomic.AtomicInteger;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * A ring of conversation ids, one ring per benchmark thread.
 *
 * <p>Ids are made before measuring so taking the next one costs an array read, not string
 * building. A ring rather than one id because a gateway serves many conversations, and with the
 * Redis stores each one has keys of its own; rings of different threads never share an id, so a
 * run with {@code -t 2} stays uncontended.
 */
@State(Scope.Thread)
public class Conversations {

  /** How many ids a ring holds; a power of two so wrapping is a mask. */
  public static final int SIZE = 1024;

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final String[] ids = new String[SIZE];
  private int next;

  /** Fills the ring with ids unique to this thread. */
  @Setup
  public void fill() {
    int thread = THREADS.getAndIncrement();
    for (int i = 0; i < SIZE; i++) {
      ids[i] = "bench-t" + thread + "-c" + i;
    }
  }

  /** The next id of the ring. */
  public String next() {
    String id = ids[next];
    next = (next + 1) & (SIZE - 1);
    return id;
  }
}
