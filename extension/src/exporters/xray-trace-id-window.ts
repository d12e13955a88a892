/**
 * Which trace ids X-Ray's segment ingestion (PutTraceSegments, and the daemon that calls it)
 * accepts. An X-Ray trace id `1-<8 hex>-<24 hex>` is the OpenTelemetry trace id with its first
 * 32 bits read as the epoch second the trace started; X-Ray refuses a segment whose trace id
 * time lies outside its window, answering `UnprocessedTraceSegments` with `ErrorCode:
 * "InvalidTraceId"` (AWS X-Ray Developer Guide, "Sending trace data to AWS X-Ray"). A stock
 * OpenTelemetry SDK draws all 128 bits at random, so nearly every one of its trace ids falls
 * outside. X-Ray's OTLP endpoint (`/v1/traces`) takes W3C ids; this rule is for segments only.
 */
import { logEvent } from '../log';
import type { TelemetrySpan } from '../otlp/span';
import type { DropReason } from '../pipeline-counters';
import type { ExportOutcome, SpanExporter } from '../span-exporter';

/**
 * X-Ray keeps trace data for 30 days and refuses trace ids whose time is older than that (the
 * OpenTelemetry collector's awsxray exporter names the same 30-day limit).
 */
const XRAY_TRACE_ID_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;
/**
 * X-Ray does not document how far ahead a trace id time may be; the collector's awsxray
 * exporter allows 5 minutes of clock skew and so does this rule.
 */
const XRAY_TRACE_ID_MAX_SKEW_SECONDS = 5 * 60;

/** The drop reason of spans withheld from X-Ray because it would refuse their trace id. */
const OUT_OF_WINDOW: DropReason = 'trace_id_out_of_window';

/** Whether X-Ray accepts a segment of `traceId` (32 hex, OpenTelemetry form) at `nowMs`. */
export function isInXRayTraceIdWindow(traceId: string, nowMs: number): boolean {
  const epoch = Number.parseInt(traceId.slice(0, 8), 16);
  if (!Number.isFinite(epoch)) return false;
  const age = Math.floor(nowMs / 1000) - epoch;
  return age <= XRAY_TRACE_ID_MAX_AGE_SECONDS && age >= -XRAY_TRACE_ID_MAX_SKEW_SECONDS;
}

/** The log line written the first time spans are withheld. */
export const OUT_OF_WINDOW_MESSAGE =
  "spans not sent to X-Ray: their trace id's first 8 hex digits are not a recent epoch second, " +
  'so PutTraceSegments would refuse them (InvalidTraceId). Configure AWSXRayIdGenerator from ' +
  "@opentelemetry/id-generator-aws-xray in the function's tracer, or set " +
  "TELEMETRY_TRACES_EXPORTER=otlp to export to an OTLP backend or X-Ray's OTLP endpoint. " +
  'Counted as SpansDropped with Reason=trace_id_out_of_window; logged once.';

/**
 * The exporter in front of both X-Ray segment exporters (PutTraceSegments and the daemon, which
 * calls it): it passes on the spans X-Ray would take, reports the others as withheld, and logs
 * the refusal once. The extension runs one exporter per process, so this is once per process,
 * which tells the developer without repeating on every invocation.
 *
 * @example new XRayTraceIdWindow(new XRayApiExporter({ endpoint, region, credentials }))
 */
export class XRayTraceIdWindow implements SpanExporter {
  readonly name: string;
  readonly maxBatchSpans: number;
  private logged = false;

  constructor(
    private readonly segments: SpanExporter,
    private readonly now: () => number = Date.now,
    private readonly log: (message: string, fields: Record<string, unknown>) => void = (message, fields) =>
      logEvent('warn', message, fields),
  ) {
    this.name = segments.name;
    this.maxBatchSpans = segments.maxBatchSpans;
  }

  async export(spans: readonly TelemetrySpan[], signal: AbortSignal): Promise<ExportOutcome> {
    const nowMs = this.now();
    const sendable = spans.filter((span) => isInXRayTraceIdWindow(span.traceId, nowMs));
    const count = spans.length - sendable.length;
    if (count > 0 && !this.logged) {
      this.logged = true;
      const first = spans.find((span) => !isInXRayTraceIdWindow(span.traceId, nowMs));
      this.log(OUT_OF_WINDOW_MESSAGE, { reason: OUT_OF_WINDOW, traceId: first?.traceId });
    }
    const outcome = sendable.length > 0 ? await this.segments.export(sendable, signal) : { rejected: 0 };
    return count > 0 ? { ...outcome, withheld: { reason: OUT_OF_WINDOW, count } } : outcome;
  }

  shutdown(): Promise<void> {
    return this.segments.shutdown();
  }
}
