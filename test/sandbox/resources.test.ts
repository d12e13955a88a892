import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CONTROLLERS,
  type Controller,
  cgroupDirOf,
  cgroupSupport,
} from '../../local/environment/cgroup-probe';
import { startSandbox } from '../../local/sandbox';
import { eventually } from '../support/eventually';
import { json, NODE_FUNCTIONS_DIR, SandboxHarness } from './support/sandbox-harness';

// The same probe the sandbox uses: where it finds no usable cgroup v1 hierarchies (another OS,
// cgroup v2 only, not root), the constrained tests cannot run and say why in their title.
const support = await cgroupSupport();
const skipped = support.available ? '' : ` (skipped: ${support.reason})`;

interface Report {
  requestId: string;
  status: string;
  errorType?: string;
  metrics: { maxMemoryUsedMB: number; memorySizeMB: number };
}

/** The directories of the cgroups `pid` is in, by controller. */
async function cgroupsOf(pid: number): Promise<Record<Controller, string | undefined>> {
  const dirs = await Promise.all(CONTROLLERS.map((c) => cgroupDirOf(pid, c)));
  return Object.fromEntries(CONTROLLERS.map((c, i) => [c, dirs[i]])) as Record<
    Controller,
    string | undefined
  >;
}

async function cgroupValue(dir: string | undefined, file: string): Promise<string> {
  return (await readFile(path.join(dir ?? '/nonexistent', file), 'utf8')).trim();
}

