/**
 * Bounded waits, for every process of the project (the extension, the sandbox, the benchmarks
 * and the tests): one place where a wait meets its deadline, built on `node:timers/promises`
 * and `AbortSignal` so that the timer is cancelled as soon as the work settles.
 *
 * Dependency-free on purpose: esbuild inlines it into whichever bundle imports it.
 *
 * The timers are unref'd: a bounded wait must never be what keeps a process alive (an extension
 * that has been told to shut down, a CLI whose work is done). The awaited work holds its own
 * handles (a socket, a child process) for as long as it matters.
 */
import { setTimeout as sleep } from 'node:timers/promises';

/** Thrown by {@link withTimeout} when the work did not settle in time. */
export class TimeoutError extends Error {
  override readonly name = 'TimeoutError';
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
  const late = sleep(Math.max(0, ms), false, { signal: cancel.signal, ref: false }).catch(() => false);
  try {
    return await Promise.race([
      work.then(
        () => true,
        () => true,
      ),
      late,
    ]);
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
  const cancel = new AbortController();
  const late = sleep(Math.max(0, ms), undefined, { signal: cancel.signal, ref: false }).then(
    () => {
      throw new TimeoutError(`${what} took longer than ${ms} ms`);
    },
    () => undefined as never,
  );
  try {
    return await Promise.race([work, late]);
  } finally {
    cancel.abort();
  }
}
