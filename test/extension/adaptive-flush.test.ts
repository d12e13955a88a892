import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AdaptiveFlushPolicy,
  type FlushPolicyDependencies,
  PerInvocationFlushPolicy,
  PeriodicFlushPolicy,
} from '../../extension/src/flush-policy';
import type { Invocation } from '../../extension/src/invocation-tracker';

const T0 = 1_700_000_000_000;
const options = { spanWaitMs: 20, postRuntimeBudgetMs: 100, shutdownMarginMs: 200, intervalMs: 10_000 };
// Budgets are aimed 5 ms early (scheduling slack), so a 100 ms budget ends here.
const BUDGET_END_MS = options.postRuntimeBudgetMs - 5;
// The handler runs this long before runtimeDone arrives.
const HANDLER_MS = 30;

/** Dependencies on the fake clock: runtimeDone after HANDLER_MS, flushes recorded with their start. */
function fakeDeps(flushMs = 0) {
  const flushes: { at: number; until: number; aborted: () => boolean }[] = [];
  const deps: FlushPolicyDependencies = {
    telemetryAvailable: true,
    waitForRuntimeDone: (requestId) =>
      new Promise((resolve) => setTimeout(() => resolve({ requestId, status: 'success' }), HANDLER_MS)),
    waitForSpans: async () => undefined,
    flush: (until, signal) => {
      flushes.push({ at: Date.now() - T0, until: until - T0, aborted: () => signal?.aborted ?? false });
      return new Promise((resolve) => {
        const timer = setTimeout(resolve, flushMs);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
  return { deps, flushes };
}

let seq = 0;
function invocation(): Invocation {
  seq++;
  return {
    requestId: `r${seq}`,
    deadlineMs: Date.now() + 3_000,
    traceId: undefined,
    parentId: undefined,
    sampled: false,
    expectSpans: false,
  };
}

/** Runs one invocation on the fake clock and returns its post-runtime time. */
async function invoke(policy: { afterInvoke(i: Invocation): Promise<{ startedAt: number }> }) {
  const pending = policy.afterInvoke(invocation());
  await vi.advanceTimersByTimeAsync(HANDLER_MS + options.postRuntimeBudgetMs + 10);
  const result = await pending;
  return result;
}

/** Advances the fake clock by `ms` of idle (frozen) time between invocations. */
async function idle(ms: number) {
  await vi.advanceTimersByTimeAsync(ms);
}

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('adaptive flush policy', () => {
  it('starts per-invocation and switches to periodic once invocations come more often than four per interval', async () => {
    // Prepare
    const { deps } = fakeDeps();
    const policy = new AdaptiveFlushPolicy(deps, options);
    const modes: string[] = [];

    // Act: one invocation a second (ten per 10 s interval)
    for (let i = 0; i < 6; i++) {
      modes.push(policy.mode);
      await invoke(policy);
      await idle(1_000);
    }
    modes.push(policy.mode);

    // Assess: three gaps are needed before the mean is trusted
    expect(modes).toEqual([
      'invocation',
      'invocation',
      'invocation',
      'invocation',
      'periodic',
      'periodic',
      'periodic',
    ]);
  });

  it('stays per-invocation when invocations come less often than four per interval', async () => {
    // Prepare
    const { deps, flushes } = fakeDeps();
    const policy = new AdaptiveFlushPolicy(deps, options);

    // Act: one invocation every 3 s (about three per interval)
    for (let i = 0; i < 8; i++) {
      await invoke(policy);
      await idle(3_000);
    }

    // Assess
    expect(policy.mode).toBe('invocation');
    expect(flushes).toHaveLength(8);
  });

  it('returns to per-invocation at the first gap of a whole interval', async () => {
    // Prepare
    const { deps } = fakeDeps();
    const policy = new AdaptiveFlushPolicy(deps, options);
    for (let i = 0; i < 6; i++) {
      await invoke(policy);
      await idle(500);
    }
    const busy = policy.mode;

    // Act
    await idle(12_000);
    await invoke(policy);

    // Assess
    expect(busy).toBe('periodic');
    expect(policy.mode).toBe('invocation');
  });

  it('returns to per-invocation when the rate slowly falls under two per interval, not before', async () => {
    // Prepare
    const { deps } = fakeDeps();
    const policy = new AdaptiveFlushPolicy(deps, options);
    for (let i = 0; i < 6; i++) {
      await invoke(policy);
      await idle(500);
    }

    // Act: gaps of 4 s (between the two thresholds), then 8 s (below two per interval)
    const modes: string[] = [];
    for (const gap of [4_000, 4_000, 4_000, 8_000, 8_000, 8_000, 8_000]) {
      await idle(gap);
      await invoke(policy);
      modes.push(policy.mode);
    }

    // Assess: the 4 s gaps alone do not cross the leaving threshold (5 s); the 8 s ones do
    expect(modes.slice(0, 3)).toEqual(['periodic', 'periodic', 'periodic']);
    expect(modes.at(-1)).toBe('invocation');
  });

  it('flushes once per interval in periodic mode instead of after every invocation', async () => {
    // Prepare
    const { deps, flushes } = fakeDeps();
    const policy = new AdaptiveFlushPolicy(deps, options);

    // Act: back-to-back invocations, one every 140 ms of clock time (about 42 s in all)
    for (let i = 0; i < 300; i++) await invoke(policy);

    // Assess: 4 per-invocation flushes before the switch, then one per 10 s of clock time
    const elapsed = Date.now() - T0;
    expect(policy.mode).toBe('periodic');
    expect(flushes.length).toBeLessThanOrEqual(4 + Math.ceil(elapsed / options.intervalMs));
    expect(flushes.length).toBeLessThan(300 / 10);
  });
});

describe('periodic flush policy', () => {
  it('starts the flush when the invocation arrives, so it overlaps the handler, and does not wait for spans', async () => {
    // Prepare
    const { deps, flushes } = fakeDeps(10);
    const spanWaits: number[] = [];
    const policy = new PeriodicFlushPolicy(
      { ...deps, waitForSpans: async () => void spanWaits.push(Date.now()) },
      options,
    );
    await idle(options.intervalMs);

    // Act
    const result = await invoke(policy);

    // Assess: the flush began at INVOKE, before runtimeDone (at +HANDLER_MS)
    expect(flushes).toHaveLength(1);
    expect(flushes[0]!.at).toBe(options.intervalMs);
    expect(result.startedAt - T0).toBe(options.intervalMs + HANDLER_MS);
    expect(spanWaits).toEqual([]);
  });

  it('aborts a flush still running when the post-runtime budget after runtimeDone is spent', async () => {
    // Prepare: a flush that would take 5 s
    const { deps, flushes } = fakeDeps(5_000);
    const policy = new PeriodicFlushPolicy(deps, options);
    await idle(options.intervalMs);

    // Act
    const pending = policy.afterInvoke(invocation());
    let settledAt: number | undefined;
    void pending.then(() => {
      settledAt = Date.now() - T0;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    const result = await pending;

    // Assess
    expect(settledAt! - (result.startedAt - T0)).toBe(BUDGET_END_MS);
    expect(flushes[0]!.aborted()).toBe(true);
  });

  it('goes back to next at INVOKE, without waiting for runtimeDone, when no flush is due', async () => {
    // Prepare
    const { deps, flushes } = fakeDeps();
    const policy = new PeriodicFlushPolicy(deps, options);

    // Act: no timer advance needed, so nothing waits for runtimeDone
    const result = await policy.afterInvoke(invocation());

    // Assess
    expect(result).toEqual({ runtimeDone: undefined, startedAt: T0, beforeRuntimeDone: true });
    expect(flushes).toEqual([]);
  });

  it('flushes early when the buffer is half full', async () => {
    // Prepare
    const { deps, flushes } = fakeDeps();
    const policy = new PeriodicFlushPolicy({ ...deps, backlog: () => 0.6 }, options);

    // Act
    await invoke(policy);

    // Assess
    expect(flushes).toHaveLength(1);
  });
});

describe('post-runtime budget', () => {
  it('counts the budget from when the platform emitted runtimeDone, not from its delivery', async () => {
    // Prepare: the Telemetry API delivers runtimeDone 30 ms after the platform emitted it
    const { deps, flushes } = fakeDeps(60_000);
    const delivery = 30;
    const policy = new PerInvocationFlushPolicy(
      { ...deps, runtimeDoneAt: () => T0 + HANDLER_MS - delivery },
      options,
    );

    // Act
    const pending = policy.afterInvoke(invocation());
    await vi.advanceTimersByTimeAsync(1_000);
    const result = await pending;

    // Assess
    expect(result.startedAt - T0).toBe(HANDLER_MS - delivery);
    expect(flushes[0]!.until).toBe(HANDLER_MS - delivery + BUDGET_END_MS);
    expect(flushes[0]!.aborted()).toBe(true);
  });

  it('falls back to the time of delivery when the emitted time is implausible', async () => {
    // Prepare: a runtimeDone time in the future (a clock problem, not a delay)
    const { deps } = fakeDeps();
    const policy = new PerInvocationFlushPolicy({ ...deps, runtimeDoneAt: () => T0 + 60_000 }, options);

    // Act
    const pending = policy.afterInvoke(invocation());
    await vi.advanceTimersByTimeAsync(1_000);
    const result = await pending;

    // Assess
    expect(result.startedAt - T0).toBe(HANDLER_MS);
  });

  it('returns at the budget even when the flush ignores its deadline, and aborts it', async () => {
    // Prepare: a flush that never ends unless aborted
    const { deps, flushes } = fakeDeps(60_000);
    const policy = new PerInvocationFlushPolicy(deps, options);

    // Act
    const pending = policy.afterInvoke(invocation());
    let settledAt: number | undefined;
    void pending.then(() => {
      settledAt = Date.now() - T0;
    });
    await vi.advanceTimersByTimeAsync(1_000);
    const result = await pending;

    // Assess
    expect(settledAt! - (result.startedAt - T0)).toBe(BUDGET_END_MS);
    expect(flushes[0]!.until - (result.startedAt - T0)).toBe(BUDGET_END_MS);
    expect(flushes[0]!.aborted()).toBe(true);
  });
});
