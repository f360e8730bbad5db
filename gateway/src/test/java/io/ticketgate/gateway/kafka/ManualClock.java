package io.ticketgate.gateway.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A {@link PipelineClock} that moves only when the test {@linkplain #advance advances} it. A
 * {@link #sleep} lasts until the clock has been advanced past its end, however long that takes in
 * real time; {@link #advance} itself releases the sleeps it ends, so once it returns, a sleep it did
 * not end is still asleep. Thread-safe.
 */
final class ManualClock implements PipelineClock {

  private record Sleeper(long until, CountDownLatch woken) {}

  private final Object lock = new Object();
  /** Guarded by {@link #lock}. Not zero, so that no deadline is mistaken for an unset one. */
  private long now = TimeUnit.HOURS.toNanos(1);
  /** Guarded by {@link #lock}: sleeps the clock has not yet ended. */
  private final List<Sleeper> sleepers = new ArrayList<>();
  private final List<Duration> pauses = new CopyOnWriteArrayList<>();
  private final AtomicLong looks = new AtomicLong();

  @Override
  public long nanoTime() {
    looks.incrementAndGet();
    synchronized (lock) {
      return now;
    }
  }

  @Override
  public void sleep(Duration pause) throws InterruptedException {
    if (Thread.interrupted()) {
      throw new InterruptedException("interrupted before sleeping " + pause);
    }
    Sleeper s;
    synchronized (lock) {
      pauses.add(pause);
      if (!pause.isPositive()) {
        return;
      }
      s = new Sleeper(now + pause.toNanos(), new CountDownLatch(1));
      sleepers.add(s);
    }
    try {
      s.woken().await();
    } finally {
      synchronized (lock) {
        sleepers.remove(s);
      }
    }
  }

  /** Moves the clock on by {@code d} and ends every sleep that is over by then. */
  void advance(Duration d) {
    synchronized (lock) {
      now += d.toNanos();
      sleepers.removeIf(s -> {
        if (now - s.until() >= 0) {
          s.woken().countDown();
          return true;
        }
        return false;
      });
    }
  }

  /** Sleeps in progress that the clock has not ended. */
  int sleeping() {
    synchronized (lock) {
      return sleepers.size();
    }
  }

  /** Every pause a {@link #sleep} was asked for, in order. */
  List<Duration> pauses() {
    return List.copyOf(pauses);
  }

  /** How many times the clock has been read. */
  long looks() {
    return looks.get();
  }
}
