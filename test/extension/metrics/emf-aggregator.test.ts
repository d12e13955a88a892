import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EmfAggregator } from '../../../extension/src/metrics/emf-aggregator';
import {
  EMF_LIMITS,
  isAcceptedMetricNumber,
  parseEmfDocument,
} from '../../../extension/src/metrics/emf-document';
import { cloudWatchStatistics } from './cloudwatch-statistics';

// A minute boundary, so that generated offsets straddle it.
const T0 = 1_764_000_000_000 - (1_764_000_000_000 % 60_000);

interface Directive {
  readonly namespace: string;
  readonly dimensionSets: string[][];
  readonly metrics: { name: string; unit?: string; resolution?: 1 | 60 }[];
}

/** The `_aws` block documents of one kind share: one or two directives. */
interface Template {
  readonly directives: Directive[];
}

function requestDocument(
  index: number,
  timestamp: number,
  route: string,
  size: number,
  latency: number,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: 'TodoApi',
          Dimensions: [
            ['service', 'route'],
            ['service', 'route', 'statusClass'],
          ],
          Metrics: [
            { Name: 'ResponsePayloadSize', Unit: 'Bytes' },
            { Name: 'Latency', Unit: 'Milliseconds' },
          ],
        },
      ],
    },
    service: 'todos',
    route: route,
    statusClass: '2xx',
    ResponsePayloadSize: size,
    Latency: latency,
    traceId: `1-5bef4de7-${index.toString(16).padStart(24, '0')}`,
    requestId: `req-${index}`,
  });
}

const metricValue = fc.oneof(
  fc.constantFrom(0, 1, 2, 5, 100, 1.5, -3),
  fc.integer({ min: -1_000_000, max: 1_000_000 }),
  fc.double({ min: -1e12, max: 1e12, noNaN: true, noDefaultInfinity: true }).filter(isAcceptedMetricNumber),
);

const directiveArbitrary: fc.Arbitrary<Directive> = fc.record({
  namespace: fc.constantFrom('TodoApi', 'Other'),
  dimensionSets: fc.array(fc.subarray(['service', 'route', 'statusClass', 'region']), {
    minLength: 1,
    maxLength: 3,
  }),
  metrics: fc.uniqueArray(
    fc.record(
      {
        name: fc.constantFrom('Size', 'Latency', 'Hits'),
        unit: fc.constantFrom('Bytes', 'Milliseconds', 'Count', 'None'),
        resolution: fc.constantFrom<1 | 60>(1, 60),
      },
      { requiredKeys: ['name'] },
    ),
    { minLength: 1, maxLength: 3, selector: (metric) => metric.name },
  ),
});

// Two directives may name the same metric (in another namespace, unit or resolution): the
// document then holds one value array that both publish.
const templateArbitrary: fc.Arbitrary<Template> = fc.record({
  directives: fc.array(directiveArbitrary, { minLength: 1, maxLength: 2 }),
});

const documentSeed = fc.record({
  template: fc.nat(),
  offset: fc.oneof(
    fc.integer({ min: -150_000, max: 150_000 }),
    fc.constantFrom(-60_001, -60_000, -1, 0, 999, 1_000, 59_999, 60_000),
  ),
  dimensionValues: fc.record({
    service: fc.constantFrom('todos', 'admin'),
    route: fc.constantFrom('GET /todos', 'POST /todos', '$default'),
    statusClass: fc.constantFrom('2xx', '4xx'),
    region: fc.constantFrom('eu-west-1', 'us-east-1'),
  }),
  values: fc.oneof(
    { weight: 3, arbitrary: fc.array(metricValue, { minLength: 1, maxLength: 1 }) },
    { weight: 1, arbitrary: fc.array(metricValue, { minLength: 1, maxLength: 100 }) },
  ),
  scalar: fc.boolean(),
  traceId: fc.stringMatching(/^1-[0-9a-f]{8}-[0-9a-f]{24}$/),
  extra: fc.option(fc.constantFrom('cold', 'warm'), { nil: undefined }),
});

type DocumentSeed = typeof documentSeed extends fc.Arbitrary<infer T> ? T : never;

function buildDocument(template: Template, seed: DocumentSeed, index: number): string {
  const root: Record<string, unknown> = {
    _aws: {
      Timestamp: T0 + seed.offset,
      CloudWatchMetrics: template.directives.map((directive) => ({
        Namespace: directive.namespace,
        Dimensions: directive.dimensionSets,
        Metrics: directive.metrics.map((metric) => ({
          Name: metric.name,
          ...(metric.unit === undefined ? {} : { Unit: metric.unit }),
          ...(metric.resolution === undefined ? {} : { StorageResolution: metric.resolution }),
        })),
      })),
    },
    ...seed.dimensionValues,
    traceId: seed.traceId,
    requestId: `request-${index}`,
  };
  if (seed.extra !== undefined) root.start = seed.extra;
  const names = [
    ...new Set(template.directives.flatMap((directive) => directive.metrics.map((metric) => metric.name))),
  ];
  names.forEach((name, position) => {
    // Each metric gets a rotation of the values, so metrics of one document differ.
    const values = seed.values.map((_, i) => seed.values[(i + position) % seed.values.length]!);
    root[name] = seed.scalar && values.length === 1 ? values[0] : values;
  });
  return JSON.stringify(root);
}

