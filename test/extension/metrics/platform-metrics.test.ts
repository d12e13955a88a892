import { describe, expect, it } from 'vitest';
import { EXTENSION_METRICS } from '../../../extension/src/metric-names';
import { EmfAggregator } from '../../../extension/src/metrics/emf-aggregator';
import { parseEmfDocument } from '../../../extension/src/metrics/emf-document';
import {
  platformMetricDocuments,
  postRuntimeDurationDocument,
  type TelemetryApiEvent,
} from '../../../extension/src/metrics/platform-metrics';
import { cloudWatchStatistics } from './cloudwatch-statistics';

const context = {
  namespace: EXTENSION_METRICS.defaultNamespace,
  functionName: 'todos',
  functionVersion: '7',
};
const TIME = '2026-11-27T20:30:00.123Z';
const TRACING = {
  type: 'X-Amzn-Trace-Id',
  value: 'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
};

function parsed(lines: string[]): Record<string, unknown>[] {
  return lines.map((line) => {
    const result = parseEmfDocument(line);
    expect(result.ok).toBe(true);
    return JSON.parse(line) as Record<string, unknown>;
  });
}

function units(document: Record<string, unknown>): Record<string, string> {
  const aws = document._aws as { CloudWatchMetrics: { Metrics: { Name: string; Unit: string }[] }[] };
  return Object.fromEntries(aws.CloudWatchMetrics[0]!.Metrics.map((metric) => [metric.Name, metric.Unit]));
}

describe('platformMetricDocuments', () => {
  it('turns platform.report into duration, billed duration, memory and zero fault counts', () => {
    // Prepare
    const event: TelemetryApiEvent = {
      time: TIME,
      type: 'platform.report',
      record: {
        requestId: 'r-1',
        status: 'success',
        metrics: {
          durationMs: 12.5,
          billedDurationMs: 13,
          memorySizeMB: 128,
          maxMemoryUsedMB: 70,
          initDurationMs: 180,
        },
        tracing: TRACING,
      },
    };

    // Act
    const [document] = parsed(platformMetricDocuments(event, context));

    // Assess
    expect(document).toMatchObject({
      FunctionName: 'todos',
      FunctionVersion: '7',
      Duration: 12.5,
      BilledDuration: 13,
      MaxMemoryUsed: 70,
      Timeouts: 0,
      Crashes: 0,
      requestId: 'r-1',
      traceId: '1-5bef4de7-ad49b0e87f6ef6c87fc2e700',
    });
    expect(document!.InitDuration).toBeUndefined();
    expect(units(document!)).toEqual({
      Duration: 'Milliseconds',
      BilledDuration: 'Milliseconds',
      MaxMemoryUsed: 'Megabytes',
      Timeouts: 'Count',
      Crashes: 'Count',
    });
    expect((document!._aws as { Timestamp: number }).Timestamp).toBe(Date.parse(TIME));
  });

  it.each([
    ['timeout', 1, 0],
    ['error', 0, 1],
    ['failure', 0, 1],
  ])('counts a report with status %s as timeouts=%i crashes=%i', (status, timeouts, crashes) => {
    // Prepare
    const event = {
      time: TIME,
      type: 'platform.report',
      record: {
        requestId: 'r',
        status,
        errorType: 'Runtime.ExitError',
        metrics: { durationMs: 3000, billedDurationMs: 3000, memorySizeMB: 128, maxMemoryUsedMB: 60 },
      },
    };

    // Act
    const [document] = parsed(platformMetricDocuments(event, context));

    // Assess
    expect(document).toMatchObject({ Timeouts: timeouts, Crashes: crashes, errorType: 'Runtime.ExitError' });
  });

  it('turns platform.initReport into InitDuration', () => {
    // Prepare
    const event = {
      time: TIME,
      type: 'platform.initReport',
      record: {
        initializationType: 'on-demand',
        phase: 'init',
        status: 'success',
        metrics: { durationMs: 181.4 },
      },
    };

    // Act
    const [document] = parsed(platformMetricDocuments(event, context));

    // Assess
    expect(document).toMatchObject({ InitDuration: 181.4, initializationType: 'on-demand', phase: 'init' });
  });

  it('turns platform.runtimeDone into response latency and produced bytes', () => {
    // Prepare
    const event = {
      time: TIME,
      type: 'platform.runtimeDone',
      record: {
        requestId: 'r-2',
        status: 'success',
        metrics: { durationMs: 10, producedBytes: 321 },
        spans: [
          { name: 'responseLatency', start: TIME, durationMs: 8.25 },
          { name: 'responseDuration', start: TIME, durationMs: 0.5 },
        ],
        tracing: TRACING,
      },
    };

    // Act
    const [document] = parsed(platformMetricDocuments(event, context));

    // Assess
    expect(document).toMatchObject({ ResponseLatency: 8.25, ProducedBytes: 321, requestId: 'r-2' });
    expect(units(document!)).toEqual({ ResponseLatency: 'Milliseconds', ProducedBytes: 'Bytes' });
  });

  it('writes nothing for a runtimeDone without measurements or for other event types', () => {
    // Act
    const timedOut = platformMetricDocuments(
      { time: TIME, type: 'platform.runtimeDone', record: { requestId: 'r', status: 'timeout' } },
      context,
    );
    const start = platformMetricDocuments(
      { time: TIME, type: 'platform.start', record: { requestId: 'r' } },
      context,
    );
    const log = platformMetricDocuments({ time: TIME, type: 'function', record: 'hello' }, context);

    // Assess
    expect([timedOut, start, log]).toEqual([[], [], []]);
  });

  it('skips a measurement that is not a usable number instead of writing an invalid document', () => {
    // Act
    const lines = platformMetricDocuments(
      {
        time: TIME,
        type: 'platform.report',
        record: { requestId: 'r', status: 'success', metrics: { durationMs: 'soon', billedDurationMs: -1 } },
      },
      context,
    );

    // Assess
    const [document] = parsed(lines);
    expect(document!.Duration).toBeUndefined();
    expect(document!.BilledDuration).toBeUndefined();
    expect(document!.Timeouts).toBe(0);
  });
});

