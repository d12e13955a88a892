import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceIndex } from '../../local/console/traces/trace-index';
import { parseTraceQuery, TraceQueryError } from '../../local/console/traces/trace-query';
import { appendSegments, requestSegments, traceIdOf } from '../support/xray-requests';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const RANGE = { from: T0 - 60_000, to: T0 + 60_000 };

let stateDir: string;
let index: TraceIndex;

/** Trace ids of the matches, newest first. */
async function find(query: string): Promise<string[]> {
  const list = await index.traces(RANGE, parseTraceQuery(new URLSearchParams(query)));
  return list.traces.map((trace) => trace.traceId);
}

const ids = {
  ok: traceIdOf(T0, 1),
  notFound: traceIdOf(T0 + 1_000, 2),
  fault: traceIdOf(T0 + 2_000, 3),
  throttled: traceIdOf(T0 + 3_000, 4),
  coldV2: traceIdOf(T0 + 4_000, 5),
  slow: traceIdOf(T0 + 5_000, 6),
};

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'trace-query-'));
  const xray = path.join(stateDir, 'xray');
  index = new TraceIndex({ xrayDirectory: xray, logsDirectory: path.join(stateDir, 'logs') });
  await appendSegments(xray, [
    ...requestSegments({ traceId: ids.ok, start: T0, dynamodb: [{ operation: 'Query' }] }),
    ...requestSegments({ traceId: ids.notFound, start: T0 + 1_000, route: '/todos/{id}', status: 404 }),
    ...requestSegments({ traceId: ids.fault, start: T0 + 2_000, method: 'POST', status: 500 }),
    ...requestSegments({ traceId: ids.throttled, start: T0 + 3_000, status: 429 }),
    ...requestSegments({ traceId: ids.coldV2, start: T0 + 4_000, cold: true, version: '2' }),
    ...requestSegments({ traceId: ids.slow, start: T0 + 5_000, durationMs: 900, route: '/todos/{id}' }),
  ]);
});

afterAll(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('trace list filters', () => {
  it('lists every trace of the range newest first with the routes seen', async () => {
    // Act
    const list = await index.traces(RANGE, parseTraceQuery(new URLSearchParams()));

    // Assess
    expect(list.total).toBe(6);
    expect(list.traces.map((trace) => trace.traceId)).toEqual([
      ids.slow,
      ids.coldV2,
      ids.throttled,
      ids.fault,
      ids.notFound,
      ids.ok,
    ]);
    expect(list.routes).toEqual(['/todos', '/todos/{id}']);
  });

  it('filters by route, status and status class', async () => {
    expect(await find('route=/todos/{id}')).toEqual([ids.slow, ids.notFound]);
    expect(await find('status=404')).toEqual([ids.notFound]);
    expect(await find('status=4xx')).toEqual([ids.throttled, ids.notFound]);
  });

  it('filters by duration bounds', async () => {
    expect(await find('minMs=500')).toEqual([ids.slow]);
    expect(await find('maxMs=100')).not.toContain(ids.slow);
  });

  it('filters by outcome and cold start', async () => {
    expect(await find('outcome=fault')).toEqual([ids.fault]);
    expect(await find('outcome=throttle')).toEqual([ids.throttled]);
    expect(await find('outcome=error')).toEqual([ids.throttled, ids.notFound]);
    expect(await find('outcome=ok')).toEqual([ids.slow, ids.coldV2, ids.ok]);
    expect(await find('cold=true')).toEqual([ids.coldV2]);
    expect(await find('cold=false')).toHaveLength(5);
  });

  it('filters by trace id or its start', async () => {
    expect(await find(`traceId=${ids.fault}`)).toEqual([ids.fault]);
    expect(await find(`traceId=${ids.ok.slice(0, 10)}`)).toEqual([ids.ok]);
  });

  it('filters by map node and edge, a function id matching each version', async () => {
    expect(await find('node=aws:DynamoDB')).toEqual([ids.ok]);
    expect(await find('node=function:todos@2')).toEqual([ids.coldV2]);
    expect(await find('node=function:todos')).toHaveLength(6);
    expect(await find('edge=function:todos->aws:DynamoDB')).toEqual([ids.ok]);
    expect(await find('edge=lambda:todos->function:todos@2')).toEqual([ids.coldV2]);
    expect(await find('edge=client->lambda:todos')).toEqual([]);
  });

  it('stops at the limit while counting every match', async () => {
    // Act
    const list = await index.traces(RANGE, parseTraceQuery(new URLSearchParams('limit=2')));

    // Assess
    expect(list.total).toBe(6);
    expect(list.traces.map((trace) => trace.traceId)).toEqual([ids.slow, ids.coldV2]);
  });

  it('leaves out traces that started outside the range', async () => {
    // Act
    const list = await index.traces(
      { from: T0 + 1_500, to: T0 + 3_500 },
      parseTraceQuery(new URLSearchParams()),
    );

    // Assess
    expect(list.traces.map((trace) => trace.traceId)).toEqual([ids.throttled, ids.fault]);
  });
});

describe('trace query parameters', () => {
  it('defaults the limit to 100', () => {
    expect(parseTraceQuery(new URLSearchParams())).toEqual({ limit: 100 });
  });

  it.each([
    ['minMs=-1', 'minMs', 'minMs must be a non-negative number, got "-1"'],
    ['maxMs=soon', 'maxMs', 'maxMs must be a non-negative number, got "soon"'],
    ['minMs=10&maxMs=5', 'minMs', 'minMs (10) must not exceed maxMs (5)'],
    ['status=99', 'status', 'status must be an HTTP status (404) or class (4xx), got "99"'],
    ['outcome=bad', 'outcome', 'outcome must be one of fault, error, throttle, ok, got "bad"'],
    ['cold=yes', 'cold', 'cold must be true or false, got "yes"'],
    ['traceId=1-xyz', 'traceId', 'traceId must be a trace id (1-<8 hex>-<24 hex>) or its start, got "1-xyz"'],
    ['edge=client', 'edge', 'edge must be "<from id>-><to id>", got "client"'],
    ['limit=1001', 'limit', 'limit must be a whole number from 1 to 1000, got "1001"'],
    ['limit=0', 'limit', 'limit must be a whole number from 1 to 1000, got "0"'],
  ])('rejects %s naming the parameter', (query, parameter, message) => {
    // Act
    let thrown: unknown;
    try {
      parseTraceQuery(new URLSearchParams(query));
    } catch (error) {
      thrown = error;
    }

    // Assess
    expect(thrown).toBeInstanceOf(TraceQueryError);
    expect(thrown).toMatchObject({ parameter, message, statusCode: 400 });
  });
});
