/**
 * Waiting for what a test cannot be told about directly (log lines, REPORT, segments, a UDP
 * datagram landing in the store, a process leaving /proc): tests poll until the expectation
 * holds. `read` may be synchronous when the state is already in memory (a recording
 * observer's events). The vitest test timeout bounds the wait; no test asserts on time.
 *
 * @example
 * const reports = await eventually(() => recordsOf(events, 'platform.report'), (found) => found.length >= 3);
 */
export async function eventually<T>(read: () => T | Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
