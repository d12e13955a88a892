import { describe, expect, it } from 'vitest';
import { spanToSegment } from '../../extension/src/exporters/xray-segments';
import { FaultSpanSynthesizer, faultSpanOf } from '../../extension/src/fault-spans';
import { SpanKind, StatusCode, type TelemetrySpan } from '../../extension/src/otlp/span';
import type { TelemetryEvent } from '../../extension/src/telemetry-api';

const CONTEXT = { functionName: 'todos', functionVersion: '$LATEST', region: 'eu-west-1' };
const ROOT = '1-6747a1b2-0123456789abcdef01234567';
const PARENT = '9a9197af755a6419';
const TRACING = { spanId: PARENT, type: 'X-Amzn-Trace-Id', value: `Root=${ROOT};Parent=${PARENT};Sampled=1` };

function invocation(
  requestId: string,
  status: string,
  options: { tracing?: object | undefined; errorType?: string; initDurationMs?: number } = {},
): TelemetryEvent[] {
  const tracing = 'tracing' in options ? options.tracing : TRACING;
  const traced = tracing ? { tracing } : {};
  const errorType = options.errorType ? { errorType: options.errorType } : {};
  return [
    { time: '2026-11-27T21:00:00.000Z', type: 'platform.start', record: { requestId, ...traced } },
    {
      time: '2026-11-27T21:00:03.010Z',
      type: 'platform.runtimeDone',
      record: {
        requestId,
        status,
        ...errorType,
        metrics: { durationMs: 3000.5, producedBytes: 0 },
        ...traced,
      },
    },
    {
      time: '2026-11-27T21:00:03.020Z',
      type: 'platform.report',
      record: {
        requestId,
        status,
        ...errorType,
        metrics: {
          durationMs: 3003.25,
          billedDurationMs: 3004,
          memorySizeMB: 128,
          maxMemoryUsedMB: 70,
          ...(options.initDurationMs === undefined ? {} : { initDurationMs: options.initDurationMs }),
        },
        ...traced,
      },
    },
  ];
}

function handlerSpan(overrides: Partial<TelemetrySpan> = {}): TelemetrySpan {
  return {
    traceId: '6747a1b20123456789abcdef01234567',
    spanId: 'aaaaaaaaaaaaaaaa',
    parentSpanId: PARENT,
    traceState: undefined,
    name: 'GET /todos',
    kind: SpanKind.SERVER,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: {},
    events: [],
    links: [],
    status: { code: StatusCode.ERROR, message: 'boom' },
    resource: {},
    scope: { name: 'test', version: undefined },
    sizeBytes: 100,
    ...overrides,
  };
}

