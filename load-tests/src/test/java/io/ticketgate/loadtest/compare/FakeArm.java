package io.ticketgate.loadtest.compare;

/** A stand-in arm for {@link ArmProcessTest}: speaks the progress protocol and misbehaves on request. */
public final class FakeArm {

  private FakeArm() {}

  /** {@code done}, {@code steps}, {@code hang}, {@code forever} or {@code crash}. */
  public static void main(String[] args) throws Exception {
    Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.println("terminated politely")));
    switch (args[0]) {
      case "done" -> {
        System.out.println("a log line");
        System.out.println("progress 5 0");
        System.out.println("done 10 10 123456 7890");
      }
      case "steps" -> {
        System.out.println("progress 5 0 40");
        System.out.println("done 10 10 123456 7890 77");
      }
      case "hang" -> {
        System.out.println("progress 3 3");
        Thread.sleep(60_000);
      }
      case "forever" -> {
        for (int i = 1; i < 600; i++) {
          System.out.println("progress " + i + " " + i);
          Thread.sleep(100);
        }
      }
      case "crash" -> {
        System.err.println("cannot reach the bot");
        System.exit(3);
      }
      default -> throw new IllegalArgumentException(args[0]);
    }
  }
}
