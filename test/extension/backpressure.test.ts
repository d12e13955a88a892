import { afterEach, describe, expect, it } from 'vitest';
import { EXTENSION_METRICS as M } from '../../extension/src/metric-names';
import { readStoredSegments } from '../../local/xray/trace-store';
import { type ProbeSandbox, startProbeSandbox } from './fault-sandbox';

// The built extension layer in the local sandbox, exporting to the sandbox's own X-Ray, under
// more spans than its buffer holds.
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
});

async function setUp(environment: Record<string, string>): Promise<ProbeSandbox> {
  const probe = await startProbeSandbox(environment);
  cleanups.push(probe.remove, probe.close);
  return probe;
}

describe('telemetry extension under backpressure', () => {
  it('refuses a burst far above its buffer at once, counts the drops, and the function is unaffected', async () => {
    // Prepare: a 500-span buffer, then one invocation sending 20,000 spans
    const probe = await setUp({ TELEMETRY_BUFFER_MAX_SPANS: '500', TELEMETRY_FLUSH: 'invocation' });

    // Act
    const burst = await probe.call('spans=1000&requests=20');
    const after = await probe.call();
    await probe.close();

    // Assess: the receiver answered every request (partial success), newest spans refused
    expect(burst.status).toBe(200);
    expect(after.status).toBe(200);
    expect(burst.accepted + burst.rejected).toBe(20_000);
    expect(burst.accepted).toBe(500);
    expect(await probe.total(M.spansDropped, 'buffer_full')).toBe(19_500);
    const depths = await probe.values(M.queueDepth);
    expect(Math.max(...depths)).toBeLessThanOrEqual(500);
    expect(await probe.total(M.spansExported)).toBe(500 + after.accepted);
  });

  it('exports everything it accepted at SHUTDOWN, or counts it as dropped, with a full buffer', async () => {
    // Prepare: periodic flushing that never comes due before SHUTDOWN, a buffer that fills
    const probe = await setUp({
      TELEMETRY_FLUSH: 'periodic',
      TELEMETRY_FLUSH_INTERVAL_MS: '3600000',
      TELEMETRY_BUFFER_MAX_SPANS: '4000',
    });

    // Act: 3 x 1,000 spans fill three quarters of it; only a third invocation's flush may start
    const calls = [];
    for (let i = 0; i < 3; i++) calls.push(await probe.call('spans=500&requests=2'));
    await probe.close();

    // Assess
    expect(calls.map((c) => c.status)).toEqual([200, 200, 200]);
    const accepted = calls.reduce((sum, c) => sum + c.accepted, 0);
    const exported = await probe.total(M.spansExported);
    const dropped = await probe.total(M.spansDropped);
    const stored = (await readStoredSegments(probe.sandbox.paths.xray)).filter(
      (s) => s.source === 'put-trace-segments',
    );
    expect(accepted).toBe(3_000);
    expect(exported + dropped).toBe(accepted);
    // Delivery is at least once: a batch whose answer the deadline cut off is sent again.
    expect(new Set(stored.map((s) => s.document.id)).size).toBe(exported);
    expect(exported).toBeGreaterThan(0);
  });
});
