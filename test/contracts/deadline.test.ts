import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { pause, settledWithin, TimeoutError, withTimeout } from '../../common/deadline';

// Real timers, with margins far wider than any scheduling delay: the assertions are about which
// side of a deadline a piece of work lands on, never about how long anything took.
describe('bounded waits', () => {
  it('reports work that settles in time, fulfilled or rejected', async () => {
    // Act
    const fulfilled = await settledWithin(Promise.resolve(1), 10_000);
    const rejected = await settledWithin(Promise.reject(new Error('refused')), 10_000);

    // Assess
    expect(fulfilled).toBe(true);
    expect(rejected).toBe(true);
  });

  it('gives up on work that is still running at the deadline', async () => {
    // Act
    const settled = await settledWithin(new Promise(() => undefined), 5);

    // Assess
    expect(settled).toBe(false);
  });

  it('returns the value of timely work and names late work in its error', async () => {
    // Act
    const value = await withTimeout(sleep(1, 'done'), 10_000, 'the probe');
    const late = withTimeout(new Promise(() => undefined), 5, 'the first event/next');

    // Assess
    expect(value).toBe('done');
    await expect(late).rejects.toThrow(TimeoutError);
    await expect(late).rejects.toThrow('the first event/next took longer than 5 ms');
  });

  it('ends a pause as soon as its signal aborts', async () => {
    // Prepare
    const controller = new AbortController();

    // Act
    const paused = pause(60_000, controller.signal);
    controller.abort();

    // Assess
    expect(await settledWithin(paused, 10_000)).toBe(true);
  });
});
