/**
 * The filters of `GET /api/traces`, parsed from the query string once and applied to summed
 * traces. A bad value throws {@link TraceQueryError} naming the parameter; the console server
 * answers it with a 400.
 */
import type { SummedTrace } from './trace-summary';

/** Traces listed when the page does not say. */
const DEFAULT_LIMIT = 100;
/** A page never holds more; the console shows a list, not an export. */
const MAX_LIMIT = 1_000;

const OUTCOMES = ['fault', 'error', 'throttle', 'ok'] as const;
type TraceOutcome = (typeof OUTCOMES)[number];

export interface TraceQuery {
  /** The handler's route, as annotated (`/todos/{id}`). */
  readonly route?: string;
  /** An exact status (`404`) or a class (`4xx`). */
  readonly status?: number | `${1 | 2 | 3 | 4 | 5}xx`;
  readonly minMs?: number;
  readonly maxMs?: number;
  readonly outcome?: TraceOutcome;
  readonly cold?: boolean;
  /** A trace id or the start of one. */
  readonly traceId?: string;
  /** A map node id; a function's id matches every version of it. */
  readonly node?: string;
  /** A map edge id, `<from>-><to>`. */
  readonly edge?: string;
  readonly limit: number;
}

/** A query parameter that cannot be used; the message names it and what it takes. */
export class TraceQueryError extends Error {
  override readonly name = 'TraceQueryError';
  /** HTTP status the console answers with. */
  readonly statusCode = 400;

  constructor(
    readonly parameter: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The filters of a `/api/traces` request (`from` and `to` are the range's, parsed elsewhere).
 *
 * @example
 * parseTraceQuery(new URLSearchParams('outcome=fault&minMs=250&limit=50'))
 */
export function parseTraceQuery(parameters: URLSearchParams): TraceQuery {
  const value = (name: string): string | undefined => {
    const text = parameters.get(name)?.trim();
    return text === undefined || text === '' ? undefined : text;
  };
  const duration = (name: 'minMs' | 'maxMs'): number | undefined => {
    const text = value(name);
    if (text === undefined) return undefined;
    const number = Number(text);
    if (!Number.isFinite(number) || number < 0) {
      throw new TraceQueryError(name, `${name} must be a non-negative number, got "${text}"`);
    }
    return number;
  };
  const query: { -readonly [K in keyof TraceQuery]: TraceQuery[K] } = { limit: DEFAULT_LIMIT };

  const route = value('route');
  if (route !== undefined) query.route = route;

  const status = value('status');
  if (status !== undefined) {
    if (/^[1-5]xx$/i.test(status)) query.status = status.toLowerCase() as TraceQuery['status'];
    else if (/^[1-5]\d\d$/.test(status)) query.status = Number(status);
    else
      throw new TraceQueryError(
        'status',
        `status must be an HTTP status (404) or class (4xx), got "${status}"`,
      );
  }

  const minMs = duration('minMs');
  const maxMs = duration('maxMs');
  if (minMs !== undefined) query.minMs = minMs;
  if (maxMs !== undefined) query.maxMs = maxMs;
  if (minMs !== undefined && maxMs !== undefined && minMs > maxMs) {
    throw new TraceQueryError('minMs', `minMs (${minMs}) must not exceed maxMs (${maxMs})`);
  }

  const outcome = value('outcome');
  if (outcome !== undefined) {
    if (!(OUTCOMES as readonly string[]).includes(outcome)) {
      throw new TraceQueryError('outcome', `outcome must be one of ${OUTCOMES.join(', ')}, got "${outcome}"`);
    }
    query.outcome = outcome as TraceOutcome;
  }

  const cold = value('cold');
  if (cold !== undefined) {
    if (cold !== 'true' && cold !== 'false') {
      throw new TraceQueryError('cold', `cold must be true or false, got "${cold}"`);
    }
    query.cold = cold === 'true';
  }

  const traceId = value('traceId');
  if (traceId !== undefined) {
    if (!/^[0-9a-f-]{1,35}$/i.test(traceId)) {
      throw new TraceQueryError(
        'traceId',
        `traceId must be a trace id (1-<8 hex>-<24 hex>) or its start, got "${traceId}"`,
      );
    }
    query.traceId = traceId.toLowerCase();
  }

  const node = value('node');
  if (node !== undefined) query.node = node;
  const edge = value('edge');
  if (edge !== undefined) {
    if (!/^.+->.+$/.test(edge))
      throw new TraceQueryError('edge', `edge must be "<from id>-><to id>", got "${edge}"`);
    query.edge = edge;
  }

  const limit = value('limit');
  if (limit !== undefined) {
    const number = Number(limit);
    if (!Number.isInteger(number) || number < 1 || number > MAX_LIMIT) {
      throw new TraceQueryError(
        'limit',
        `limit must be a whole number from 1 to ${MAX_LIMIT}, got "${limit}"`,
      );
    }
    query.limit = number;
  }
  return query;
}

/** A function's node id (`function:todos`) stands for each of its versions (`function:todos@2`). */
const sameNode = (asked: string, node: string): boolean => node === asked || node.startsWith(`${asked}@`);

function statusMatches(asked: NonNullable<TraceQuery['status']>, status: number | undefined): boolean {
  if (status === undefined) return false;
  return typeof asked === 'number' ? status === asked : Math.floor(status / 100) === Number(asked[0]);
}

/** Whether a trace passes every filter of the query (the limit is the caller's). */
export function matchesTraceQuery(trace: SummedTrace, query: TraceQuery): boolean {
  const { summary } = trace;
  if (query.route !== undefined && summary.route !== query.route) return false;
  if (query.status !== undefined && !statusMatches(query.status, summary.status)) return false;
  if (query.minMs !== undefined && summary.durationMs < query.minMs) return false;
  if (query.maxMs !== undefined && summary.durationMs > query.maxMs) return false;
  if (query.cold !== undefined && summary.coldStart !== query.cold) return false;
  if (query.traceId !== undefined && !summary.traceId.startsWith(query.traceId)) return false;
  if (query.outcome !== undefined) {
    const ok = !summary.fault && !summary.error && !summary.throttle;
    if (query.outcome === 'ok' ? !ok : !summary[query.outcome]) return false;
  }
  if (query.node !== undefined) {
    const asked = query.node;
    if (!summary.nodes.some((node) => sameNode(asked, node))) return false;
  }
  if (query.edge !== undefined) {
    const [from = '', to = ''] = query.edge.split('->');
    const found = trace.edges.some(([edgeFrom, edgeTo]) => sameNode(from, edgeFrom) && sameNode(to, edgeTo));
    if (!found) return false;
  }
  return true;
}
