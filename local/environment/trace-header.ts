/**
 * The trace context of each invocation, made from the caller's X-Ray header
 * (parsed and written by `local/xray/trace-header.ts`).
 */
import { formatTraceHeader, newSegmentId, newTraceId, parseTraceHeader } from '../xray/trace-header';

/** The trace context of one invocation. */
export interface InvocationTrace {
  /** The header the runtime and extensions see (`Lambda-Runtime-Trace-Id`, INVOKE `tracing.value`). */
  readonly header: string;
  /** The id of the `AWS::Lambda::Function` segment: the `Parent` in {@link header} when sampled. */
  readonly functionSegmentId: string;
  readonly sampled: boolean;
}

/**
 * The invocation's trace from the caller's header. A sampled caller trace continues with the
 * function segment as parent, so the function's own spans nest under it; without a header (or an
 * unusable one) a fresh unsampled trace is made, as Lambda does without active tracing. Of the
 * caller's other fields only `Lineage` travels on, as Lambda passes it.
 */
export function invocationTrace(callerHeader: string | undefined): InvocationTrace {
  const functionSegmentId = newSegmentId();
  const caller = parseTraceHeader(callerHeader);
  const sampled = caller?.sampled === true;
  const header = formatTraceHeader({
    root: caller?.root ?? newTraceId(),
    parent: functionSegmentId,
    sampled,
    extra: caller?.extra.filter((field) => field.startsWith('Lineage=')) ?? [],
  });
  return { header, functionSegmentId, sampled };
}