describe('EmfAggregator', () => {
  it('gives exactly the CloudWatch statistics of the unbatched documents for random documents', () => {
    fc.assert(
      fc.property(
        fc.array(templateArbitrary, { minLength: 1, maxLength: 3 }),
        fc.array(documentSeed, { minLength: 1, maxLength: 300 }),
        (templates, seeds) => {
          // Prepare
          const lines = seeds.map((seed, index) =>
            buildDocument(templates[seed.template % templates.length]!, seed, index),
          );
          const aggregator = new EmfAggregator({
            now: () => T0,
            maxDocuments: 1_000,
            maxBytes: 64 * 1024 * 1024,
          });

          // Act
          const results = lines.map((line) => aggregator.add(line));
          const merged = aggregator.drain();

          // Assess
          expect(results.every((result) => result.accepted)).toBe(true);
          expect(cloudWatchStatistics(merged)).toEqual(cloudWatchStatistics(lines));
          expect(merged.length).toBeLessThanOrEqual(lines.length);
          for (const document of merged) {
            expect(parseEmfDocument(document, { now: T0 }).ok).toBe(true);
          }
          const mergedText = merged.join('\n');
          for (const seed of seeds) expect(mergedText).toContain(seed.traceId);
        },
      ),
      { numRuns: 150 },
    );
  });

  it('gives exactly the same statistics when most documents fall into one group of well over 100 values', () => {
    fc.assert(
      fc.property(
        templateArbitrary,
        fc.array(documentSeed, { minLength: 101, maxLength: 300 }),
        fc.integer({ min: -2_000, max: 2_000 }),
        (template, seeds, around) => {
          // Prepare: one dimension combination, timestamps within 4 s of a minute boundary.
          const dense = seeds.map((seed, index) =>
            buildDocument(
              template,
              { ...seed, offset: around + (index % 4) * 500, dimensionValues: seeds[0]!.dimensionValues },
              index,
            ),
          );
          const aggregator = new EmfAggregator({
            now: () => T0,
            maxDocuments: 1_000,
            maxBytes: 64 * 1024 * 1024,
          });

          // Act
          for (const line of dense) aggregator.add(line);
          const merged = aggregator.drain();

          // Assess
          expect(cloudWatchStatistics(merged)).toEqual(cloudWatchStatistics(dense));
          for (const document of merged) expect(parseEmfDocument(document, { now: T0 }).ok).toBe(true);
        },
      ),
      { numRuns: 30 },
    );
  });

  it('splits a group of 250 single-value documents into documents of 100, 100 and 50 values', () => {
    // Prepare
    const aggregator = new EmfAggregator({ now: () => T0 });
    for (let i = 0; i < 250; i++)
      aggregator.add(requestDocument(i, T0 + (i % 60) * 1_000, 'GET /todos', i, 7));

    // Act
    const merged = aggregator.drain().map((line) => JSON.parse(line) as Record<string, unknown>);

    // Assess
    expect(merged.map((document) => (document.ResponsePayloadSize as number[]).length)).toEqual([
      100, 100, 50,
    ]);
    expect(merged.map((document) => (document.traceId as string[]).length)).toEqual([100, 100, 50]);
    expect((merged[2]!.requestId as string[])[49]).toBe('req-249');
    expect(merged[0]!.route).toBe('GET /todos');
  });

  it('keeps documents of different minutes, dimension values or units apart', () => {
    // Prepare
    const aggregator = new EmfAggregator({ now: () => T0 });
    aggregator.add(requestDocument(1, T0 + 59_999, 'GET /todos', 10, 1));
    aggregator.add(requestDocument(2, T0 + 60_000, 'GET /todos', 20, 1));
    aggregator.add(requestDocument(3, T0 + 60_001, 'POST /todos', 30, 1));
    aggregator.add(requestDocument(4, T0 + 60_002, 'POST /todos', 40, 1).replace('"Bytes"', '"Kilobytes"'));

    // Act
    const merged = aggregator.drain();

    // Assess
    expect(merged).toHaveLength(4);
  });

  it('merges high-resolution documents per second, not per minute', () => {
    // Prepare
    const highResolution = (timestamp: number, value: number) =>
      JSON.stringify({
        _aws: {
          Timestamp: timestamp,
          CloudWatchMetrics: [
            { Namespace: 'App', Dimensions: [[]], Metrics: [{ Name: 'Hits', StorageResolution: 1 }] },
          ],
        },
        Hits: value,
      });
    const aggregator = new EmfAggregator({ now: () => T0 });
    for (const offset of [0, 500, 999, 1_000, 1_500]) aggregator.add(highResolution(T0 + offset, offset));

    // Act
    const merged = aggregator
      .drain()
      .map((line) => JSON.parse(line) as { Hits: number[]; _aws: { Timestamp: number } });

    // Assess
    expect(merged.map((document) => [document._aws.Timestamp, document.Hits])).toEqual([
      [T0, [0, 500, 999]],
      [T0 + 1_000, [1_000, 1_500]],
    ]);
  });

  it('keeps a property that is equal in every merged document as a single value', () => {
    // Prepare
    const aggregator = new EmfAggregator({ now: () => T0 });
    const withVersion = (i: number) =>
      requestDocument(i, T0, 'GET /todos', i, 1).replace('{', '{"version":"v7",');
    aggregator.add(withVersion(1));
    aggregator.add(withVersion(2));

    // Act
    const [merged] = aggregator.drain().map((line) => JSON.parse(line) as Record<string, unknown>);

    // Assess
    expect(merged!.version).toBe('v7');
    expect(merged!.requestId).toEqual(['req-1', 'req-2']);
  });

  it('refuses the newest document when the buffer is full and counts it', () => {
    // Prepare
    const aggregator = new EmfAggregator({ now: () => T0, maxDocuments: 2 });
    aggregator.add(requestDocument(1, T0, 'GET /todos', 1, 1));
    aggregator.add(requestDocument(2, T0, 'GET /todos', 2, 1));

    // Act
    const third = aggregator.add(requestDocument(3, T0, 'GET /todos', 3, 1));

    // Assess
    expect(third).toEqual({ accepted: false, reason: 'buffer_full' });
    expect(aggregator.stats().dropped.buffer_full).toBe(1);
    expect(JSON.parse(aggregator.drain()[0]!).ResponsePayloadSize).toEqual([1, 2]);
  });

  it('refuses documents beyond the byte budget', () => {
    // Prepare
    const line = requestDocument(1, T0, 'GET /todos', 1, 1);
    const aggregator = new EmfAggregator({ now: () => T0, maxBytes: line.length * 2 + 1 });
    aggregator.add(line);
    aggregator.add(line);

    // Act
    const result = aggregator.add(line);

    // Assess
    expect(result.accepted).toBe(false);
    expect(aggregator.stats()).toMatchObject({
      accepted: 2,
      pendingDocuments: 2,
      pendingBytes: line.length * 2,
    });
  });

  it('counts invalid documents by reason and reports the validator code', () => {
    // Prepare
    const aggregator = new EmfAggregator({ now: () => T0 });

    // Act
    const notJson = aggregator.add('{"_aws":');
    const tooOld = aggregator.add(requestDocument(1, T0 - EMF_LIMITS.maxAgeMs - 1, 'GET /todos', 1, 1));

    // Assess
    expect(notJson).toMatchObject({
      accepted: false,
      reason: 'invalid',
      rejection: { code: 'invalid-json' },
    });
    expect(tooOld).toMatchObject({
      accepted: false,
      reason: 'invalid',
      rejection: { code: 'timestamp-out-of-range' },
    });
    expect(aggregator.stats().dropped).toEqual({ invalid: 2, buffer_full: 0 });
  });

  it('splits a merged document that would exceed the size limit', () => {
    // Prepare
    const padding = 'x'.repeat(400);
    const aggregator = new EmfAggregator({ now: () => T0, maxDocumentBytes: 2_000 });
    for (let i = 0; i < 20; i++)
      aggregator.add(requestDocument(i, T0, 'GET /todos', i, 1).replace('{', `{"note":"${padding}${i}",`));

    // Act
    const merged = aggregator.drain();

    // Assess
    expect(merged.length).toBeGreaterThan(1);
    for (const line of merged) expect(Buffer.byteLength(line)).toBeLessThanOrEqual(2_000);
    expect(cloudWatchStatistics(merged)).toEqual(
      cloudWatchStatistics(Array.from({ length: 20 }, (_, i) => requestDocument(i, T0, 'GET /todos', i, 1))),
    );
  });

  it('keeps entity members out of merged arrays by merging only equal ones', () => {
    // Prepare
    const aggregator = new EmfAggregator({ now: () => T0 });
    aggregator.add(requestDocument(1, T0, 'GET /todos', 1, 1).replace('{', '{"Environment":"prod",'));
    aggregator.add(requestDocument(2, T0, 'GET /todos', 2, 1).replace('{', '{"Environment":"test",'));

    // Act
    const merged = aggregator.drain().map((line) => JSON.parse(line) as Record<string, unknown>);

    // Assess
    expect(merged.map((document) => document.Environment)).toEqual(['prod', 'test']);
  });

  it('writes fewer bytes batched than unbatched for request-like documents', () => {
    // Prepare
    const lines = Array.from({ length: 1_000 }, (_, i) =>
      requestDocument(
        i,
        T0 + (i % 60) * 1_000,
        i % 2 === 0 ? 'GET /todos' : 'POST /todos',
        100 + (i % 7),
        i % 13,
      ),
    );
    const aggregator = new EmfAggregator({ now: () => T0 });
    for (const line of lines) aggregator.add(line);

    // Act
    const merged = aggregator.drain();

    // Assess
    const bytes = (documents: string[]) =>
      documents.reduce((total, line) => total + Buffer.byteLength(line) + 1, 0);
    expect(bytes(merged)).toBeLessThan(bytes(lines));
    expect(cloudWatchStatistics(merged)).toEqual(cloudWatchStatistics(lines));
  });
});
