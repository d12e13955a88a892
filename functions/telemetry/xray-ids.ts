/**
 * X-Ray's view of trace identity: the `X-Amzn-Trace-Id` header and trace ids
 * that carry their start time, so that spans can become X-Ray segments.
 */
import { type SpanContext, TraceFlags } from '@opentelemetry/api';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

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

/** What a Lambda trace header says about the invocation. */
export interface LambdaTraceHeader {
  /** The parent to continue, when the header names both `Root` and `Parent`. */
  readonly parent?: SpanContext;
  /** `Sampled=1` → true, `Sampled=0` → false, absent or `?` → undefined (not decided). */
  readonly sampled?: boolean;
}

const ROOT = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/;
const PARENT = /^[0-9a-f]{16}$/;

/**
 * Parses `Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1`
 * (keys in any order, unknown keys such as `Lineage` ignored).
 */
export function parseLambdaTraceHeader(header: string | undefined): LambdaTraceHeader {
  if (!header) return {};
  let root: RegExpExecArray | null = null;
  let parentId: string | undefined;
  let sampled: boolean | undefined;
  for (const part of header.split(';')) {
    const separator = part.indexOf('=');
    const key = part.slice(0, separator).trim();
    const value = part
      .slice(separator + 1)
      .trim()
      .toLowerCase();
    if (key === 'Root') root = ROOT.exec(value);
    else if (key === 'Parent' && PARENT.test(value)) parentId = value;
    else if (key === 'Sampled' && (value === '0' || value === '1')) sampled = value === '1';
  }
  if (!root || !parentId) return { sampled };
  return {
    sampled,
    parent: {
      traceId: `${root[1]}${root[2]}`,
      spanId: parentId,
      // An undecided header (`Sampled=?`) continues the trace as sampled: the
      // function segment exists and its children are wanted.
      traceFlags: sampled === false ? TraceFlags.NONE : TraceFlags.SAMPLED,
      isRemote: true,
    },
  };
}

/** The `X-Amzn-Trace-Id` value that makes `span` the parent of a downstream call. */
export function formatXRayTraceHeader(span: SpanContext): string {
  const sampled = (span.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? 1 : 0;
  return `Root=1-${span.traceId.slice(0, 8)}-${span.traceId.slice(8)};Parent=${span.spanId};Sampled=${sampled}`;
}

/** The X-Ray form (`1-xxxxxxxx-yyyy…`) of an OpenTelemetry trace id. */
export function xrayTraceId(traceId: string): string {
  return `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
}
