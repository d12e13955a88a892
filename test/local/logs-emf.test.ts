import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractEmfMetrics } from '../../local/logs/emf';
import { LogSink } from '../../local/logs/log-sink';
import { MetricStore } from '../../local/logs/metric-store';

const emf = (overrides: Record<string, unknown> = {}, aws: Record<string, unknown> = {}) =>
  JSON.stringify({
    _aws: {
      Timestamp: Date.now(),
      CloudWatchMetrics: [
        {
          Namespace: 'Todos',
          Dimensions: [['service'], ['service', 'route']],
          Metrics: [
            { Name: 'ResponseBytes', Unit: 'Bytes' },
            { Name: 'Latency', Unit: 'Milliseconds', StorageResolution: 1 },
          ],
        },
      ],
      ...aws,
    },
    service: 'todos',
    route: 'GET /todos',
    ResponseBytes: [100, 250, 100],
    Latency: 12.5,
    ...overrides,
  });

describe('EMF extraction', () => {
  it('makes one datum per dimension set and metric, with values, counts, unit and timestamp', () => {
    // Prepare
    const timestamp = Date.now();

    // Act
    const metrics = extractEmfMetrics(emf({}, { Timestamp: timestamp }));

    // Assess
    expect(metrics).toHaveLength(4);
    expect(metrics).toContainEqual({
      timestamp,
      namespace: 'Todos',
      metricName: 'ResponseBytes',
      dimensions: { service: 'todos', route: 'GET /todos' },
      unit: 'Bytes',
      storageResolution: 60,
      values: [100, 250],
      counts: [2, 1],
    });
    expect(metrics).toContainEqual(
      expect.objectContaining({
        metricName: 'Latency',
        dimensions: { service: 'todos' },
        values: [12.5],
        counts: [1],
        storageResolution: 1,
      }),
    );
  });

  it.each([
    ['a line that is not JSON', 'START RequestId: 1 Version: $LATEST'],
    ['a dimension missing from the document', emf({ route: undefined })],
    ['a metric value that is not a number', emf({ Latency: 'fast' })],
    ['a timestamp older than two weeks', emf({}, { Timestamp: Date.now() - 15 * 24 * 3600 * 1000 })],
    ['a line with a prefix before the document', `2026-01-01T00:00:00.000Z\tid\tINFO\t${emf()}`],
  ])('extracts nothing from %s', (_case, line) => {
    // Act and assess
    expect(extractEmfMetrics(line)).toEqual([]);
  });
});

describe('CloudWatch Logs sink', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'logs-'));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps each environment stream with Lambda lines from platform events and extracts EMF into the store', async () => {
    // Prepare
    const metrics = new MetricStore(path.join(dir, 'metrics'));
    const printed: string[] = [];
    const sink = new LogSink({
      functionName: 'todos',
      timeoutSec: 3,
      directory: path.join(dir, 'logs'),
      metrics,
      print: (line) => printed.push(line),
    });
    const time = new Date();
    const requestId = 'c6af9ac6-7b61-11e6-9a41-93e812345678';

    // Act
    sink.onPlatformEvent('env-1', {
      time: time.toISOString(),
      type: 'platform.start',
      record: { requestId, version: '$LATEST' },
    });
    sink.onLog({ environmentId: 'env-1', stream: 'function', line: emf(), time });
    sink.onLog({
      environmentId: 'env-1',
      stream: 'extension',
      source: 'telemetry-extension',
      line: 'flushed 3 spans',
      time,
    });
    sink.onPlatformEvent('env-1', {
      time: time.toISOString(),
      type: 'platform.report',
      record: {
        requestId,
        status: 'timeout',
        metrics: {
          durationMs: 3000.4,
          billedDurationMs: 3001,
          memorySizeMB: 128,
          maxMemoryUsedMB: 70,
          initDurationMs: 180.25,
        },
        tracing: {
          type: 'X-Amzn-Trace-Id',
          spanId: '53995c3f42cd8ad8',
          value: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
        },
      },
    });
    await sink.flush();

    // Assess
    const stream = sink.streamName('env-1');
    expect(stream).toMatch(/^\d{4}\/\d{2}\/\d{2}\/\[\$LATEST\][0-9a-f]{32}$/);
    const file = await readFile(path.join(dir, 'logs', 'todos', stream), 'utf8');
    expect(file).toContain(`START RequestId: ${requestId} Version: $LATEST`);
    expect(file).toContain(`END RequestId: ${requestId}`);
    expect(file).toContain(
      `REPORT RequestId: ${requestId}\tDuration: 3000.40 ms\tBilled Duration: 3001 ms\tMemory Size: 128 MB\tMax Memory Used: 70 MB\tInit Duration: 180.25 ms\tStatus: timeout\t\nXRAY TraceId: 1-5759e988-bd862e3fe1be46a994272793\tSegmentId: 53995c3f42cd8ad8\tSampled: true`,
    );
    expect(printed.some((line) => line.includes('telemetry-extension] flushed 3 spans'))).toBe(true);
    const stored = await metrics.query({
      namespace: 'Todos',
      metricName: 'ResponseBytes',
      dimensions: { route: 'GET /todos' },
    });
    expect(stored).toEqual([
      expect.objectContaining({
        values: [100, 250],
        counts: [2, 1],
        logGroup: '/aws/lambda/todos',
        logStream: stream,
      }),
    ]);
  });
});
