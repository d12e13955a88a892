import { describe, expect, it } from 'vitest';
import { EMF_LIMITS, parseEmfDocument } from '../../../extension/src/metrics/emf-document';

const NOW = 1_764_000_000_000;

function document(overrides: Record<string, unknown> = {}, directive: Record<string, unknown> = {}): string {
  return JSON.stringify({
    _aws: {
      Timestamp: NOW,
      CloudWatchMetrics: [
        {
          Namespace: 'TodoApi',
          Dimensions: [['service', 'route']],
          Metrics: [{ Name: 'RequestPayloadSize', Unit: 'Bytes' }],
          ...directive,
        },
      ],
    },
    service: 'todos',
    route: 'GET /todos',
    RequestPayloadSize: 42,
    traceId: '1-5bef4de7-ad49b0e87f6ef6c87fc2e700',
    ...overrides,
  });
}

function codeOf(line: string, now = NOW): string {
  const result = parseEmfDocument(line, { now });
  return result.ok ? 'ok' : result.rejection.code;
}

describe('parseEmfDocument', () => {
  it('accepts a Powertools-shaped document and extracts values and dimensions', () => {
    // Act
    const result = parseEmfDocument(document({ RequestPayloadSize: [1, 2, 2] }), { now: NOW });

    // Assess
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([...result.value.metricValues]).toEqual([['RequestPayloadSize', [1, 2, 2]]]);
    expect([...result.value.dimensionValues]).toEqual([
      ['service', 'todos'],
      ['route', 'GET /todos'],
    ]);
    expect(result.value.highResolution).toBe(false);
  });

  it('accepts 30 dimensions, 100 metrics and 100 values, the specification limits', () => {
    // Prepare
    const dimensions = Array.from({ length: 30 }, (_, i) => `d${i}`);
    const metrics = Array.from({ length: 100 }, (_, i) => ({ Name: `m${i}` }));
    const members = Object.fromEntries([
      ...dimensions.map((name) => [name, 'v']),
      ...metrics.map((metric) => [metric.Name, Array.from({ length: 100 }, (_, i) => i)]),
    ]);

    // Act
    const code = codeOf(document(members, { Dimensions: [dimensions], Metrics: metrics }));

    // Assess
    expect(code).toBe('ok');
  });

  it.each([
    ['invalid-json', '{"_aws":'],
    ['not-an-object', '[1,2]'],
    ['missing-metadata', JSON.stringify({ RequestPayloadSize: 1 })],
    ['invalid-timestamp', document({ _aws: { Timestamp: '1', CloudWatchMetrics: [] } })],
    ['invalid-timestamp', document({ _aws: { Timestamp: 1.5, CloudWatchMetrics: [] } })],
    ['no-metrics', document({ _aws: { Timestamp: NOW, CloudWatchMetrics: [] } })],
    ['invalid-namespace', document({}, { Namespace: '' })],
    ['invalid-namespace', document({}, { Namespace: 'AWS/Lambda' })],
    ['invalid-dimensions', document({}, { Dimensions: [] })],
    ['invalid-dimensions', document({}, { Dimensions: [Array.from({ length: 31 }, (_, i) => `d${i}`)] })],
    ['invalid-dimensions', document({}, { Dimensions: [['service', 'service']] })],
    ['invalid-dimension-value', document({ route: 42 })],
    ['invalid-dimension-value', document({ route: '   ' })],
    ['invalid-dimension-value', document({ route: 'caf\u00e9' })],
    ['invalid-dimension-value', document({ route: 'x'.repeat(1_025) })],
    ['invalid-dimension-value', document({ route: undefined })],
    [
      'invalid-metric-definition',
      document({}, { Metrics: [{ Name: 'RequestPayloadSize', Unit: 'Parsecs' }] }),
    ],
    [
      'invalid-metric-definition',
      document({}, { Metrics: [{ Name: 'RequestPayloadSize', StorageResolution: 5 }] }),
    ],
    [
      'duplicate-metric',
      document({}, { Metrics: [{ Name: 'RequestPayloadSize' }, { Name: 'RequestPayloadSize' }] }),
    ],
    [
      'too-many-metrics',
      document({}, { Metrics: Array.from({ length: 101 }, (_, i) => ({ Name: `m${i}` })) }),
    ],
    ['invalid-metric-value', document({ RequestPayloadSize: '42' })],
    ['invalid-metric-value', document({ RequestPayloadSize: [] })],
    ['invalid-metric-value', document({ RequestPayloadSize: { Values: [1, 2], Counts: [3, 1] } })],
    ['invalid-metric-value', document({ RequestPayloadSize: 1e200 })],
    ['invalid-metric-value', document({ RequestPayloadSize: 1e-200 })],
    ['invalid-metric-value', document({ RequestPayloadSize: undefined })],
    ['too-many-values', document({ RequestPayloadSize: Array.from({ length: 101 }, () => 1) })],
  ])('rejects with %s: %s', (code, line) => {
    // Act
    const actual = codeOf(line);

    // Assess
    expect(actual).toBe(code);
  });

  it('rejects timestamps CloudWatch would refuse only when a clock is given', () => {
    // Prepare
    const old = document({ _aws: undefined }).replace(
      '{',
      `{"_aws":{"Timestamp":${NOW - EMF_LIMITS.maxAgeMs - 1},"CloudWatchMetrics":[{"Namespace":"A","Dimensions":[[]],"Metrics":[{"Name":"RequestPayloadSize"}]}]},`,
    );

    // Act
    const withClock = codeOf(old);
    const withoutClock = parseEmfDocument(old).ok;

    // Assess
    expect(withClock).toBe('timestamp-out-of-range');
    expect(withoutClock).toBe(true);
  });

  it('rejects a document larger than the log event limit', () => {
    // Act
    const code = codeOf(document({ padding: 'x'.repeat(EMF_LIMITS.maxDocumentBytes) }));

    // Assess
    expect(code).toBe('too-large');
  });

  it('marks a document with a StorageResolution 1 metric as high resolution', () => {
    // Act
    const result = parseEmfDocument(
      document({}, { Metrics: [{ Name: 'RequestPayloadSize', StorageResolution: 1 }] }),
    );

    // Assess
    expect(result.ok && result.value.highResolution).toBe(true);
  });
});