describe('postRuntimeDurationDocument', () => {
  it('files the measured post-runtime time under PostRuntimeExtensionDuration at the time the phase ended', () => {
    // Act
    const [document] = parsed(
      postRuntimeDurationDocument(
        { requestId: 'r-3', durationMs: 4.2, endedAt: 1_764_000_000_000, traceId: '1-a-b' },
        context,
      ),
    );

    // Assess
    expect(document).toMatchObject({ PostRuntimeExtensionDuration: 4.2, requestId: 'r-3', traceId: '1-a-b' });
    expect((document!._aws as { Timestamp: number }).Timestamp).toBe(1_764_000_000_000);
  });
});

describe('platform metrics through the aggregator', () => {
  it('keeps the statistics of 150 invocations, timeouts included, when merged', () => {
    // Prepare
    const lines = Array.from({ length: 150 }, (_, i) =>
      platformMetricDocuments(
        {
          time: new Date(Date.parse(TIME) + i * 700).toISOString(),
          type: 'platform.report',
          record: {
            requestId: `r-${i}`,
            status: i % 25 === 0 ? 'timeout' : 'success',
            metrics: {
              durationMs: i * 1.5,
              billedDurationMs: i * 2,
              memorySizeMB: 128,
              maxMemoryUsedMB: 60 + (i % 3),
            },
            tracing: TRACING,
          },
        },
        context,
      ),
    ).flat();
    const aggregator = new EmfAggregator({ now: () => Date.parse(TIME) });
    for (const line of lines) aggregator.add(line);

    // Act
    const merged = aggregator.drain();

    // Assess
    expect(merged.length).toBeLessThan(lines.length);
    expect(cloudWatchStatistics(merged)).toEqual(cloudWatchStatistics(lines));
    expect(merged.flatMap((line) => JSON.parse(line).requestId)).toHaveLength(150);
  });
});
