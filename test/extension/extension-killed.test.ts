import { afterEach, describe, expect, it } from 'vitest';
import { type ProbeSandbox, startProbeSandbox } from './fault-sandbox';

// The built extension layer in the local sandbox; the probe function SIGKILLs the extension
// process of its own environment in the middle of an invocation.
let probe: ProbeSandbox | undefined;
afterEach(async () => {
  await probe?.close();
  await probe?.remove();
});

describe('telemetry extension killed mid-run', () => {
  it('never takes the function down: the environment is reset and later invocations are served with a fresh extension', async () => {
    // Prepare
    probe = await startProbeSandbox({});
    const before = await probe.call();

    // Act
    const killed = await probe.call('kill=1');
    const after = [];
    for (let i = 0; i < 3; i++) after.push(await probe.call());

    // Assess: the killed invocation itself is answered (200, or 502 when the crash is noticed
    // before the response); then a new runtime process (Init re-ran) whose spans a new extension accepts
    expect(before.status).toBe(200);
    expect([200, 502]).toContain(killed.status);
    expect(after.map((a) => a.status)).toEqual([200, 200, 200]);
    expect(after[0]!.pid).not.toBe(before.pid);
    expect(after.every((a) => a.accepted === 2)).toBe(true);
  });
});
