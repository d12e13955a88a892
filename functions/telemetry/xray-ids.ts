/**
 * X-Ray's view of trace identity for the handler's tracer: trace ids that carry their start
 * time, so that spans can become X-Ray segments, and the OpenTelemetry side of the Lambda trace
 * header (whose wire format lives in `contracts/lambda-trace-header.ts`).
 */
import { type SpanContext, TraceFlags } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';
import {
  formatLambdaTraceHeader,
  isSampled,
  parseLambdaTraceHeader,
} from '../../contracts/lambda-trace-header';

// X-Ray trace ids are `1-<8 hex epoch seconds>-<24 hex random>`; X-Ray rejects
// segments whose trace id time is more than 30 days old, so the first 32 bits
// must be the real start time, not random. Ids need uniqueness, not secrecy:
// Math.random (as OpenTelemetry's own generator uses) keeps node:crypto, which
// costs milliseconds to load, out of the cold start.
function randomHex(bytes: number): string {
  let hex = '';
  for (let i = 0; i < bytes; i += 4) {
    hex += ((Math.random() * 0x1_0000_0000) >>> 0).toString(16).padStart(8, '0');
  }
  hex = hex.slice(0, bytes * 2);
  // An all-zero id is invalid in OpenTelemetry; 2^-64 odds, but cheap to rule out.
  return /^0+$/.test(hex) ? randomHex(bytes) : hex;
}

/** Trace ids whose first 8 hex digits are the epoch seconds, as X-Ray requires. */
export class XRayIdGenerator implements IdGenerator {
  generateTraceId(): string {
    return (
      Math.floor(Date.now() / 1000)
        .toString(16)
        .padStart(8, '0') + randomHex(12)
    );
  }
  generateSpanId(): string {
    return randomHex(8);
  }
}

/**
 * The parent to continue from a Lambda trace header (`_X_AMZN_TRACE_ID`), parsed by the shared
 * contract: undefined unless the header names both `Root` and `Parent`. An undecided header
 * continues as sampled, by the contract's one sampling rule ({@link isSampled}).
 */
export function remoteParent(header: string | undefined): SpanContext | undefined {
  const parsed = parseLambdaTraceHeader(header);
  if (!parsed.traceId || !parsed.parentId) return undefined;
  return {
    traceId: parsed.traceId,
    spanId: parsed.parentId,
    traceFlags: isSampled(parsed) ? TraceFlags.SAMPLED : TraceFlags.NONE,
    isRemote: true,
  };
}

/** The `X-Amzn-Trace-Id` value that makes `span` the parent of a downstream call. */
export function downstreamTraceHeader(span: SpanContext): string {
  return formatLambdaTraceHeader(
    span.traceId,
    span.spanId,
    (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED,
  );
}
