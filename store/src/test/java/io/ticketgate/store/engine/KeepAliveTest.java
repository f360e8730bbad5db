package io.ticketgate.store.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The keep-alive sweep on a manual clock: which tickets each sweep renews, and that every tracked
 * ticket is swept in time whatever order tickets of different lifetimes arrive in.
 */
class KeepAliveTest {

  private long now = 1_000_000_000L;
  private final ManualTimer timer = new ManualTimer();
  private final List<String> renewed = new ArrayList<>();
  private final KeepAlive keepAlive = new KeepAlive(() -> timer, r -> renewed.add(((Ticket) r).name), () -> now);

  @AfterEach
  void stopTimer() {
    timer.shutdownNow();
  }

  @Test
  void aTicketIsRenewedEveryThirdOfItsLifetimeUntilUntracked() {
    Ticket a = new Ticket("a", Duration.ofSeconds(30));
    keepAlive.track(a);

    advanceTo(ms(9_000));
    assertEquals(List.of(), renewed, "not due before a third of the lifetime");
    advanceTo(ms(10_000));
    assertEquals(List.of("a"), renewed);
    advanceTo(ms(20_000));
    assertEquals(List.of("a", "a"), renewed);

    keepAlive.untrack(a);
    advanceTo(ms(60_000));
    assertEquals(List.of("a", "a"), renewed, "an untracked ticket is never renewed again");
    assertEquals(0, keepAlive.size());
  }

  @Test
  void ticketsDueWithinAQuarterPeriodAreRenewedInTheSameSweep() {
    keepAlive.track(new Ticket("a", Duration.ofSeconds(30)));
    now += ms(2_000); // due 2 s later, within a quarter of the 10 s period
    keepAlive.track(new Ticket("b", Duration.ofSeconds(30)));
    now += ms(4_000); // due 6 s later: not within it
    keepAlive.track(new Ticket("c", Duration.ofSeconds(30)));

    int sweeps = timer.ran;
    advanceTo(ms(10_000));
    assertEquals(List.of("a", "b"), sorted(renewed));
    assertEquals(sweeps + 1, timer.ran, "one sweep renewed both");
    advanceTo(ms(16_000));
    assertEquals(List.of("a", "b", "c"), sorted(renewed));
  }

  @Test
  void aShorterLifetimeTrackedAfterALongerOneIsStillRenewedInTime() {
    keepAlive.track(new Ticket("long", Duration.ofMinutes(10))); // sweep scheduled for 200 s
    keepAlive.track(new Ticket("short", Duration.ofSeconds(3))); // must be renewed at 1 s

    advanceTo(ms(1_000));
    assertEquals(List.of("short"), renewed);
    advanceTo(ms(3_000));
    assertEquals(List.of("short", "short", "short"), renewed, "renewed before each expiry, never a full lifetime late");
    advanceTo(ms(200_000));
    assertTrue(renewed.contains("long"));
  }

  @Test
  void aTicketTrackedDuringASweepIsStillSwept() {
    Ticket a = new Ticket("a", Duration.ofSeconds(3));
    // The sweep's renewal of "a" untracks it and tracks "b", as a lost ticket's waiter and the next
    // ticket of the conversation would: the sweep must leave a sweep scheduled for "b".
    KeepAlive racing = new KeepAlive(() -> timer, r -> {
      renewed.add(((Ticket) r).name);
      if (r == a) {
        keepAliveUnderTest.untrack(a);
        keepAliveUnderTest.track(new Ticket("b", Duration.ofSeconds(30)));
      }
    }, () -> now);
    keepAliveUnderTest = racing;
    racing.track(a);

    advanceTo(ms(1_000));
    advanceTo(ms(11_000));
    assertTrue(renewed.contains("b"), "renewals: " + renewed);
  }

  private KeepAlive keepAliveUnderTest;

  /** Runs every scheduled task due by {@code at} (ms since the start), in time order, moving the clock. */
  private void advanceTo(long atNanosSinceStart) {
    long target = 1_000_000_000L + atNanosSinceStart;
    while (true) {
      Scheduled next = timer.tasks.stream().filter(t -> t.at - target <= 0).min(Comparator.comparingLong(t -> t.at))
          .orElse(null);
      if (next == null) {
        break;
      }
      timer.tasks.remove(next);
      now = Math.max(now, next.at);
      timer.ran++;
      next.task.run();
    }
    now = Math.max(now, target);
  }

  private static long ms(long millis) {
    return TimeUnit.MILLISECONDS.toNanos(millis);
  }

  private static List<String> sorted(List<String> names) {
    return names.stream().sorted().toList();
  }

  private record Scheduled(long at, Runnable task) {}

  /** Records one-shot tasks instead of running them; {@link #advanceTo} runs them on the manual clock. */
  private final class ManualTimer extends ScheduledThreadPoolExecutor {
    final List<Scheduled> tasks = new ArrayList<>();
    int ran;

    ManualTimer() {
      super(1);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable command, long delay, TimeUnit unit) {
      tasks.add(new Scheduled(now + unit.toNanos(delay), command));
      return null;
    }
  }

  private static final class Ticket implements Renewable {
    final String name;
    final Duration lifetime;

    Ticket(String name, Duration lifetime) {
      this.name = name;
      this.lifetime = lifetime;
    }

    @Override
    public String conversationId() {
      return name;
    }

    @Override
    public int ticket() {
      return 1;
    }

    @Override
    public Duration lifetime() {
      return lifetime;
    }

    @Override
    public boolean isLocallyExpired() {
      return false;
    }

    @Override
    public void renewed(long requestedAtMillis) {}

    @Override
    public void lost() {}
  }
}
