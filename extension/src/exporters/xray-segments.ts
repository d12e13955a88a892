import { toXRayTraceId } from '../../../contracts/lambda-trace-header';
import type { Attributes, AttributeValue, TelemetrySpan } from '../otlp/span';
import { SpanKind, StatusCode } from '../otlp/span';

/** An X-Ray segment or subsegment document as PutTraceSegments and the daemon accept it. */
export interface SegmentDocument {
  name: string;
  id: string;
  trace_id: string;
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  type?: 'subsegment';
  parent_id?: string;
  namespace?: 'aws' | 'remote';
  http?: {
    request?: { method?: string; url?: string; user_agent?: string; client_ip?: string };
    response?: { status?: number; content_length?: number };
  };
  aws?: Record<string, string | number | string[]>;
  error?: boolean;
  throttle?: boolean;
  fault?: boolean;
  cause?: { exceptions: XRayException[] };
  annotations?: Record<string, string | number | boolean>;
  metadata?: Record<string, Record<string, unknown>>;
}

/** One entry of a segment's `cause.exceptions`. */
interface XRayException {
  id: string;
  type?: string;
  message?: string;
  remote?: boolean;
  stack?: { path?: string; line?: number; label?: string }[];
}

/** Translation settings that do not come from the span itself. */
export interface SegmentContext {
  /** Region for `aws.region` when the span does not carry `cloud.region`. */
  readonly region: string;
}

/** X-Ray's document size limit. */
export const MAX_DOCUMENT_BYTES = 64 * 1024;
const MAX_NAME_LENGTH = 200;

// Attributes the translation places in dedicated fields; everything else goes to metadata.
const MAPPED = new Set([
  'rpc.system',
  'rpc.service',
  'rpc.method',
  'aws.dynamodb.table_names',
  'aws.request_id',
  'aws.region',
  'aws.retries',
  'aws.throttle',
  'cloud.region',
  'http.request.method',
  'http.method',
  'url.full',
  'http.url',
  'url.scheme',
  'http.scheme',
  'server.address',
  'server.port',
  'url.path',
  'url.query',
  'http.target',
  'user_agent.original',
  'http.user_agent',
  'client.address',
  'http.client_ip',
  'http.response.status_code',
  'http.status_code',
  'http.response.body.size',
  'http.response_content_length',
  'http.route',
  'faas.coldstart',
]);

// DynamoDB and the AWS SDKs report throttling with these error codes (HTTP 400, not 429).
const THROTTLE_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'Throttling',
]);

/**
 * Translates an OpenTelemetry span into an X-Ray document, following the rules of the
 * OpenTelemetry collector's X-Ray exporter with one deliberate difference: every span with a
 * parent becomes a subsegment, SERVER spans included. In Lambda the handler's SERVER span has
 * the `AWS::Lambda::Function` segment (the trace header's `Parent`) as parent; as a segment of its
 * own it would draw a second node for the same function, as a subsegment it hangs under it.
 *
 * - `rpc.system = aws-api` → `namespace: "aws"`, name = `rpc.service`, `aws.operation`,
 *   `aws.table_name` (or `table_names`), `aws.request_id`, `aws.region`: the service map node.
 * - other CLIENT spans with a peer → `namespace: "remote"`, name = the peer host.
 * - HTTP status 429 → throttle + error, other 4xx → error, 5xx or span status ERROR → fault.
 * - `exception` events → `cause.exceptions` with parsed stack frames.
 * - `http.route` and `faas.coldstart` → annotations `route` and `cold_start` (searchable).
 * - every other attribute → `metadata.default`; resource attributes of SERVER and root spans
 *   → `metadata.resource`.
 */
