/**
 * Validation of X-Ray segment documents as the service applies it on ingestion, shared by the
 * UDP daemon and the `PutTraceSegments` endpoint.
 */
import { isSegmentId, isTraceId } from './trace-header';
import type { SegmentDocument } from './trace-store';

/** X-Ray's limit for one segment document. */
const MAX_SEGMENT_DOCUMENT_BYTES = 64 * 1024;
/** X-Ray's limit for a segment name. */
const MAX_NAME_LENGTH = 200;
/**
 * The trace id's time part (`1-<8 hex epoch seconds>-…`) must be recent: X-Ray keeps traces for
 * 30 days and refuses ids older than that. How far ahead it tolerates is not documented; 5
 * minutes is the clock skew the OpenTelemetry collector's awsxray exporter allows. The
 * extension applies the same window on its side (`extension/src/exporters/xray-trace-id-window.ts`);
 * this copy is the emulator's own reading, so the two are checked against each other.
 */
const TRACE_ID_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;
const TRACE_ID_MAX_SKEW_SECONDS = 5 * 60;

export type SegmentParseResult =
  | { ok: true; document: SegmentDocument }
  | { ok: false; id?: string; errorCode: string; message: string };

/**
 * Parses and validates one document (a full segment, or a subsegment sent on its own) as X-Ray
 * receives it at `nowMs`.
 */
export function parseSegmentDocument(text: string, nowMs: number = Date.now()): SegmentParseResult {
  if (Buffer.byteLength(text) > MAX_SEGMENT_DOCUMENT_BYTES) {
    return {
      ok: false,
      errorCode: 'DocumentTooLarge',
      message: `Segment document exceeds ${MAX_SEGMENT_DOCUMENT_BYTES} bytes`,
    };
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, errorCode: 'InvalidJson', message: 'Segment document is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, errorCode: 'InvalidSegment', message: 'Segment document must be a JSON object' };
  }
  const document = value as Record<string, unknown>;
  const id = typeof document.id === 'string' ? document.id : undefined;
  const invalid = (message: string): SegmentParseResult => ({
    ok: false,
    ...(id ? { id } : {}),
    errorCode: 'InvalidSegment',
    message,
  });
  if (!isSegmentId(id)) return invalid('id must be 16 hexadecimal digits');
  if (!isTraceId(document.trace_id)) return invalid('trace_id must be 1-<8 hex>-<24 hex>');
  if (!isTraceIdInWindow(document.trace_id, nowMs)) {
    // Code and message as PutTraceSegments reports them (AWS X-Ray Developer Guide, "Sending
    // trace data to AWS X-Ray": "Invalid segment. ErrorCode: InvalidTraceId"); for a subsegment
    // sent on its own the service says "Invalid subsegment. …", as X-Ray daemon logs show.
    const kind = document.type === 'subsegment' ? 'subsegment' : 'segment';
    return {
      ok: false,
      ...(id ? { id } : {}),
      errorCode: 'InvalidTraceId',
      message: `Invalid ${kind}. ErrorCode: InvalidTraceId`,
    };
  }
  if (
    typeof document.name !== 'string' ||
    document.name.length === 0 ||
    document.name.length > MAX_NAME_LENGTH
  ) {
    return invalid(`name must be 1 to ${MAX_NAME_LENGTH} characters`);
  }
  if (typeof document.start_time !== 'number') return invalid('start_time must be epoch seconds');
  if (typeof document.end_time !== 'number' && document.in_progress !== true) {
    return invalid('end_time or in_progress is required');
  }
  if (document.parent_id !== undefined && !isSegmentId(document.parent_id)) {
    return invalid('parent_id must be 16 hexadecimal digits');
  }
  if (document.type === 'subsegment' && document.parent_id === undefined) {
    return invalid('a subsegment sent on its own needs parent_id');
  }
  return { ok: true, document: document as SegmentDocument };
}

/** Whether the epoch second in an X-Ray trace id is inside the window X-Ray accepts at `nowMs`. */
function isTraceIdInWindow(traceId: string, nowMs: number): boolean {
  const age = Math.floor(nowMs / 1000) - Number.parseInt(traceId.slice(2, 10), 16);
  return age <= TRACE_ID_MAX_AGE_SECONDS && age >= -TRACE_ID_MAX_SKEW_SECONDS;
}
