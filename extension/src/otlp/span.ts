import type { OtlpValue } from '../../../contracts/otlp-json';

/**
 * The extension's in-memory span, decoded from OTLP (protobuf or JSON) and shared by every exporter.
 * Ids are lower-case hex; times are nanoseconds since the epoch as bigint (OTLP's fixed64).
 */
export interface TelemetrySpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Absent for a root span. */
  readonly parentSpanId: string | undefined;
  readonly traceState: string | undefined;
  readonly name: string;
  readonly kind: SpanKind;
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly events: readonly SpanEvent[];
  readonly links: readonly SpanLink[];
  readonly status: SpanStatus;
  /** Shared by every span of one resource in a request. */
  readonly resource: Attributes;
  readonly scope: InstrumentationScope;
  /** Encoded size the span took in the request; what the buffer's byte bound counts. */
  readonly sizeBytes: number;
}

/** OTLP `Span.SpanKind`. */
export const SpanKind = {
  UNSPECIFIED: 0,
  INTERNAL: 1,
  SERVER: 2,
  CLIENT: 3,
  PRODUCER: 4,
  CONSUMER: 5,
} as const;
export type SpanKind = (typeof SpanKind)[keyof typeof SpanKind];

/** OTLP `Status.StatusCode`. */
export const StatusCode = { UNSET: 0, OK: 1, ERROR: 2 } as const;
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

export interface SpanStatus {
  readonly code: StatusCode;
  readonly message: string | undefined;
}

export interface SpanEvent {
  readonly name: string;
  readonly timeUnixNano: bigint;
  readonly attributes: Attributes;
}

export interface SpanLink {
  readonly traceId: string;
  readonly spanId: string;
  readonly attributes: Attributes;
}

export interface InstrumentationScope {
  readonly name: string;
  readonly version: string | undefined;
}

/**
 * An OTLP `AnyValue` (the wire contract's value type). Integers are numbers when they fit in
 * 2^53 and bigint otherwise; bytes stay bytes; key-value lists become plain objects.
 */
export type AttributeValue = OtlpValue;

export type Attributes = Readonly<Record<string, AttributeValue>>;

/** The result of decoding one OTLP request. */
export interface DecodedTraces {
  readonly spans: TelemetrySpan[];
  /** Spans present in the request but unusable (bad ids); reported as rejected to the sender. */
  readonly invalid: number;
}
