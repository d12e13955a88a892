/**
 * Synthesized fault spans: an invocation that timed out or crashed never exports the handler's
 * span (the runtime was stopped before it could send), so the trace would show the Lambda
 * segments and nothing of the function's own work. From the Telemetry API records the extension
 * builds one SERVER span for such an invocation, marked as an error (X-Ray: `fault`), under the
 * `AWS::Lambda::Function` segment named in the invocation's trace header.
 *
 * Duplicates: the span is made when `platform.report` arrives with status `timeout`, `failure` or
 * `error` and no entry span of that invocation (same trace id, parent = the header's `Parent`)
 * has been received. Lambda emits `platform.report` after the invoke phase ends, which is after
 * the extension's own wait for the invocation's spans, so a handler that caught its error and
 * sent its span is already known by then. A span that arrives later still (sent after the
 * deadline by a handler that was killed mid-send) can leave both in the trace; that is the
 * price of not holding every failed invocation's record for an unbounded time.
 */

import { isSampled, parseLambdaTraceHeader } from '../../contracts/lambda-trace-header';
import { type Attributes, SpanKind, StatusCode, type TelemetrySpan } from './otlp/span';
import type { TelemetryEvent } from './telemetry-api';

/** The function the synthesized spans describe. */
export interface FaultSpanContext {
  readonly functionName: string;
  readonly functionVersion: string;
  /** `cloud.region` on the span's resource. */
  readonly region: string;
}

/** The Telemetry API records of one invocation that a fault span is built from. */
export interface InvocationRecords {
  /** `platform.start`, when it was received. */
  readonly start?: TelemetryEvent;
  /** `platform.runtimeDone`, when it was received (absent when Init failed inside the invoke). */
  readonly runtimeDone?: TelemetryEvent;
  readonly report: TelemetryEvent;
}

/** `platform.runtimeDone` and `platform.report` statuses that mean the function's work failed. */
const FAULT_STATUSES: ReadonlySet<string> = new Set(['timeout', 'failure', 'error']);

/** Scope name of synthesized spans, so a backend can tell them from the handler's own. */
const FAULT_SPAN_SCOPE = 'telemetry-extension/fault-spans';

