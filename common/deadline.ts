/**
 * Bounded waits, for every process of the project (the extension, the sandbox, the benchmarks
 * and the tests): the one place where a wait meets its deadline. Each wait is cancellable with
 * an `AbortSignal` and clears its timer as soon as it is decided.
 *
 * Built on the global timers rather than `node:timers/promises`: the extension's flush policy
 * and span buffer are tested on a fake clock, as OpenTelemetry's batch processor is, and test
 * runners fake the global timers only.
 *
 * The timers are unref'd: a bounded wait must never be what keeps a process alive (an extension
 * that has been told to shut down, a CLI whose work is done). The awaited work holds its own
 * handles (a socket, a child process) for as long as it matters.
 *
 * Dependency-free on purpose: esbuild inlines it into whichever bundle imports it.
 */

/** Thrown by {@link withTimeout} when the work did not settle in time. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Waits `ms`, or less when `signal` aborts first: a backoff that never holds its caller past an
 * abort. Never rejects.
 *
 * @example
 *   await pause(retryDelayMs, flushSignal);
 */
export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, Math.max(0, ms));
    timer.unref?.();
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Waits for `work` to settle, but no longer than `ms`.
 *
 * @returns `true` when it settled (fulfilled or rejected) in time, `false` when the time ran out.
 *   Never rejects: the caller decides what a late or failed piece of work means.
 * @example
 *   if (!(await settledWithin(exporter.flush(), budgetMs))) counters.drop('flush_timeout');
 */
export async function settledWithin(work: Promise<unknown>, ms: number): Promise<boolean> {
  const cancel = new AbortController();
  const settled = work.then(
    () => true,
    () => true,
  );
  try {
    return await Promise.race([settled, pause(ms, cancel.signal).then(() => false)]);
  } finally {
    cancel.abort();
  }
}

/** {@link settledWithin} with an absolute deadline (epoch ms) instead of a duration. */
export function settledBy(work: Promise<unknown>, deadlineMs: number): Promise<boolean> {
  return settledWithin(work, deadlineMs - Date.now());
}

/**
 * The value of `work`, or a {@link TimeoutError} naming `what` when `ms` pass first.
 *
 * @example
 *   const record = await withTimeout(probe.firstNext, 5_000, 'the first event/next');
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  if (!(await settledWithin(work, ms))) throw new TimeoutError(`${what} took longer than ${ms} ms`);
  return work;
}
