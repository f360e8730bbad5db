package io.ticketgate.store.redis;

import io.lettuce.core.ScriptOutputType;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Sends the steps of many turns, of any conversations, to Redis in one script when they come
 * together: a group commit. While one call is on its way, the steps that arrive queue here; when it
 * returns, everything queued goes in the next call. A lone step goes at once, as its own script, so
 * an idle store pays no delay and a busy one pays one round trip and one script run per batch
 * instead of per step: the client's encoding, flushing and completing, and Redis's per-command
 * work, are shared.
 *
 * <p>Each step of a batch is run under Lua's {@code pcall}, so a step that fails (a key holding
 * something else) fails alone; the batch's script as a whole is atomic like any script. Steps keep
 * the order they were submitted in. Only where a script may touch keys of different conversations:
 * not in cluster mode, whose conversations live in different slots (there every step goes alone).
 *
 * <p>Threads: {@link #submit} from any thread; {@link #sending} lets one thread at a time drain the
 * queue and send, and the reply's thread (a Lettuce I/O thread) completes the steps and sends
 * what queued meanwhile. Nothing blocks.
 */
final class ScriptBatcher {

  /** At most this many steps in one script: a batch holds Redis for well under a millisecond. */
  static final int MAX_STEPS = 64;

  /** One kind of step: its name among the {@code STEPS} functions and the script that runs it alone. */
  record Step(String name, RedisConnection.Script alone) {}

  /** A step that runs {@code STEPS[name]} on the script's own keys and arguments. */
  static Step step(String steps, String name) {
    return new Step(name, new RedisConnection.Script(steps + "return STEPS." + name + "(KEYS, ARGV)\n"));
  }

  /**
   * The script that runs a batch. ARGV: the number of steps, then for each its name, key count,
   * argument count and arguments; KEYS: each step's keys in turn. Returns one result per step, or
   * {-2, message} for a step that failed.
   */
  static RedisConnection.Script batchScript(String steps) {
    return new RedisConnection.Script(steps + """
        local out, k, a = {}, 0, 2
        for i = 1, tonumber(ARGV[1]) do
          local name, nk, na = ARGV[a], tonumber(ARGV[a + 1]), tonumber(ARGV[a + 2])
          a = a + 3
          local K, A = {}, {}
          for j = 1, nk do K[j] = KEYS[k + j] end
          for j = 1, na do A[j] = ARGV[a + j - 1] end
          k, a = k + nk, a + na
          local ok, r = pcall(STEPS[name], K, A)
          if ok then
            out[i] = r
          elseif type(r) == 'table' and r.err then
            out[i] = {-2, r.err}
          else
            out[i] = {-2, tostring(r)}
          end
        end
        return out
        """);
  }

  /** One submitted step and where its result goes. */
  private record Pending(Step step, String[] keys, String[] args, CompletableFuture<Object> result) {}

  private final RedisConnection redis;
  private final RedisConnection.Script batch;
  private final boolean batching;
  private final ConcurrentLinkedQueue<Pending> queue = new ConcurrentLinkedQueue<>();
  /** Whether a call is on its way; whoever sets it drains the queue and sends. */
  private final AtomicBoolean sending = new AtomicBoolean();

  /**
   * @param batch the script from {@link #batchScript} over the same steps
   * @param batching false to send every step alone (cluster mode)
   */
  ScriptBatcher(RedisConnection redis, RedisConnection.Script batch, boolean batching) {
    this.redis = redis;
    this.batch = batch;
    this.batching = batching;
  }

  /**
   * Runs {@code step} with its keys and arguments, in a batch when others are waiting.
   *
   * @return the step's result as the script returns it (a list or a number); fails with the error
   *     Redis gave, the batch's or the step's own
   */
  CompletionStage<Object> submit(Step step, String[] keys, String... args) {
    if (!batching) {
      return redis.eval(step.alone(), ScriptOutputType.MULTI, keys, args);
    }
    CompletableFuture<Object> result = new CompletableFuture<>();
    queue.add(new Pending(step, keys, args, result));
    sendQueued();
    return result;
  }

  /** Sends what is queued unless a call is on its way already (its reply sends what queued meanwhile). */
  private void sendQueued() {
    while (!queue.isEmpty() && sending.compareAndSet(false, true)) {
      List<Pending> steps = new ArrayList<>();
      Pending next;
      while (steps.size() < MAX_STEPS && (next = queue.poll()) != null) {
        steps.add(next);
      }
      if (steps.isEmpty()) {
        sending.set(false); // taken by another sender between the check and the poll
        continue;
      }
      CompletionStage<?> sent;
      try {
        sent = steps.size() == 1 ? sendAlone(steps.get(0)) : sendBatch(steps);
      } catch (RuntimeException e) {
        // Not even sent (the client refused it): these steps fail, and the next ones get their own try.
        steps.forEach(p -> p.result.completeExceptionally(e));
        sending.set(false);
        continue;
      }
      sent.whenComplete((r, e) -> {
        sending.set(false);
        sendQueued();
      });
      return;
    }
  }

  private CompletionStage<?> sendAlone(Pending p) {
    return redis.<Object>eval(p.step.alone(), ScriptOutputType.MULTI, p.keys, p.args).whenComplete((r, e) -> {
      if (e != null) {
        p.result.completeExceptionally(e);
      } else {
        p.result.complete(r);
      }
    });
  }

  private CompletionStage<?> sendBatch(List<Pending> steps) {
    List<String> keys = new ArrayList<>();
    List<String> args = new ArrayList<>();
    args.add(Integer.toString(steps.size()));
    for (Pending p : steps) {
      args.add(p.step.name());
      args.add(Integer.toString(p.keys.length));
      args.add(Integer.toString(p.args.length));
      args.addAll(List.of(p.args));
      keys.addAll(List.of(p.keys));
    }
    return redis.<List<Object>>eval(batch, ScriptOutputType.MULTI, keys.toArray(String[]::new),
        args.toArray(String[]::new)).whenComplete((results, e) -> {
          for (int i = 0; i < steps.size(); i++) {
            CompletableFuture<Object> result = steps.get(i).result;
            if (e != null) {
              result.completeExceptionally(e);
            } else if (i >= results.size()) {
              result.completeExceptionally(new IllegalStateException("the batch script returned "
                  + results.size() + " results for " + steps.size() + " steps"));
            } else if (failed(results.get(i))) {
              result.completeExceptionally(new io.lettuce.core.RedisCommandExecutionException(
                  String.valueOf(((List<?>) results.get(i)).get(1))));
            } else {
              result.complete(results.get(i));
            }
          }
        });
  }

  /** Whether a step's result is the batch script's {-2, message} for a step that failed. */
  private static boolean failed(Object result) {
    return result instanceof List<?> l && l.size() == 2 && Long.valueOf(-2).equals(l.get(0)) && l.get(1) instanceof String;
  }
}
