import { describe, expect, it } from 'vitest';
import { parseEmfDocument } from '../../../extension/src/metrics/emf-document';
import { type PipelineCountersLike, selfMetricDocuments } from '../../../extension/src/metrics/self-metrics';
import { cloudWatchStatistics } from './cloudwatch-statistics';

const context = { namespace: 'LambdaTelemetry', functionName: 'todos', functionVersion: '7' };
const NOW = 1_764_000_000_000;

function counters(overrides: Partial<PipelineCountersLike> = {}): PipelineCountersLike {
  return {
    spansReceived: 0,
    spansExported: 0,
    spansDropped: { buffer_full: 0, invalid: 0 },
    metricDocumentsReceived: 0,
    metricDocumentsExported: 0,
    metricDocumentsDropped: { buffer_full: 0, invalid: 0 },
    queueDepth: 0,
    ...overrides,
  };
}

function statistic(lines: string[], metric: string, dimensions: [string, string][]): number[] | undefined {
  for (const [key, value] of cloudWatchStatistics(lines)) {
    const [, name, , , dims] = JSON.parse(key) as [string, string, string, number, [string, string][]];
    if (name === metric && JSON.stringify(dims) === JSON.stringify(dimensions)) return [...value.values];
  }
  return undefined;
}

const FN: [string, string][] = [
  ['FunctionName', 'todos'],
  ['FunctionVersion', '7'],
];

describe('selfMetricDocuments', () => {
  it('reports counts since the previous snapshot, drops by reason and in total, and queue depth', () => {
    // Prepare
    const previous = counters({
      spansReceived: 10,
      spansExported: 8,
      spansDropped: { buffer_full: 1, invalid: 0 },
    });
    const current = counters({
      spansReceived: 25,
      spansExported: 20,
      spansDropped: { buffer_full: 4, invalid: 0 },
      metricDocumentsReceived: 3,
      metricDocumentsExported: 3,
      metricDocumentsDropped: { buffer_full: 0, invalid: 2 },
      queueDepth: 5,
      metricQueueDepth: 1,
    });

    // Act
    const lines = selfMetricDocuments(
      { previous, current, exportLatenciesMs: [12, 30], timestamp: NOW },
      context,
    );

    // Assess
    for (const line of lines) expect(parseEmfDocument(line).ok).toBe(true);
    expect(statistic(lines, 'SpansReceived', FN)).toEqual([15]);
    expect(statistic(lines, 'SpansExported', FN)).toEqual([12]);
    expect(statistic(lines, 'MetricDocumentsReceived', FN)).toEqual([3]);
    expect(statistic(lines, 'ExportLatency', FN)).toEqual([12, 30]);
    expect(statistic(lines, 'SpansDropped', [...FN, ['Reason', 'buffer_full']])).toEqual([3]);
    expect(statistic(lines, 'MetricDocumentsDropped', [...FN, ['Reason', 'invalid']])).toEqual([2]);
    expect(statistic(lines, 'SpansDropped', FN)).toEqual([3]);
    expect(statistic(lines, 'MetricDocumentsDropped', FN)).toEqual([2]);
    expect(statistic(lines, 'QueueDepth', [...FN, ['Queue', 'spans']])).toEqual([5]);
    expect(statistic(lines, 'QueueDepth', [...FN, ['Queue', 'metricDocuments']])).toEqual([1]);
  });

  it('writes no drop document for reasons without new drops, and zero dropped in total', () => {
    // Act
    const lines = selfMetricDocuments(
      { previous: undefined, current: counters(), exportLatenciesMs: [], timestamp: NOW },
      context,
    );

    // Assess
    expect(lines.some((line) => line.includes('"Reason"'))).toBe(false);
    expect(statistic(lines, 'SpansReceived', FN)).toEqual([0]);
    expect(statistic(lines, 'SpansDropped', FN)).toEqual([0]);
    expect(statistic(lines, 'MetricDocumentsDropped', FN)).toEqual([0]);
    expect(statistic(lines, 'ExportLatency', FN)).toBeUndefined();
  });

  it('spreads more than 100 export latencies over documents CloudWatch accepts', () => {
    // Prepare
    const latencies = Array.from({ length: 250 }, (_, i) => i);

    // Act
    const lines = selfMetricDocuments(
      { previous: undefined, current: counters(), exportLatenciesMs: latencies, timestamp: NOW },
      context,
    );

    // Assess
    for (const line of lines) expect(parseEmfDocument(line).ok).toBe(true);
    expect(statistic(lines, 'ExportLatency', FN)).toEqual(latencies);
  });

  it('counts afresh when counters went backwards (recreated)', () => {
    // Act
    const lines = selfMetricDocuments(
      {
        previous: counters({ spansReceived: 50 }),
        current: counters({ spansReceived: 4 }),
        exportLatenciesMs: [],
        timestamp: NOW,
      },
      context,
    );

    // Assess
    expect(statistic(lines, 'SpansReceived', FN)).toEqual([4]);
  });
});
