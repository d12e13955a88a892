/**
 * X-Ray trace headers for invocations: `Root=1-<8 hex epoch s>-<24 hex>;Parent=<16 hex>;Sampled=<0|1>`.
 */
import { randomBytes } from 'node:crypto';

/** The trace context of one invocation. */
export interface InvocationTrace {
  /** The header the runtime and extensions see (`Lambda-Runtime-Trace-Id`, INVOKE `tracing.value`). */
  readonly header: string;
  /** The id of the `AWS::Lambda::Function` segment: the `Parent` in {@link header} when sampled. */
  readonly functionSegmentId: string;
  readonly sampled: boolean;
}

/** A new X-Ray trace id (`1-<epoch seconds hex>-<96 random bits hex>`). */
export function newTraceId(now = Date.now()): string {
  return `1-${Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0')}-${randomBytes(12).toString('hex')}`;
}

/** A new 64-bit segment id. */
export function newSegmentId(): string {
  return randomBytes(8).toString('hex');
}

function fields(header: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const part of header.split(';')) {
    const at = part.indexOf('=');
    if (at > 0) map.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  return map;
}

/**
 * The invocation's trace from the caller's header. A sampled caller trace continues with the
 * function segment as parent, so the function's own spans nest under it; without a header (or an
 * unusable one) a fresh unsampled trace is made, as Lambda does without active tracing.
 */
export function invocationTrace(callerHeader: string | undefined): InvocationTrace {
  const functionSegmentId = newSegmentId();
  const caller = callerHeader ? fields(callerHeader) : new Map<string, string>();
  const root = caller.get('Root');
  if (!root || !/^1-[0-9a-f]{8}-[0-9a-f]{24}$/.test(root)) {
    return {
      header: `Root=${newTraceId()};Parent=${functionSegmentId};Sampled=0`,
      functionSegmentId,
      sampled: false,
    };
  }
  const sampled = caller.get('Sampled') === '1';
  const lineage = caller.get('Lineage');
  const header = `Root=${root};Parent=${functionSegmentId};Sampled=${sampled ? '1' : '0'}${lineage ? `;Lineage=${lineage}` : ''}`;
  return { header, functionSegmentId, sampled };
}
