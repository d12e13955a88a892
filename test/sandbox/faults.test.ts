import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { json, SandboxHarness } from './support/sandbox-harness';

interface Report {
  requestId: string;
  status: string;
  errorType?: string;
}

describe('faults reset the execution environment', () => {
  let sandbox: SandboxHarness;

  beforeEach(async () => {
    sandbox = await SandboxHarness.create();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('times out a runtime that never responds, resets with SHUTDOWN timeout and serves the next invoke afresh', async () => {
    // Prepare
    const layer = await sandbox.layer(['guard']);
    const pool = await sandbox.pool({ layers: [layer], timeoutSec: 1 });

    // Act
    const timedOut = await pool.invoke({ payload: Buffer.from('{"action":"sleep"}') });
    const next = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(timedOut.status).toBe('timeout');
    expect(timedOut.errorType).toBe('Sandbox.Timedout');
    expect(json(timedOut.payload).errorMessage).toMatch(/Task timed out after 1\.00 seconds/);
    expect(next.status).toBe('success');
    expect(next.environmentId).not.toBe(timedOut.environmentId);
    const report = sandbox.observer
      .records<Report>('platform.report')
      .find((r) => r.requestId === timedOut.requestId);
    expect(report).toMatchObject({ status: 'timeout', errorType: 'Sandbox.Timedout' });
    const shutdowns = (await sandbox.recorded('guard')).filter((l) => l.event?.eventType === 'SHUTDOWN');
    expect(shutdowns[0]?.event?.shutdownReason).toBe('timeout');
  });

  it('reports a runtime that exits as Runtime.ExitError and resets with SHUTDOWN failure', async () => {
    // Prepare
    const layer = await sandbox.layer(['guard']);
    const pool = await sandbox.pool({ layers: [layer] });

    // Act
    const crashed = await pool.invoke({ payload: Buffer.from('{"action":"exit"}') });
    const next = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(crashed.status).toBe('failure');
    expect(crashed.errorType).toBe('Runtime.ExitError');
    expect(json(crashed.payload).errorMessage).toMatch(/Runtime exited with error: exit status 2/);
    expect(next.status).toBe('success');
    const shutdowns = (await sandbox.recorded('guard')).filter((l) => l.event?.eventType === 'SHUTDOWN');
    expect(shutdowns[0]?.event?.shutdownReason).toBe('failure');
    const initPhases = sandbox.observer.records<{ phase: string }>('platform.initStart').map((r) => r.phase);
    expect(initPhases).toEqual(['init', 'init']);
  });

  it('reports an extension that crashes during the invoke as Extension.Crash and resets', async () => {
    // Prepare
    const layer = await sandbox.layer(['fragile', 'steady']);
    const pool = await sandbox.pool({ layers: [layer] }, { fragile: { onInvoke: 'crash' } });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });
    await sandbox.observer.until(() => sandbox.observer.types().includes('platform.report'));

    // Assess
    const report = sandbox.observer.records<Report>('platform.report')[0];
    expect(report).toMatchObject({
      requestId: output.requestId,
      status: 'failure',
      errorType: 'Extension.Crash',
    });
    const steady = await sandbox.recordedUntil('steady', (ls) =>
      ls.some((l) => l.event?.eventType === 'SHUTDOWN'),
    );
    expect(steady.find((l) => l.event?.eventType === 'SHUTDOWN')?.event?.shutdownReason).toBe('failure');
  });

  it('times out an extension that never calls next after INVOKE, though the caller had its response', async () => {
    // Prepare
    const layer = await sandbox.layer(['stuck']);
    const pool = await sandbox.pool({ layers: [layer], timeoutSec: 1 }, { stuck: { onInvoke: 'hang' } });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });
    await sandbox.observer.until(() => sandbox.observer.types().includes('platform.report'));

    // Assess
    expect(output.status).toBe('success');
    const report = sandbox.observer.records<Report>('platform.report')[0];
    expect(report).toMatchObject({ status: 'timeout', errorType: 'Sandbox.Timedout' });
  });

  it('retries a failed Init inside the first invoke and returns its error', async () => {
    // Prepare
    const pool = await sandbox.pool({ environment: { BOOTSTRAP_INIT: 'error' } });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(output.status).toBe('error');
    expect(output.errorType).toBe('Runtime.FixtureInitError');
    expect(json(output.payload).errorMessage).toBe('init failed on purpose');
    const reports = sandbox.observer.records<{ phase: string; status: string; errorType?: string }>(
      'platform.initReport',
    );
    expect(reports.map((r) => [r.phase, r.status, r.errorType])).toEqual([
      ['init', 'error', 'Runtime.FixtureInitError'],
      ['invoke', 'error', 'Runtime.FixtureInitError'],
    ]);
    expect(sandbox.observer.records<Report>('platform.report')[0]).toMatchObject({
      requestId: output.requestId,
      status: 'error',
    });
  });

  it('ends an Init that passes 10 s with status timeout and retries it under the function timeout', async () => {
    // Prepare: an extension that would register only after 20 s holds the registration barrier.
    const layer = await sandbox.layer(['sluggish']);
    const pool = await sandbox.pool(
      { layers: [layer], timeoutSec: 1 },
      { sluggish: { registerDelayMs: 20_000 } },
    );

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(output.status).toBe('timeout');
    expect(output.errorType).toBe('Sandbox.Timedout');
    const reports = sandbox.observer.records<{ phase: string; status: string }>('platform.initReport');
    expect(reports.map((r) => [r.phase, r.status])).toEqual([
      ['init', 'timeout'],
      ['invoke', 'timeout'],
    ]);
    const order = sandbox.observer
      .types()
      .filter((t) => t === 'platform.initReport' || t === 'platform.start');
    expect(order).toEqual(['platform.initReport', 'platform.start', 'platform.initReport']);
  });

  it('keeps serving other invokes while one environment times out', async () => {
    // Prepare
    const pool = await sandbox.pool({ concurrency: 2, timeoutSec: 1 });

    // Act
    const [slow, fast] = await Promise.all([
      pool.invoke({ payload: Buffer.from('{"action":"sleep"}') }),
      pool.invoke({ payload: Buffer.from('{"action":"echo"}') }),
    ]);

    // Assess
    expect(slow.status).toBe('timeout');
    expect(fast.status).toBe('success');
    expect(fast.environmentId).not.toBe(slow.environmentId);
  });
});