export function spanToSegment(span: TelemetrySpan, context: SegmentContext): SegmentDocument {
  const attrs = span.attributes;
  const isAws = attrs['rpc.system'] === 'aws-api';
  const peer = str(attrs['server.address']) ?? hostOf(str(attrs['url.full']) ?? str(attrs['http.url']));
  const isRemote = !isAws && span.kind === SpanKind.CLIENT && peer !== undefined;

  const doc: SegmentDocument = {
    name: segmentName(isAws ? (str(attrs['rpc.service']) ?? span.name) : isRemote ? peer! : span.name),
    id: span.spanId,
    trace_id: toXRayTraceId(span.traceId),
    start_time: seconds(span.startTimeUnixNano),
  };
  if (span.endTimeUnixNano > 0n) doc.end_time = seconds(span.endTimeUnixNano);
  else doc.in_progress = true;
  if (span.parentSpanId) {
    doc.type = 'subsegment';
    doc.parent_id = span.parentSpanId;
  }
  if (isAws) doc.namespace = 'aws';
  else if (isRemote) doc.namespace = 'remote';

  if (isAws) doc.aws = awsBlock(attrs, span.resource, context);
  const http = httpBlock(span);
  if (http) doc.http = http;

  const status = num(attrs['http.response.status_code']) ?? num(attrs['http.status_code']);
  const exceptions = exceptionsOf(span, isAws || isRemote);
  const errorType = str(attrs['error.type']) ?? exceptions[0]?.type;
  const throttled =
    attrs['aws.throttle'] === true || (errorType !== undefined && THROTTLE_ERRORS.has(errorType));
  if (status === 429 || throttled) {
    doc.throttle = true;
    doc.error = true;
  } else if (status !== undefined && status >= 400 && status < 500) doc.error = true;
  else if ((status !== undefined && status >= 500) || span.status.code === StatusCode.ERROR) doc.fault = true;
  if (exceptions.length > 0) doc.cause = { exceptions };
  else if ((doc.fault || doc.error) && span.status.message) {
    doc.cause = { exceptions: [{ id: exceptionId(span.spanId, 0), message: span.status.message }] };
  }

  const annotations: Record<string, string | number | boolean> = {};
  const route = str(attrs['http.route']);
  if (route) annotations.route = route;
  if (typeof attrs['faas.coldstart'] === 'boolean') annotations.cold_start = attrs['faas.coldstart'];
  if (Object.keys(annotations).length > 0) doc.annotations = annotations;

  const metadata: Record<string, Record<string, unknown>> = {};
  const rest = jsonAttributes(attrs, MAPPED);
  if (rest) metadata.default = rest;
  if (span.kind === SpanKind.SERVER || !span.parentSpanId) {
    const resource = jsonAttributes(span.resource, undefined);
    if (resource) metadata.resource = resource;
  }
  if (Object.keys(metadata).length > 0) doc.metadata = metadata;
  return fitDocument(doc);
}

// Sheds metadata, then stack traces, when a document exceeds X-Ray's 64 kB limit.
function fitDocument(doc: SegmentDocument): SegmentDocument {
  if (Buffer.byteLength(JSON.stringify(doc)) <= MAX_DOCUMENT_BYTES) return doc;
  delete doc.metadata;
  if (Buffer.byteLength(JSON.stringify(doc)) <= MAX_DOCUMENT_BYTES) return doc;
  if (doc.cause) {
    doc.cause = {
      exceptions: doc.cause.exceptions.slice(0, 1).map(({ stack: _stack, ...rest }) => ({
        ...rest,
        message: rest.message?.slice(0, 1024),
      })),
    };
  }
  return doc;
}

function awsBlock(
  attrs: Attributes,
  resource: Attributes,
  context: SegmentContext,
): Record<string, string | number | string[]> {
  const aws: Record<string, string | number | string[]> = {};
  const operation = str(attrs['rpc.method']);
  if (operation) aws.operation = operation;
  const tables = attrs['aws.dynamodb.table_names'];
  const tableList = Array.isArray(tables) ? tables.filter((t): t is string => typeof t === 'string') : [];
  if (typeof tables === 'string') aws.table_name = tables;
  else if (tableList.length === 1) aws.table_name = tableList[0]!;
  else if (tableList.length > 1) aws.table_names = tableList;
  const requestId = str(attrs['aws.request_id']);
  if (requestId) aws.request_id = requestId;
  const retries = num(attrs['aws.retries']);
  if (retries !== undefined) aws.retries = retries;
  aws.region =
    str(attrs['cloud.region']) ?? str(attrs['aws.region']) ?? str(resource['cloud.region']) ?? context.region;
  return aws;
}

