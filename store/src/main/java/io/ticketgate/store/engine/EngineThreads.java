package io.ticketgate.store.engine;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's two kinds of thread, each created on first use so an idle store owns none: one
 * platform timer thread for re-check timers, keep-alive sweeps and give-back retries, which never
 * blocks on the store; and virtual threads for work that may block or must not run where it was
 * triggered (handing a turn over, giving a ticket back).
 */
final class EngineThreads {

  private static final Logger log = LoggerFactory.getLogger(EngineThreads.class);

  private volatile ScheduledThreadPoolExecutor timer;
  private volatile ExecutorService executor;

  /** Virtual threads, one per task. */
  ExecutorService executor() {
    ExecutorService e = executor;
    if (e == null) {
      synchronized (this) {
        if (executor == null) {
          executor = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().name("ticketgate-lock-", 0).factory());
        }
        e = executor;
      }
    }
    return e;
  }

  /** The timer; its tasks must not block. */
  ScheduledExecutorService timer() {
    ScheduledThreadPoolExecutor t = timer;
    if (t == null) {
      synchronized (this) {
        if (timer == null) {
          ScheduledThreadPoolExecutor created = new ScheduledThreadPoolExecutor(1, r -> {
            Thread th = new Thread(r, "ticketgate-lock-timer");
            th.setDaemon(true);
            return th;
          });
          created.setRemoveOnCancelPolicy(true);
          timer = created;
        }
        t = timer;
      }
    }
    return t;
  }

  /** Runs {@code task} on a virtual thread, or here when the engine is closing and no longer takes tasks. */
  void executeOrRunHere(Runnable task) {
    try {
      executor().execute(task);
    } catch (RejectedExecutionException e) {
      task.run();
    }
  }

  /** Stops the timer at once and lets running tasks finish for up to 5 s. */
  void close() {
    ScheduledThreadPoolExecutor t;
    ExecutorService e;
    synchronized (this) {
      t = timer;
      e = executor;
      if (t == null) {
        // Created now only to be shut down, so that a late caller is refused instead of starting threads.
        timer = t = new ScheduledThreadPoolExecutor(1);
      }
      if (e == null) {
        executor = e = Executors.newThreadPerTaskExecutor(Thread.ofVirtual().factory());
      }
    }
    t.shutdownNow();
    e.shutdown();
    try {
      if (!e.awaitTermination(5, TimeUnit.SECONDS)) {
        log.warn("lock store closed while store calls were still running");
      }
    } catch (InterruptedException ie) {
      Thread.currentThread().interrupt();
    }
  }
}
