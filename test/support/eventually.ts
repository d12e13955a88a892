/**
 * Waiting for what the sandbox records after the response (log lines, REPORT, segments): they
 * arrive asynchronously, so tests poll until the expectation holds. The vitest test timeout
 * bounds the wait; no test asserts on time.
 */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