describe('fault spans from Telemetry API records', () => {
  it('builds a SERVER span under the function segment for a timed-out invocation, timed from platform.start and runtimeDone', () => {
    // Prepare
    const [start, runtimeDone, report] = invocation('req-1', 'timeout', { errorType: 'Sandbox.Timedout' });

    // Act
    const span = faultSpanOf({ start: start!, runtimeDone: runtimeDone!, report: report! }, CONTEXT);

    // Assess
    expect(span).toMatchObject({
      traceId: '6747a1b20123456789abcdef01234567',
      parentSpanId: PARENT,
      name: 'todos',
      kind: SpanKind.SERVER,
      status: { code: StatusCode.ERROR, message: 'Task timed out after 3.00 seconds' },
      attributes: {
        'faas.invocation_id': 'req-1',
        'error.type': 'Sandbox.Timedout',
        'aws.lambda.invocation.status': 'timeout',
        'aws.lambda.synthesized': true,
        'faas.coldstart': false,
      },
    });
    expect(span!.startTimeUnixNano).toBe(BigInt(Date.parse('2026-11-27T21:00:00.000Z')) * 1_000_000n);
    expect(span!.endTimeUnixNano - span!.startTimeUnixNano).toBe(3_000_500_000n);
    expect(span!.spanId).toMatch(/^[0-9a-f]{16}$/);
  });

  it('translates to an X-Ray subsegment of the function segment marked as a fault with the cause', () => {
    // Prepare
    const [start, runtimeDone, report] = invocation('req-2', 'failure', { errorType: 'Runtime.ExitError' });
    const span = faultSpanOf({ start: start!, runtimeDone: runtimeDone!, report: report! }, CONTEXT)!;

    // Act
    const segment = spanToSegment(span, { region: 'eu-west-1' });

    // Assess
    expect(segment).toMatchObject({
      type: 'subsegment',
      parent_id: PARENT,
      trace_id: ROOT,
      name: 'todos',
      fault: true,
      cause: { exceptions: [{ type: 'Runtime.ExitError', message: 'Runtime failed (Runtime.ExitError)' }] },
    });
    expect(segment.error).toBeUndefined();
  });

  it('derives the same span id from the same request id, and different ones from others', () => {
    // Prepare
    const first = invocation('req-3', 'error');
    const again = invocation('req-3', 'error');
    const other = invocation('req-4', 'error');

    // Act
    const ids = [first, again, other].map(
      ([start, runtimeDone, report]) =>
        faultSpanOf({ start: start!, runtimeDone: runtimeDone!, report: report! }, CONTEXT)!.spanId,
    );

    // Assess
    expect(ids[0]).toBe(ids[1]);
    expect(ids[2]).not.toBe(ids[0]);
  });

  it('falls back to the report alone: start from its time minus its duration, cold start from initDurationMs', () => {
    // Prepare
    const report = invocation('req-5', 'failure', { initDurationMs: 250 })[2]!;

    // Act
    const span = faultSpanOf({ report }, CONTEXT)!;

    // Assess
    const end = BigInt(Date.parse('2026-11-27T21:00:03.020Z')) * 1_000_000n;
    expect(span.endTimeUnixNano).toBe(end);
    expect(span.endTimeUnixNano - span.startTimeUnixNano).toBe(3_003_250_000n);
    expect(span.attributes['faas.coldstart']).toBe(true);
  });

  it.each([
    ['a successful invocation', 'success', TRACING],
    ['an unsampled invocation', 'timeout', { ...TRACING, value: `Root=${ROOT};Parent=${PARENT};Sampled=0` }],
    ['an untraced invocation', 'timeout', undefined],
  ])('makes no span for %s', (_what, status, tracing) => {
    // Prepare
    const synthesizer = new FaultSpanSynthesizer(CONTEXT);

    // Act
    const spans = synthesizer.observePlatform(invocation('req-6', status, { tracing }));

    // Assess
    expect(spans).toEqual([]);
  });

  it('yields one span per failed invocation once its report arrives, across separate batches', () => {
    // Prepare
    const synthesizer = new FaultSpanSynthesizer(CONTEXT);
    const [start, runtimeDone, report] = invocation('req-7', 'timeout');

    // Act
    const beforeReport = synthesizer.observePlatform([start!, runtimeDone!]);
    const atReport = synthesizer.observePlatform([report!]);

    // Assess
    expect(beforeReport).toEqual([]);
    expect(atReport).toHaveLength(1);
    expect(atReport[0]!.attributes['faas.invocation_id']).toBe('req-7');
    expect(atReport[0]!.startTimeUnixNano).toBe(BigInt(Date.parse(start!.time)) * 1_000_000n);
  });

  it('makes no span when the handler exported its own entry span for the invocation', () => {
    // Prepare
    const synthesizer = new FaultSpanSynthesizer(CONTEXT);
    synthesizer.observeSpans([handlerSpan()]);

    // Act
    const spans = synthesizer.observePlatform(invocation('req-8', 'error', { errorType: 'TypeError' }));

    // Assess
    expect(spans).toEqual([]);
  });

  it('still makes the span when only child spans of the invocation or spans of another invocation arrived', () => {
    // Prepare
    const synthesizer = new FaultSpanSynthesizer(CONTEXT);
    synthesizer.observeSpans([
      handlerSpan({ kind: SpanKind.CLIENT, parentSpanId: 'bbbbbbbbbbbbbbbb' }),
      handlerSpan({ parentSpanId: 'cccccccccccccccc' }),
    ]);

    // Act
    const spans = synthesizer.observePlatform(invocation('req-9', 'timeout'));

    // Assess
    expect(spans).toHaveLength(1);
  });
});