describe(`Lambda-sized execution environments${skipped}`, () => {
  let sandbox: SandboxHarness;

  beforeEach(async () => {
    sandbox = await SandboxHarness.create();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it.skipIf(!support.available)(
    'runs the runtime and the extensions in the environment cgroups, unthrottled in Init, at the memory share after',
    async () => {
      // Prepare
      const layer = await sandbox.layer(['alpha']);
      const pool = await sandbox.pool({
        codeDir: NODE_FUNCTIONS_DIR,
        handler: 'resources.quota',
        memoryMb: 256,
        layers: [layer],
      });

      // Act
      const output = await pool.invoke({ payload: Buffer.from('{}') });

      // Assess
      const body = json(output.payload);
      const extensionPid = (await sandbox.recorded('alpha')).find((l) => l.kind === 'started')?.pid ?? 0;
      const runtime = await cgroupsOf(body.pid);
      const extension = await cgroupsOf(extensionPid);
      expect(output.status).toBe('success');
      expect(extension).toEqual(runtime);
      for (const controller of CONTROLLERS) {
        const parent = support.available ? support.parents[controller] : '';
        expect(path.dirname(runtime[controller] ?? '')).toBe(parent);
      }
      expect(body.quotaAtInit).toBe(-1);
      expect(body.quota).toBe(Math.round(Math.min(256 / 1769, availableParallelism()) * 20_000));
      expect(await cgroupValue(runtime.cpu, 'cpu.cfs_period_us')).toBe('20000');
      expect(await cgroupValue(runtime.memory, 'memory.limit_in_bytes')).toBe(String(256 * 1024 * 1024));
    },
  );

  it.skipIf(!support.available)(
    'ends an invoke that exceeds the memory with Runtime.OutOfMemory and runs a fresh Init for the next',
    async () => {
      // Prepare
      const pool = await sandbox.pool({
        codeDir: NODE_FUNCTIONS_DIR,
        handler: 'resources.allocate',
        memoryMb: 128,
      });

      // Act
      const exceeded = await pool.invoke({ payload: Buffer.from('{"mb":256}') });
      const next = await pool.invoke({ payload: Buffer.from('{"mb":8}') });
      await sandbox.observer.until(() => sandbox.observer.records('platform.report').length === 2);

      // Assess
      expect(exceeded.status).toBe('error');
      expect(exceeded.errorType).toBe('Runtime.OutOfMemory');
      expect(exceeded.payload.toString()).toBe(
        `{"errorType":"Runtime.OutOfMemory","errorMessage":"RequestId: ${exceeded.requestId} Error: Runtime exited with error: signal: killed"}`,
      );
      const outcome = (type: string) =>
        sandbox.observer.records<Report>(type).find((r) => r.requestId === exceeded.requestId);
      expect(outcome('platform.runtimeDone')).toMatchObject({
        status: 'error',
        errorType: 'Runtime.OutOfMemory',
      });
      expect(outcome('platform.report')).toMatchObject({ status: 'error', errorType: 'Runtime.OutOfMemory' });
      expect(next.status).toBe('success');
      expect(next.environmentId).not.toBe(exceeded.environmentId);
      const inits = sandbox.observer.records<{ phase: string }>('platform.initStart').map((r) => r.phase);
      expect(inits).toEqual(['init', 'init']);
    },
  );

  it.skipIf(!support.available)('counts an extension the OOM killer ends as out of memory', async () => {
    // Prepare: the function stays small; the extension grows past the memory on INVOKE. At a
    // 128 MB share of the CPU that takes a while on a busy machine: the timeout leaves room.
    const layer = await sandbox.layer(['hungry']);
    const pool = await sandbox.pool(
      { layers: [layer], memoryMb: 128, timeoutSec: 40 },
      { hungry: { onInvoke: 'allocate' } },
    );

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{}') });
    await sandbox.observer.until(() => sandbox.observer.records('platform.report').length === 1);

    // Assess: the environment is reset (the pool lets it go).
    const report = sandbox.observer.records<Report>('platform.report')[0];
    expect(report).toMatchObject({
      requestId: output.requestId,
      status: 'error',
      errorType: 'Runtime.OutOfMemory',
    });
    expect(
      await eventually(
        () => pool.size,
        (size) => size === 0,
      ),
    ).toBe(0);
  });

  it.skipIf(!support.available)('reports Max Memory Used from the memory cgroup', async () => {
    // Prepare
    const pool = await sandbox.pool({
      codeDir: NODE_FUNCTIONS_DIR,
      handler: 'resources.allocate',
      memoryMb: 256,
    });

    // Act
    const output = await pool.invoke({ payload: Buffer.from('{"mb":60}') });
    await sandbox.observer.until(() => sandbox.observer.records('platform.report').length === 1);

    // Assess
    const report = sandbox.observer.records<Report>('platform.report')[0];
    const memory = (await cgroupsOf(json(output.payload).pid)).memory;
    const peakMb = Math.ceil(Number(await cgroupValue(memory, 'memory.max_usage_in_bytes')) / 1024 / 1024);
    expect(output.status).toBe('success');
    expect(report?.metrics.maxMemoryUsedMB).toBeGreaterThanOrEqual(60);
    expect(report?.metrics.maxMemoryUsedMB).toBeLessThanOrEqual(peakMb);
    expect(report?.metrics.memorySizeMB).toBe(256);
  });

  it.skipIf(!support.available)(
    'removes the environment cgroups when the environments shut down',
    async () => {
      // Prepare
      const pool = await sandbox.pool({ codeDir: NODE_FUNCTIONS_DIR, handler: 'resources.quota' });
      const output = await pool.invoke({ payload: Buffer.from('{}') });
      const dirs = Object.values(await cgroupsOf(json(output.payload).pid));

      // Act
      await pool.shutdown();

      // Assess
      expect(dirs.every((dir) => dir?.includes(`/lambda-sandbox/${process.pid}-`))).toBe(true);
      expect(dirs.filter((dir) => existsSync(dir ?? ''))).toEqual([]);
    },
  );

  it('runs as before outside any environment cgroup when turned off', async () => {
    // Prepare
    const pool = await sandbox.pool({
      codeDir: NODE_FUNCTIONS_DIR,
      handler: 'resources.allocate',
      memoryMb: 128,
      unconstrained: true,
    });

    // Act: more than the memory size, which only a limit would stop.
    const output = await pool.invoke({ payload: Buffer.from('{"mb":160}') });

    // Assess
    const own = await cgroupsOf(process.pid);
    expect(output.status).toBe('success');
    expect(await cgroupsOf(json(output.payload).pid)).toEqual(own);
  });
});

describe('the sandbox reports what the environments get', () => {
  let stateDir: string;

  beforeEach(async () => {
    stateDir = await mkdtemp(path.join(tmpdir(), 'sandbox-resources-'));
  });

  afterEach(async () => {
    await rm(stateDir, { recursive: true, force: true });
  });

  it('says why it runs unconstrained, or the CPU share and memory limit it enforces', async () => {
    // Prepare
    const common = {
      codeDir: NODE_FUNCTIONS_DIR,
      handler: 'index.echo',
      layers: [],
      inMemory: true,
      memoryMb: 512,
    };

    // Act
    const off = await startSandbox({ ...common, stateDir: path.join(stateDir, 'off'), unconstrained: true });
    await off.close();
    const sized = await startSandbox({ ...common, stateDir: path.join(stateDir, 'sized') });
    await sized.close();

    // Assess
    expect(off.resources).toEqual({ constrained: false, reason: expect.stringMatching(/turned off/) });
    expect(sized.resources).toEqual(
      support.available
        ? { constrained: true, cpuShare: Math.min(512 / 1769, availableParallelism()), memoryLimitMb: 512 }
        : { constrained: false, reason: support.reason },
    );
  });

  it('refuses a memory size Lambda does not allow, in one line', async () => {
    // Act
    const refused = startSandbox({ memoryMb: 64, stateDir, inMemory: true });

    // Assess
    await expect(refused).rejects.toThrow(
      /^memoryMb must be a whole number from 128 to 10240, as Lambda allows; got 64$/,
    );
  });
});
