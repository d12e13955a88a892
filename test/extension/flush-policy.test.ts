import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PerInvocationFlushPolicy } from '../../extension/src/flush-policy';
import { type Invocation, InvocationTracker } from '../../extension/src/invocation-tracker';
import { span } from './span-fixtures';

const T0 = 1_700_000_000_000;
const options = { spanWaitMs: 20, postRuntimeBudgetMs: 100, shutdownMarginMs: 200 };
const invocation: Invocation = {
  requestId: 'r1',
  deadlineMs: T0 + 3_000,
  traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700',
  parentId: '9a9197af755a6419',
  sampled: true,
  expectSpans: true,
};

beforeEach(() => {
  vi.useFakeTimers({ now: T0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('per-invocation flush policy', () => {
  it('waits for runtimeDone, then the spans, then flushes within the post-runtime budget', async () => {
    // Prepare
    const calls: string[] = [];
    const policy = new PerInvocationFlushPolicy(
      {
        telemetryAvailable: true,
        waitForRuntimeDone: (requestId) =>
          new Promise((resolve) =>
            setTimeout(() => {
              calls.push(`runtimeDone@${Date.now() - T0}`);
              resolve({ requestId, status: 'success' });
            }, 300),
          ),
        waitForSpans: async (_, until) => {
          calls.push(`spans until +${until - Date.now()}`);
        },
        flush: async (until) => {
          calls.push(`flush until +${until - Date.now()}`);
        },
      },
      options,
    );

    // Act
    const pending = policy.afterInvoke(invocation);
    await vi.advanceTimersByTimeAsync(300);
    const result = await pending;

    // Assess
    // The budget is aimed 5 ms early: timers fire late on a loaded machine.
    expect(calls).toEqual(['runtimeDone@300', 'spans until +20', 'flush until +95']);
    expect(result).toEqual({ runtimeDone: { requestId: 'r1', status: 'success' }, startedAt: T0 + 300 });
  });

  it('aims the budget earlier in proportion to a small CPU share, at most half of it early', async () => {
    // Prepare: 1,024 MB is 0.58 vCPU, 128 MB 0.07 vCPU (1,769 MB = one).
    const ends: number[] = [];
    const policyAt = (memoryMb: number) =>
      new PerInvocationFlushPolicy(
        {
          telemetryAvailable: true,
          waitForRuntimeDone: async (requestId) => ({ requestId, status: 'success' }),
          waitForSpans: async () => undefined,
          flush: async (until) => {
            ends.push(until - Date.now());
          },
        },
        { ...options, cpuShare: memoryMb / 1769 },
      );

    // Act
    await policyAt(1769).afterInvoke(invocation);
    await policyAt(1024).afterInvoke(invocation);
    await policyAt(128).afterInvoke(invocation);

    // Assess: 5 ms of slack at a full vCPU, 5 / 0.58 ms at 1,024 MB, capped at 50 ms at 128 MB.
    expect(ends.map((end) => Math.round(end * 10) / 10)).toEqual([95, 91.4, 50]);
  });

  it('flushes at once when the Telemetry API is unavailable', async () => {
    // Prepare
    const flushes: number[] = [];
    const policy = new PerInvocationFlushPolicy(
      {
        telemetryAvailable: false,
        waitForRuntimeDone: () => new Promise(() => undefined),
        waitForSpans: () => new Promise(() => undefined),
        flush: async (until) => {
          flushes.push(until - T0);
        },
      },
      options,
    );

    // Act
    const result = await policy.afterInvoke(invocation);

    // Assess
    expect(flushes).toEqual([95]);
    expect(result.runtimeDone).toBeUndefined();
  });

  it('flushes at SHUTDOWN until the deadline minus the margin', async () => {
    // Prepare
    const flushes: number[] = [];
    const policy = new PerInvocationFlushPolicy(
      {
        telemetryAvailable: true,
        waitForRuntimeDone: async () => undefined,
        waitForSpans: async () => undefined,
        flush: async (until) => {
          flushes.push(until);
        },
      },
      options,
    );

    // Act
    await policy.shutdown(T0 + 2_000);

    // Assess
    expect(flushes).toEqual([T0 + 1_800]);
  });
});

describe('invocation tracker', () => {
  const idle = { inFlight: 0, whenIdle: () => Promise.resolve() };

  it('expects the handler spans unless the header says Sampled=0, as the handler tracer decides', () => {
    // Prepare
    const tracker = new InvocationTracker(idle);
    const begin = (sampled: string) =>
      tracker.begin({
        eventType: 'INVOKE',
        requestId: `r${sampled}`,
        deadlineMs: T0 + 3_000,
        invokedFunctionArn: 'arn',
        tracing: {
          type: 'X-Amzn-Trace-Id',
          value: `Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419${sampled}`,
        },
      });

    // Act
    const decided = begin(';Sampled=1');
    const undecided = begin(';Sampled=?');
    const unsampled = begin(';Sampled=0');

    // Assess
    expect(decided).toMatchObject({
      traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700',
      sampled: true,
      expectSpans: true,
    });
    expect(undecided).toMatchObject({ parentId: '9a9197af755a6419', sampled: true });
    expect(unsampled).toMatchObject({ sampled: false, expectSpans: false });
  });

  it('ends the span wait as soon as the entry span arrives', async () => {
    // Prepare
    const tracker = new InvocationTracker(idle);
    const current = tracker.begin({
      eventType: 'INVOKE',
      requestId: 'r1',
      deadlineMs: T0 + 3_000,
      invokedFunctionArn: 'arn',
      tracing: {
        type: 'X-Amzn-Trace-Id',
        value: 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
      },
    });
    let waited = false;

    // Act
    const waiting = tracker.waitForSpans(current, T0 + 20).then(() => {
      waited = true;
    });
    await vi.advanceTimersByTimeAsync(5);
    const before = waited;
    tracker.observeSpans([
      span({ traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700', parentSpanId: '9a9197af755a6419' }),
    ]);
    await waiting;

    // Assess
    expect(before).toBe(false);
    expect(Date.now() - T0).toBe(5);
  });

  it('gives up waiting for spans at the bound when none come', async () => {
    // Prepare
    const tracker = new InvocationTracker(idle);
    const current = tracker.begin({
      eventType: 'INVOKE',
      requestId: 'r1',
      deadlineMs: T0 + 3_000,
      invokedFunctionArn: 'arn',
      tracing: {
        type: 'X-Amzn-Trace-Id',
        value: 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
      },
    });

    // Act
    const waiting = tracker.waitForSpans(current, T0 + 20);
    await vi.advanceTimersByTimeAsync(20);
    await waiting;

    // Assess
    expect(Date.now() - T0).toBe(20);
  });

  it('hands over a runtimeDone that arrived before its INVOKE was processed', async () => {
    // Prepare
    const tracker = new InvocationTracker(idle);
    tracker.observePlatform([
      {
        time: '2026-01-01T00:00:00Z',
        type: 'platform.runtimeDone',
        record: { requestId: 'early', status: 'timeout' },
      },
    ]);

    // Act
    const record = await tracker.runtimeDone('early', T0 + 1_000);
    const missing = tracker.runtimeDone('other', T0 + 1_000);
    await vi.advanceTimersByTimeAsync(1_000);

    // Assess
    expect(record).toEqual({ requestId: 'early', status: 'timeout' });
    expect(await missing).toBeUndefined();
  });
});
