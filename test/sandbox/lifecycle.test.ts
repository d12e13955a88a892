import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { cgroupDirOf, cgroupSupport } from '../../local/environment/cgroup-probe';
import { eventually } from '../support/eventually';
import { json, processState, SAMPLED_TRACE, SandboxHarness } from './support/sandbox-harness';

describe('execution environment lifecycle', () => {
  let sandbox: SandboxHarness;

  beforeEach(async () => {
    sandbox = await SandboxHarness.create();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('starts the runtime only after every extension registered, on its own loopback address', async () => {
    // Prepare: the slower extension registers 300 ms after it starts.
    const layer = await sandbox.layer(['alpha', 'beta']);
    const pool = await sandbox.pool({ layers: [layer] }, { beta: { registerDelayMs: 300 } });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{"action":"echo"}') });

    // Assess
    const body = json(output.payload);
    expect(output.status).toBe('success');
    expect(body.extensionsRegistered).toEqual(['alpha.registered', 'beta.registered']);
    const env = (await sandbox.recorded('alpha')).find((l) => l.kind === 'started')?.env ?? {};
    expect(env.AWS_LAMBDA_RUNTIME_API).toMatch(/^127\.\d+\.\d+\.\d+:9001$/);
    expect(env.AWS_LAMBDA_RUNTIME_API).not.toBe('127.0.0.1:9001');
    const address = String(env.AWS_LAMBDA_RUNTIME_API).split(':')[0];
    expect(env.TELEMETRY_LISTENER_ADDRESS).toBe(`${address}:4243`);
  });

  it('sends INVOKE with the deadline and tracing the runtime sees, and SHUTDOWN with reason and deadline', async () => {
    // Prepare
    const layer = await sandbox.layer(['watcher']);
    const pool = await sandbox.pool({ layers: [layer] });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}'), traceHeader: SAMPLED_TRACE });
    await sandbox.observer.until(() => sandbox.observer.types().includes('platform.report'));
    await pool.shutdown();

    // Assess
    const body = json(output.payload);
    const events = (await sandbox.recorded('watcher')).flatMap((l) => (l.event ? [l.event] : []));
    expect(events.map((e) => e.eventType)).toEqual(['INVOKE', 'SHUTDOWN']);
    const [invoke, shutdown] = events as [NonNullable<(typeof events)[0]>, NonNullable<(typeof events)[0]>];
    expect(invoke).toMatchObject({
      requestId: output.requestId,
      deadlineMs: body.deadlineMs,
      invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:conformance',
      tracing: { type: 'X-Amzn-Trace-Id', value: body.traceId },
    });
    expect(body.traceId).toMatch(/^Root=1-5759e988-bd862e3fe1be46a994272793;Parent=[0-9a-f]{16};Sampled=1$/);
    expect(shutdown.shutdownReason).toBe('spindown');
    expect(shutdown.deadlineMs).toBeGreaterThan(invoke.deadlineMs - 10_000);
    const pid = (await sandbox.recorded('watcher')).find((l) => l.kind === 'started')?.pid ?? 0;
    expect(pid).toBeGreaterThan(0);
    expect(await processState(pid)).toBeUndefined();
  });

  it('kills an extension that ignores SHUTDOWN once the deadline passes', async () => {
    // Prepare
    const layer = await sandbox.layer(['stubborn']);
    const pool = await sandbox.pool({ layers: [layer] }, { stubborn: { onShutdown: 'ignore' } });
    await pool.invoke({ payload: Buffer.from('{}') });
    const pid = (await sandbox.recorded('stubborn')).find((l) => l.kind === 'started')?.pid ?? 0;

    // Act
    await pool.shutdown();

    // Assess
    const shutdown = (await sandbox.recorded('stubborn')).find((l) => l.event?.eventType === 'SHUTDOWN');
    expect(shutdown?.event?.deadlineMs).toBeGreaterThan(shutdown?.at ?? Number.POSITIVE_INFINITY);
    expect(pid).toBeGreaterThan(0);
    expect(await processState(pid)).toBeUndefined();
  });

  it('ends the invoke phase only after every INVOKE-subscribed extension called next', async () => {
    // Prepare: the extension works for a while after the INVOKE before calling next again.
    const layer = await sandbox.layer(['worker']);
    const pool = await sandbox.pool({ layers: [layer] }, { worker: { onInvoke: 'work', workMs: 300 } });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });
    await sandbox.observer.until(() => sandbox.observer.types().includes('platform.report'));

    // Assess: the caller had its answer before the extension finished; the report came after.
    const lines = await sandbox.recorded('worker');
    const invokeAt = lines.findIndex((l) => l.event?.eventType === 'INVOKE');
    const nextAfterInvoke = lines.slice(invokeAt).find((l) => l.kind === 'next');
    const report = sandbox.observer.events.find((e) => e.type === 'platform.report');
    expect(output.status).toBe('success');
    expect(nextAfterInvoke).toBeDefined();
    expect(report!.receivedAt).toBeGreaterThanOrEqual(nextAfterInvoke!.at);
  });

  it('freezes every process of the environment between invokes and thaws them for the next', async () => {
    // Prepare: with cgroups the freezer cgroup freezes the environment, otherwise SIGSTOP does.
    const layer = await sandbox.layer(['sleeper']);
    const pool = await sandbox.pool({ layers: [layer] });
    const first = await pool.invoke({ payload: Buffer.from('{}') });
    const runtimePid: number = json(first.payload).pid;
    const extensionPid = (await sandbox.recorded('sleeper')).find((l) => l.kind === 'started')?.pid ?? 0;
    const frozenState = (await cgroupSupport()).available ? 'FROZEN' : 'T';

    // Act
    await sandbox.observer.until(() => sandbox.observer.types().includes('platform.report'));
    await eventually(
      () => freezeStatesOf([runtimePid, extensionPid]),
      (states) => states.every((s) => s === frozenState),
    );
    // Read again: a freeze holds until the next invoke, it is not a passing state.
    const frozen = await freezeStatesOf([runtimePid, extensionPid]);
    const second = await pool.invoke({ payload: Buffer.from('{}') });

    // Assess
    expect(frozen).toEqual([frozenState, frozenState]);
    expect(second.status).toBe('success');
    expect(json(second.payload).pid).toBe(runtimePid);
    expect(second.environmentId).toBe(first.environmentId);
  });

  it('leaves the processes running between invokes when freezing is off', async () => {
    // Prepare
    const pool = await sandbox.pool({ freeze: false });
    const first = await pool.invoke({ payload: Buffer.from('{}') });

    // Act: the environment is back in the pool once its invoke phase, freeze step included, is over.
    await eventually(
      async () => pool.warm,
      (warm) => warm === 1,
    );

    // Assess
    expect(await processState(json(first.payload).pid)).not.toBe('T');
  });

  it('shuts an idle environment down with SHUTDOWN spindown', async () => {
    // Prepare
    const layer = await sandbox.layer(['idler']);
    const pool = await sandbox.pool({ layers: [layer], idleTimeoutMs: 200 });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });
    const lines = await sandbox.recordedUntil('idler', (ls) =>
      ls.some((l) => l.event?.eventType === 'SHUTDOWN'),
    );

    // Assess
    expect(output.status).toBe('success');
    expect(lines.find((l) => l.event?.eventType === 'SHUTDOWN')?.event?.shutdownReason).toBe('spindown');
    await sandbox.observer.until(() => pool.size === 0);
    await waitForState([json(output.payload).pid], undefined);
    expect(await statesOf([json(output.payload).pid])).toEqual([undefined]);
  });
});

/** The /proc state of each pid (undefined = gone). */
const statesOf = (pids: number[]) => Promise.all(pids.map((pid) => processState(pid)));

/**
 * How frozen each pid is: the state of its environment's freezer cgroup where the sandbox freezes
 * through cgroups, else its /proc state (`T` = stopped by SIGSTOP).
 */
async function freezeStatesOf(pids: number[]): Promise<(string | undefined)[]> {
  if (!(await cgroupSupport()).available) return statesOf(pids);
  return Promise.all(
    pids.map(async (pid) => {
      const dir = await cgroupDirOf(pid, 'freezer');
      return dir ? (await readFile(path.join(dir, 'freezer.state'), 'utf8')).trim() : undefined;
    }),
  );
}

/** Polls /proc until every pid is in `state` (undefined = gone); the test timeout bounds it. */
async function waitForState(pids: number[], state: string | undefined): Promise<void> {
  await eventually(
    () => statesOf(pids),
    (states) => states.every((s) => s === state),
  );
}