function httpBlock(span: TelemetrySpan): SegmentDocument['http'] | undefined {
  const attrs = span.attributes;
  const request: NonNullable<SegmentDocument['http']>['request'] = {};
  const method = str(attrs['http.request.method']) ?? str(attrs['http.method']);
  if (method) request.method = method;
  const url = str(attrs['url.full']) ?? str(attrs['http.url']) ?? composedUrl(attrs);
  if (url) request.url = url;
  const userAgent = str(attrs['user_agent.original']) ?? str(attrs['http.user_agent']);
  if (userAgent) request.user_agent = userAgent;
  const clientIp = str(attrs['client.address']) ?? str(attrs['http.client_ip']);
  if (clientIp) request.client_ip = clientIp;
  const response: NonNullable<SegmentDocument['http']>['response'] = {};
  const status = num(attrs['http.response.status_code']) ?? num(attrs['http.status_code']);
  if (status !== undefined) response.status = status;
  const length = num(attrs['http.response.body.size']) ?? num(attrs['http.response_content_length']);
  if (length !== undefined) response.content_length = length;
  const http: NonNullable<SegmentDocument['http']> = {};
  if (Object.keys(request).length > 0) http.request = request;
  if (Object.keys(response).length > 0) http.response = response;
  return Object.keys(http).length > 0 ? http : undefined;
}

function composedUrl(attrs: Attributes): string | undefined {
  const path = str(attrs['url.path']) ?? str(attrs['http.target']);
  const host = str(attrs['server.address']);
  if (!path || !host) return path;
  const scheme = str(attrs['url.scheme']) ?? str(attrs['http.scheme']) ?? 'https';
  const query = str(attrs['url.query']);
  return `${scheme}://${host}${path}${query ? `?${query}` : ''}`;
}

function exceptionsOf(span: TelemetrySpan, remote: boolean): XRayException[] {
  const exceptions: XRayException[] = [];
  for (const event of span.events) {
    if (event.name !== 'exception') continue;
    const exception: XRayException = { id: exceptionId(span.spanId, exceptions.length) };
    const type = str(event.attributes['exception.type']);
    if (type) exception.type = type;
    const message = str(event.attributes['exception.message']);
    if (message) exception.message = message;
    if (remote) exception.remote = true;
    const stack = parseStack(str(event.attributes['exception.stacktrace']));
    if (stack.length > 0) exception.stack = stack;
    exceptions.push(exception);
  }
  return exceptions;
}

// Node stack frames: "    at label (path:line:column)" or "    at path:line:column".
const FRAME = /^\s*at (?:(.+?) \()?(.+?):(\d+):\d+\)?$/;
// X-Ray shows the top frames; 50 keeps a deep async stack from filling the 64 kB document.
const MAX_FRAMES = 50;

function parseStack(stacktrace: string | undefined): NonNullable<XRayException['stack']> {
  if (!stacktrace) return [];
  const frames: NonNullable<XRayException['stack']> = [];
  for (const line of stacktrace.split('\n')) {
    const match = FRAME.exec(line);
    if (!match) continue;
    frames.push({ label: match[1] ?? '<anonymous>', path: match[2]!, line: Number(match[3]) });
    if (frames.length === MAX_FRAMES) break;
  }
  return frames;
}

// X-Ray wants a 16-hex id per exception; derived from the span so retries send the same document.
function exceptionId(spanId: string, index: number): string {
  return `${spanId.slice(0, 14)}${(index & 0xff).toString(16).padStart(2, '0')}`;
}

// X-Ray names allow Unicode letters and numbers, whitespace and _ . : / % & # = + \ - @ (≤ 200).
function segmentName(name: string): string {
  const cleaned = name.replace(/[^\p{L}\p{N}\s_.:/%&#=+\\\-@]/gu, '').slice(0, MAX_NAME_LENGTH);
  return cleaned.trim() === '' ? 'span' : cleaned;
}

function seconds(nanos: bigint): number {
  // Microsecond precision: X-Ray's own SDKs write times with 3-6 decimals.
  return Number(nanos / 1000n) / 1e6;
}

function hostOf(url: string | undefined): string | undefined {
  if (!url) return undefined;
  try {
    return new URL(url).hostname || undefined;
  } catch {
    return undefined;
  }
}

function str(value: AttributeValue | undefined): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function num(value: AttributeValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return Number(value);
  if (typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  return undefined;
}

function jsonAttributes(
  attrs: Attributes,
  skip: ReadonlySet<string> | undefined,
): Record<string, unknown> | undefined {
  let result: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(attrs)) {
    if (skip?.has(key)) continue;
    result ??= {};
    result[key] = jsonValue(value);
  }
  return result;
}

function jsonValue(value: AttributeValue): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(jsonValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonValue(v as AttributeValue)]));
  }
  return value;
}
