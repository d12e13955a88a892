import type { Attributes, SpanEvent, TelemetrySpan } from '../../extension/src/otlp/span';

/** The Lambda function segment id a trace header names as Parent in these tests. */
export const FUNCTION_SEGMENT_ID = '9a9197af755a6419';
const TRACE_ID = '5bef4de7ad49b0e87f6ef6c87fc2e700';

/** A decoded span with sensible defaults; tests override what they examine. */
export function span(
  overrides: Partial<TelemetrySpan> & { attributes?: Attributes; events?: SpanEvent[] } = {},
): TelemetrySpan {
  return {
    traceId: TRACE_ID,
    spanId: '53995c3f42cd8ad8',
    parentSpanId: FUNCTION_SEGMENT_ID,
    traceState: undefined,
    name: 'span',
    kind: 1,
    startTimeUnixNano: 1_542_409_191_123_456_789n,
    endTimeUnixNano: 1_542_409_191_223_456_789n,
    attributes: {},
    events: [],
    links: [],
    status: { code: 0, message: undefined },
    resource: { 'service.name': 'todos' },
    scope: { name: 'test', version: undefined },
    sizeBytes: 100,
    ...overrides,
  };
}