interface TraceContext {
  readonly traceId: string;
  readonly parentId: string | undefined;
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The trace context of a record's `tracing` (`{spanId?, type, value}`): the header's Root as a
 * 32-hex trace id and its Parent (or the record's `spanId`, the function segment) as parent.
 * `undefined` when the invocation is not traced or not sampled (`Sampled=0` records nothing).
 */
function sampledTraceContext(tracing: unknown): TraceContext | undefined {
  if (!isObject(tracing) || typeof tracing.value !== 'string') return undefined;
  const header = parseLambdaTraceHeader(tracing.value);
  const { traceId, parentId } = header;
  if (!traceId || !isSampled(header)) return undefined;
  if (!parentId && typeof tracing.spanId === 'string' && /^[0-9a-fA-F]{16}$/.test(tracing.spanId)) {
    return { traceId, parentId: tracing.spanId.toLowerCase() };
  }
  return { traceId, parentId };
}

// FNV-1a, 64 bit: the span id is derived from the request id, so a record delivered twice
// (the Telemetry API retries a batch the listener did not acknowledge) yields the same id and
// X-Ray keeps one subsegment; node:crypto stays unloaded for it.
function spanIdOf(requestId: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(requestId, 'utf8')) {
    hash ^= BigInt(byte);
    hash = (hash * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  // An all-zero span id is invalid in OpenTelemetry and X-Ray.
  return hash === 0n ? '0000000000000001' : hash.toString(16).padStart(16, '0');
}

function epochMs(time: string | undefined): number | undefined {
  if (time === undefined) return undefined;
  const ms = Date.parse(time);
  return Number.isFinite(ms) ? ms : undefined;
}

function durationOf(event: TelemetryEvent | undefined): number | undefined {
  const record = event?.record;
  if (!isObject(record) || !isObject(record.metrics)) return undefined;
  const value = record.metrics.durationMs;
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

function nanos(ms: number): bigint {
  // Telemetry API times have millisecond precision; durations carry up to three decimals.
  return BigInt(Math.round(ms * 1000)) * 1000n;
}

function describeFailure(
  status: string,
  errorType: string | undefined,
  durationMs: number | undefined,
): string {
  if (status === 'timeout') {
    return durationMs === undefined
      ? 'Task timed out'
      : `Task timed out after ${(durationMs / 1000).toFixed(2)} seconds`;
  }
  if (status === 'failure') return `Runtime failed${errorType ? ` (${errorType})` : ''}`;
  return `Function error${errorType ? ` (${errorType})` : ''}`;
}

/**
 * The fault span of one failed invocation, or `undefined` when the report's status is
 * `success`, the invocation was not sampled, or the records carry no request id.
 *
 * Times: start at `platform.start` (else the end minus the duration); duration from
 * `platform.runtimeDone` (the runtime's work), else from `platform.report`.
 *
 * @example
 * const span = faultSpanOf({ start, runtimeDone, report }, { functionName: 'todos', functionVersion: '$LATEST', region: 'eu-west-1' });
 */
export function faultSpanOf(
  records: InvocationRecords,
  context: FaultSpanContext,
): TelemetrySpan | undefined {
  const report = records.report.record;
  if (!isObject(report) || typeof report.requestId !== 'string') return undefined;
  const done = isObject(records.runtimeDone?.record) ? (records.runtimeDone.record as Json) : undefined;
  const status =
    typeof done?.status === 'string' && FAULT_STATUSES.has(done.status) ? done.status : report.status;
  if (typeof status !== 'string' || !FAULT_STATUSES.has(status)) return undefined;
  const trace =
    sampledTraceContext(report.tracing) ??
    sampledTraceContext(done?.tracing) ??
    sampledTraceContext(isObject(records.start?.record) ? records.start.record.tracing : undefined);
  if (!trace) return undefined;

  const errorType =
    (typeof done?.errorType === 'string' ? done.errorType : undefined) ??
    (typeof report.errorType === 'string' ? report.errorType : undefined);
  const durationMs = durationOf(records.runtimeDone) ?? durationOf(records.report);
  const startMs = epochMs(records.start?.time);
  const endMs = epochMs(records.runtimeDone?.time) ?? epochMs(records.report.time);
  const start = startMs ?? (endMs !== undefined ? endMs - (durationMs ?? 0) : undefined);
  if (start === undefined) return undefined;
  const startNano = nanos(start);
  const endNano =
    durationMs !== undefined ? startNano + nanos(durationMs) : nanos(Math.max(start, endMs ?? start));
  const message = describeFailure(status, errorType, durationMs);
  const coldStart = isObject(report.metrics) && typeof report.metrics.initDurationMs === 'number';

  const attributes: Attributes = {
    'faas.invocation_id': report.requestId,
    'faas.name': context.functionName,
    'faas.version': context.functionVersion,
    'faas.coldstart': coldStart,
    'error.type': errorType ?? status,
    'aws.lambda.invocation.status': status,
    'aws.lambda.synthesized': true,
  };
  const spanId = spanIdOf(report.requestId);
  return {
    traceId: trace.traceId,
    spanId,
    parentSpanId: trace.parentId,
    traceState: undefined,
    name: context.functionName,
    kind: SpanKind.SERVER,
    startTimeUnixNano: startNano,
    endTimeUnixNano: endNano,
    attributes,
    events: [
      {
        name: 'exception',
        timeUnixNano: endNano,
        attributes: { 'exception.type': errorType ?? status, 'exception.message': message },
      },
    ],
    links: [],
    status: { code: StatusCode.ERROR, message },
    resource: {
      'service.name': context.functionName,
      'cloud.provider': 'aws',
      'cloud.platform': 'aws_lambda',
      'cloud.region': context.region,
      'faas.name': context.functionName,
      'faas.version': context.functionVersion,
    },
    scope: { name: FAULT_SPAN_SCOPE, version: undefined },
    // What the buffer's byte bound counts: about the size of its OTLP/JSON encoding.
    sizeBytes: 600,
  };
}

// Records kept while waiting for their invocation's report. One environment runs one invocation
// at a time, so a few cover reordering between Telemetry API batches.
const MAX_PENDING_INVOCATIONS = 16;
// Entry spans remembered for the duplicate check: several reports can trail their spans when the
// Telemetry API batches, and 256 ids of 50 bytes stay under 16 kB.
const MAX_SEEN_ENTRIES = 256;

/**
 * Joins `platform.start`, `platform.runtimeDone` and `platform.report` per request id with the
 * entry spans received, and yields a fault span for each failed invocation whose handler span
 * never came. No I/O and no timers: the caller feeds it and adds what it returns to the buffer.
 */
export class FaultSpanSynthesizer {
  private readonly pending = new Map<string, { start?: TelemetryEvent; runtimeDone?: TelemetryEvent }>();
  private readonly seenEntries = new Set<string>();

  constructor(private readonly context: FaultSpanContext) {}

  /** Notes the spans the receiver accepted: an entry span means the handler reported for itself. */
  observeSpans(spans: readonly TelemetrySpan[]): void {
    for (const span of spans) {
      // Only spans under the function segment (or roots) are entry spans; children do not say
      // whether the handler's own span was sent.
      if (span.kind !== SpanKind.SERVER && span.parentSpanId !== undefined) continue;
      this.remember(entryKey(span.traceId, span.parentSpanId));
    }
  }

  /** Feeds Telemetry API events; returns the fault spans they complete (usually none). */
  observePlatform(events: readonly TelemetryEvent[]): TelemetrySpan[] {
    const spans: TelemetrySpan[] = [];
    for (const event of events) {
      const record = event.record;
      if (!isObject(record) || typeof record.requestId !== 'string') continue;
      const requestId = record.requestId;
      if (event.type === 'platform.start' || event.type === 'platform.runtimeDone') {
        const entry = this.pending.get(requestId) ?? {};
        this.pending.delete(requestId);
        this.pending.set(
          requestId,
          event.type === 'platform.start' ? { ...entry, start: event } : { ...entry, runtimeDone: event },
        );
        if (this.pending.size > MAX_PENDING_INVOCATIONS)
          this.pending.delete(this.pending.keys().next().value!);
        continue;
      }
      if (event.type !== 'platform.report') continue;
      const entry = this.pending.get(requestId);
      this.pending.delete(requestId);
      const span = faultSpanOf({ ...entry, report: event }, this.context);
      if (!span || this.seenEntries.has(entryKey(span.traceId, span.parentSpanId))) continue;
      spans.push(span);
    }
    return spans;
  }

  private remember(key: string): void {
    this.seenEntries.delete(key);
    this.seenEntries.add(key);
    if (this.seenEntries.size > MAX_SEEN_ENTRIES)
      this.seenEntries.delete(this.seenEntries.values().next().value!);
  }
}

function entryKey(traceId: string, parentId: string | undefined): string {
  return `${traceId}/${parentId ?? ''}`;
}
