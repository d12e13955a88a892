/**
 * Hand-written X-Ray store contents shaped like a sandbox request: the Lambda service segment,
 * the function segment with its phases, the handler's span and its DynamoDB calls, each sent as
 * the sandbox and the extension send them (one stored line per document).
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { SegmentDocument, StoredSegment } from '../../local/xray/trace-store';

export interface RequestShape {
  readonly traceId: string;
  /** Epoch ms. */
  readonly start: number;
  readonly durationMs?: number;
  readonly method?: string;
  readonly route?: string;
  readonly status?: number;
  readonly version?: string;
  readonly cold?: boolean;
  /** DynamoDB calls the handler makes; each `throttle: true` call is marked as X-Ray marks a throttled one. */
  readonly dynamodb?: readonly {
    readonly operation: string;
    readonly throttle?: boolean;
    readonly fault?: boolean;
  }[];
  /** The invocation timed out: no handler span, the function segment faulted with a synthesized span. */
  readonly timedOut?: boolean;
  readonly apiRequestId?: string;
}

let counter = 0;
/** A fresh 16-hex segment id. */
export const segmentId = (): string => (++counter).toString(16).padStart(16, '0');

/** A trace id whose time part is `start`'s and whose rest is `n`. */
export const traceIdOf = (start: number, n: number): string =>
  `1-${Math.floor(start / 1000)
    .toString(16)
    .padStart(8, '0')}-${n.toString(16).padStart(24, '0')}`;

export const requestIdOf = (traceId: string): string => `req-${traceId.slice(-12)}`;

/** The documents of one request, in the order the sandbox stores them. */
export function requestSegments(shape: RequestShape): SegmentDocument[] {
  const s = (ms: number) => ms / 1000;
  const duration = shape.durationMs ?? 40;
  const start = shape.start;
  const end = start + duration;
  const status = shape.status ?? 200;
  const version = shape.version ?? '1';
  const serviceId = segmentId();
  const functionId = segmentId();
  const handlerId = segmentId();
  const requestId = requestIdOf(shape.traceId);
  const base = { trace_id: shape.traceId };
  const handlerStart = start + 4;
  const handlerEnd = end - 4;
  const calls: SegmentDocument[] = (shape.dynamodb ?? []).map((call, index) => ({
    ...base,
    name: 'DynamoDB',
    id: segmentId(),
    type: 'subsegment',
    parent_id: handlerId,
    namespace: 'aws',
    start_time: s(handlerStart + 1 + index * 5),
    end_time: s(handlerStart + 5 + index * 5),
    aws: { operation: call.operation, table_name: 'todos' },
    ...(call.throttle ? { throttle: true, error: true, http: { response: { status: 400 } } } : {}),
    ...(call.fault ? { fault: true, http: { response: { status: 500 } } } : {}),
  }));
  const handler: SegmentDocument = shape.timedOut
    ? {
        ...base,
        name: 'todos',
        id: handlerId,
        type: 'subsegment',
        parent_id: functionId,
        start_time: s(handlerStart),
        end_time: s(handlerEnd),
        fault: true,
        cause: { exceptions: [{ id: segmentId(), type: 'Sandbox.Timedout', message: 'Task timed out' }] },
      }
    : {
        ...base,
        name: `${shape.method ?? 'GET'} ${shape.route ?? '/todos'}`,
        id: handlerId,
        type: 'subsegment',
        parent_id: functionId,
        start_time: s(handlerStart),
        end_time: s(handlerEnd),
        http: {
          request: { method: shape.method ?? 'GET', url: `https://127.0.0.1/todos` },
          response: { status },
        },
        ...(status >= 500 ? { fault: true } : status >= 400 ? { error: true } : {}),
        ...(status === 429 ? { throttle: true } : {}),
        annotations: { route: shape.route ?? '/todos', cold_start: shape.cold ?? false },
        metadata: {
          default: {
            'faas.invocation_id': requestId,
            'aws.api_gateway.request_id': shape.apiRequestId ?? `api-${requestId}`,
          },
          resource: { 'faas.version': version },
        },
      };
  const service: SegmentDocument = {
    ...base,
    name: 'todos',
    id: serviceId,
    origin: 'AWS::Lambda',
    start_time: s(start),
    end_time: s(end - 1),
    http: { response: { status: 200 } },
    aws: { request_id: requestId },
  };
  const fn: SegmentDocument = {
    ...base,
    name: 'todos',
    id: functionId,
    parent_id: serviceId,
    origin: 'AWS::Lambda::Function',
    start_time: s(start + 1),
    end_time: s(end),
    ...(shape.timedOut ? { fault: true } : {}),
    subsegments: [
      ...(shape.cold
        ? [{ id: segmentId(), name: 'Initialization', start_time: s(start + 1), end_time: s(start + 3) }]
        : []),
      { id: segmentId(), name: 'Invocation', start_time: s(start + 3), end_time: s(end - 2) },
      { id: segmentId(), name: 'Overhead', start_time: s(end - 2), end_time: s(end) },
    ],
  };
  return [...calls, handler, service, fn];
}

/** Stored lines (newline-terminated) of documents. */
export const storedLines = (documents: readonly SegmentDocument[]): string =>
  documents
    .map((document) =>
      JSON.stringify({
        received: new Date().toISOString(),
        source: document.origin ? 'lambda-service' : 'put-trace-segments',
        document,
      } satisfies StoredSegment),
    )
    .join('\n')
    .concat(documents.length > 0 ? '\n' : '');

/**
 * Request n of a generated store, started at `start`: every 50th a 500, every 20th a 404, every
 * 100th cold, version 2 from the 6,000th on, and 0 to 3 DynamoDB queries (1.5 on average) of which
 * the first is throttled in every 250th request from the second on.
 */
export function generatedRequest(n: number, start: number): RequestShape {
  const status = n % 50 === 0 ? 500 : n % 20 === 0 ? 404 : 200;
  return {
    traceId: traceIdOf(start, n + 1),
    start,
    durationMs: 20 + (n % 7) * 10,
    route: n % 3 === 0 ? '/todos' : '/todos/{id}',
    method: n % 5 === 0 ? 'POST' : 'GET',
    status,
    version: n < 6_000 ? '1' : '2',
    cold: n % 100 === 0,
    dynamodb: Array.from({ length: n % 4 }, (_, call) => ({
      operation: 'Query',
      throttle: call === 0 && n % 250 === 1,
    })),
  };
}

/**
 * Appends generated requests `first` to `first + count - 1` ({@link generatedRequest}) to
 * `<xrayDirectory>/segments.jsonl` in one write, request n started at `startOf(n)`.
 */
export async function appendGeneratedRequests(
  xrayDirectory: string,
  first: number,
  count: number,
  startOf: (n: number) => number,
): Promise<void> {
  const lines: string[] = [];
  for (let n = first; n < first + count; n += 1)
    lines.push(storedLines(requestSegments(generatedRequest(n, startOf(n)))));
  await mkdir(xrayDirectory, { recursive: true });
  await appendFile(path.join(xrayDirectory, 'segments.jsonl'), lines.join(''));
}

/** Appends documents to `<xrayDirectory>/segments.jsonl`. */
export async function appendSegments(
  xrayDirectory: string,
  documents: readonly SegmentDocument[],
): Promise<void> {
  await mkdir(xrayDirectory, { recursive: true });
  await appendFile(path.join(xrayDirectory, 'segments.jsonl'), storedLines(documents));
}
