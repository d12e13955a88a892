/**
 * What the index keeps of one stored segment document: the few fields the trace list and the
 * service map read, not the document itself (the detail view reads documents back from the
 * store by position). Embedded subsegments are walked here, once, when the line is read.
 */
import type { SegmentDocument } from '../../xray/trace-store';

/** Names of the subsegments Lambda writes under its function segment. */
const LAMBDA_PHASES: ReadonlySet<string> = new Set(['Initialization', 'Invocation', 'Overhead', 'Restore']);

export interface Outcome {
  readonly fault: boolean;
  readonly error: boolean;
  readonly throttle: boolean;
}

/** A downstream call (`namespace` `aws` or `remote`), as the map draws it. */
interface DownstreamCall extends Outcome {
  readonly name: string;
  readonly namespace: 'aws' | 'remote';
  /** The segment the call was made from (its `parent_id`, or the embedding document). */
  readonly parentId: string | undefined;
  readonly start: number;
  readonly end: number | undefined;
}

/** One document of a trace, reduced. Times are epoch ms. */
export interface SegmentFacts extends Outcome {
  readonly id: string;
  readonly parentId: string | undefined;
  readonly name: string;
  /** `AWS::Lambda`, `AWS::Lambda::Function`, or `undefined` for the handler's spans. */
  readonly origin: string | undefined;
  readonly start: number;
  /** Latest end among the document and its embedded subsegments. */
  readonly end: number | undefined;
  /** The document's own end, for its latency. */
  readonly ownEnd: number | undefined;
  readonly namespace: string | undefined;
  readonly method: string | undefined;
  readonly status: number | undefined;
  readonly route: string | undefined;
  readonly version: string | undefined;
  readonly coldStart: boolean | undefined;
  /** `aws.request_id` of an `AWS::Lambda` segment, `faas.invocation_id` of the handler's span. */
  readonly requestId: string | undefined;
  /** `aws.api_gateway.request_id` of the handler's span: the HTTP API's `$context.requestId`. */
  readonly apiRequestId: string | undefined;
  /** Lambda's `Initialization` subsegment is there: the invocation started a new environment. */
  readonly initialized: boolean;
  /** An embedded subsegment (not a Lambda phase, not a downstream call) is flagged. */
  readonly nestedOutcome: Outcome;
  readonly calls: readonly DownstreamCall[];
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const ms = (seconds: unknown): number | undefined =>
  typeof seconds === 'number' && Number.isFinite(seconds) ? seconds * 1000 : undefined;

const outcomeOf = (document: SegmentDocument): Outcome => ({
  fault: document.fault === true,
  error: document.error === true,
  throttle: document.throttle === true,
});

function downstream(document: SegmentDocument, parentId: string | undefined): DownstreamCall | undefined {
  if (document.namespace !== 'aws' && document.namespace !== 'remote') return undefined;
  return {
    name: document.name,
    namespace: document.namespace,
    parentId: document.parent_id ?? parentId,
    start: ms(document.start_time) ?? 0,
    end: ms(document.end_time),
    ...outcomeOf(document),
  };
}

/** The facts of one stored document, or `undefined` when it has no trace id or no start. */
export function segmentFacts(document: SegmentDocument): SegmentFacts | undefined {
  const start = ms(document.start_time);
  if (!document.trace_id || typeof document.id !== 'string' || start === undefined) return undefined;
  const calls: DownstreamCall[] = [];
  const nested = { fault: false, error: false, throttle: false };
  let end = ms(document.end_time);
  let initialized = false;
  const walk = (subsegments: unknown, parentId: string) => {
    if (!Array.isArray(subsegments)) return;
    for (const sub of subsegments as SegmentDocument[]) {
      if (!isRecord(sub)) continue;
      const subEnd = ms(sub.end_time);
      if (subEnd !== undefined && (end === undefined || subEnd > end)) end = subEnd;
      if (sub.name === 'Initialization') initialized = true;
      const call = downstream(sub, parentId);
      if (call) calls.push(call);
      else if (!LAMBDA_PHASES.has(sub.name)) {
        nested.fault ||= sub.fault === true;
        nested.error ||= sub.error === true;
        nested.throttle ||= sub.throttle === true;
      }
      walk(sub.subsegments, sub.id);
    }
  };
  walk(document.subsegments, document.id);
  const own = downstream(document, undefined);
  if (own) calls.push(own);

  const annotations = isRecord(document.annotations) ? document.annotations : {};
  const metadata = isRecord(document.metadata) ? document.metadata : {};
  const defaults = isRecord(metadata.default) ? metadata.default : {};
  const resource = isRecord(metadata.resource) ? metadata.resource : {};
  const aws = isRecord(document.aws) ? document.aws : {};
  const request = isRecord(document.http?.request) ? document.http.request : {};
  const status = document.http?.response?.status;
  const isLambda = document.origin === 'AWS::Lambda';
  return {
    id: document.id,
    parentId: document.parent_id,
    name: document.name,
    origin: document.origin,
    start,
    end,
    ownEnd: ms(document.end_time),
    namespace: document.namespace,
    method: text(request.method),
    status: typeof status === 'number' ? status : undefined,
    route: text(annotations.route),
    version: text(resource['faas.version']),
    coldStart: typeof annotations.cold_start === 'boolean' ? annotations.cold_start : undefined,
    requestId: isLambda ? text(aws.request_id) : text(defaults['faas.invocation_id']),
    apiRequestId: text(defaults['aws.api_gateway.request_id']),
    initialized,
    nestedOutcome: nested,
    calls,
    ...outcomeOf(document),
  };
}
