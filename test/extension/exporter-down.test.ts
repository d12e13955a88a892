import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXTENSION_METRICS } from '../../extension/src/metric-names';
import { readMetrics } from '../../local/logs/metric-store';
import { startSandbox } from '../../local/sandbox';

// The built todo handler and extension layer in the local sandbox, with X-Ray pointed at a port
// where nothing listens: the exporter fails on every attempt.
let stateDir: string | undefined;

afterAll(async () => {
  if (stateDir) await rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
});

describe('telemetry extension with its exporter down', () => {
  it('keeps serving requests and reports every span it could not export as dropped', async () => {
    // Prepare
    stateDir = await mkdtemp(path.join(tmpdir(), 'exporter-down-'));
    const sandbox = await startSandbox({
      inMemory: true,
      stateDir,
      timeoutSec: 10,
      environment: { AWS_ENDPOINT_URL_XRAY: 'http://127.0.0.1:9' },
    });
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${'0'.repeat(20)}d0e1`;

    // Act
    let statuses: number[];
    try {
      const responses = [];
      for (let i = 0; i < 2; i++) {
        responses.push(
          await fetch(`${sandbox.apiUrl}/todos`, {
            headers: { 'x-amzn-trace-id': `Root=${root};Sampled=1` },
          }),
        );
      }
      statuses = responses.map((response) => response.status);
    } finally {
      // SHUTDOWN makes the extension write its final self-metrics.
      await sandbox.close();
    }
    // After its retries a batch is dropped (export_failed); once the circuit opens the rest is
    // held and counted at SHUTDOWN (shutdown). The datum without a Reason is the total of both.
    const dropped = (
      await readMetrics(sandbox.paths.metrics, { metricName: EXTENSION_METRICS.spansDropped })
    ).filter((m) => m.dimensions[EXTENSION_METRICS.dimensions.reason] === undefined);
    const exported = await readMetrics(sandbox.paths.metrics, {
      metricName: EXTENSION_METRICS.spansExported,
    });

    // Assess
    expect(statuses).toEqual([200, 200]);
    const total = (metrics: typeof dropped) =>
      metrics.reduce((sum, m) => sum + m.values.reduce((s, v, i) => s + v * (m.counts[i] ?? 1), 0), 0);
    expect(total(dropped)).toBeGreaterThanOrEqual(4);
    expect(total(exported)).toBe(0);
  });
});
