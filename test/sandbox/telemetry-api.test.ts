import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PlatformEvent } from '../../local/environment/types';
import { type RecordedLine, SAMPLED_TRACE, SandboxHarness } from './support/sandbox-harness';

function delivered(lines: RecordedLine[]): PlatformEvent[] {
  return lines.flatMap((l) => (l.kind === 'telemetry' ? (l.events ?? []) : []));
}

interface Metrics {
  durationMs: number;
  billedDurationMs: number;
  memorySizeMB: number;
  maxMemoryUsedMB: number;
  initDurationMs?: number;
}

describe('Telemetry API', () => {
  let sandbox: SandboxHarness;

  beforeEach(async () => {
    sandbox = await SandboxHarness.create();
  });

  afterEach(async () => {
    await sandbox.close();
  });

  it('delivers the platform events of Init and two invokes in order, with their measurements', async () => {
    // Prepare
    const layer = await sandbox.layer(['listener']);
    const pool = await sandbox.pool({ layers: [layer] });

    // Act
    const first = await pool.invoke({ payload: Buffer.from('{}'), traceHeader: SAMPLED_TRACE });
    const second = await pool.invoke({ payload: Buffer.from('{}') });
    await pool.shutdown();

    // Assess
    const events = delivered(await sandbox.recorded('listener'));
    const platform = events.filter((e) => e.type.startsWith('platform.')).map((e) => e.type);
    expect(platform).toEqual([
      'platform.initStart',
      'platform.extension',
      'platform.telemetrySubscription',
      'platform.initRuntimeDone',
      'platform.initReport',
      'platform.start',
      'platform.runtimeDone',
      'platform.report',
      'platform.start',
      'platform.runtimeDone',
      'platform.report',
    ]);
    const byType = (type: string) =>
      events.filter((e) => e.type === type).map((e) => e.record as Record<string, unknown>);
    expect(byType('platform.extension')[0]).toEqual({
      name: 'listener',
      state: 'Ready',
      events: ['INVOKE', 'SHUTDOWN'],
    });
    expect(byType('platform.telemetrySubscription')[0]).toMatchObject({
      name: 'listener',
      state: 'Subscribed',
    });
    const [runtimeDone] = byType('platform.runtimeDone');
    expect(runtimeDone).toMatchObject({ requestId: first.requestId, status: 'success' });
    expect((runtimeDone?.metrics as { producedBytes: number } | undefined)?.producedBytes).toBe(
      first.payload.length,
    );
    expect((runtimeDone?.spans as { name: string }[] | undefined)?.map((s) => s.name)).toEqual([
      'responseLatency',
      'responseDuration',
    ]);
    expect(runtimeDone?.tracing).toMatchObject({
      type: 'X-Amzn-Trace-Id',
      value: expect.stringContaining('Root=1-5759e988'),
    });
    const [report1, report2] = byType('platform.report');
    const m1 = report1?.metrics as Metrics;
    const m2 = report2?.metrics as Metrics;
    expect(report1).toMatchObject({ requestId: first.requestId, status: 'success' });
    expect(report2).toMatchObject({ requestId: second.requestId, status: 'success' });
    expect(m1.billedDurationMs).toBe(Math.ceil(m1.durationMs));
    expect(m1.memorySizeMB).toBe(256);
    expect(m1.maxMemoryUsedMB).toBeGreaterThan(1);
    expect(m1.initDurationMs).toBeGreaterThan(0);
    expect(m2.initDurationMs).toBeUndefined();
  });

  it('delivers function and extension log lines to subscribers and the observer', async () => {
    // Prepare
    const layer = await sandbox.layer(['listener']);
    const pool = await sandbox.pool({ layers: [layer] });

    // Act
    await pool.invoke({ payload: Buffer.from('{"action":"echo"}') });
    await pool.shutdown();

    // Assess
    const events = delivered(await sandbox.recorded('listener'));
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'function', record: 'bootstrap handling echo' }),
    );
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'extension', record: 'extension listener ready' }),
    );
    expect(sandbox.observer.logs).toContainEqual(
      expect.objectContaining({ stream: 'extension', source: 'listener', line: 'extension listener ready' }),
    );
  });

  it('accepts every schema version in use and resolves sandbox.localdomain to the environment', async () => {
    // Prepare
    const layer = await sandbox.layer(['old', 'newest']);
    const pool = await sandbox.pool(
      { layers: [layer] },
      {
        old: { subscribe: { schemaVersion: '2022-07-01' } },
        newest: { subscribe: { schemaVersion: '2025-01-29' } },
      },
    );

    // Act
    await pool.invoke({ payload: Buffer.from('{}') });
    await pool.shutdown();

    // Assess
    for (const name of ['old', 'newest']) {
      const lines = await sandbox.recorded(name);
      expect(lines.find((l) => l.kind === 'subscribed')?.status).toBe(200);
      expect(delivered(lines).map((e) => e.type)).toContain('platform.report');
    }
  });

  it('retries a failing listener, then drops the batch and reports platform.logsDropped', async () => {
    // Prepare: the listener refuses the first three deliveries (every attempt of the first batch).
    const layer = await sandbox.layer(['flaky']);
    const pool = await sandbox.pool({ layers: [layer] }, { flaky: { failFirst: 3 } });

    // Act
    await pool.invoke({ payload: Buffer.from('{}') });
    await pool.shutdown();

    // Assess
    const events = delivered(await sandbox.recorded('flaky'));
    const dropped = events.find((e) => e.type === 'platform.logsDropped');
    expect(dropped?.record).toMatchObject({
      droppedRecords: expect.any(Number),
      droppedBytes: expect.any(Number),
    });
    expect((dropped?.record as { droppedRecords: number } | undefined)?.droppedRecords).toBeGreaterThan(0);
    expect(events.map((e) => e.type)).toContain('platform.report');
  });
});
