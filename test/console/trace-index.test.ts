import { appendFile, mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TraceIndex } from '../../local/console/traces/trace-index';
import { parseTraceQuery } from '../../local/console/traces/trace-query';
import {
  appendSegments,
  requestIdOf,
  requestSegments,
  storedLines,
  traceIdOf,
} from '../support/xray-requests';

const T0 = Date.parse('2026-11-30T10:00:00Z');
const RANGE = { from: T0 - 60_000, to: T0 + 60_000 };
const ALL = parseTraceQuery(new URLSearchParams());

let stateDir: string;
let xray: string;
let logs: string;
let index: TraceIndex;

beforeEach(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'trace-index-'));
  xray = path.join(stateDir, 'xray');
  logs = path.join(stateDir, 'logs');
  index = new TraceIndex({ xrayDirectory: xray, logsDirectory: logs });
});

afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

describe('trace index', () => {
  it('answers an empty list and an idle map before the store exists', async () => {
    // Act
    const list = await index.traces(RANGE, ALL);
    const map = await index.serviceMap(RANGE);

    // Assess
    expect(list).toEqual({ range: RANGE, total: 0, traces: [], routes: [] });
    expect(map.nodes).toEqual([]);
    expect(map.traceCount).toBe(0);
  });

  it('reads only what was appended since the last refresh', async () => {
    // Prepare
    const first = traceIdOf(T0, 1);
    const second = traceIdOf(T0 + 1_000, 2);
    await appendSegments(xray, requestSegments({ traceId: first, start: T0 }));
    const before = await index.traces(RANGE, ALL);

    // Act
    await appendSegments(
      xray,
      requestSegments({ traceId: second, start: T0 + 1_000, status: 404, route: '/todos/{id}' }),
    );
    const after = await index.traces(RANGE, ALL);

    // Assess
    expect(before.traces.map((trace) => trace.traceId)).toEqual([first]);
    expect(after.total).toBe(2);
    expect(after.traces.map((trace) => trace.traceId)).toEqual([second, first]);
    expect(after.traces[0]).toMatchObject({ status: 404, error: true, route: '/todos/{id}' });
    expect(after.routes).toEqual(['/todos', '/todos/{id}']);
  });

  it('keeps the list newest first when an older trace and earlier segments arrive late', async () => {
    // Prepare
    const newest = traceIdOf(T0 + 2_000, 11);
    const middle = traceIdOf(T0 + 1_000, 12);
    const oldest = traceIdOf(T0, 13);
    const middleDocuments = requestSegments({ traceId: middle, start: T0 + 1_000 });
    await appendSegments(xray, [
      ...requestSegments({ traceId: newest, start: T0 + 2_000 }),
      ...middleDocuments.filter((document) => document.origin === undefined),
    ]);
    await index.refresh();

    // Act: the Lambda segments start before the handler's span, so the middle trace starts earlier now.
    await appendSegments(xray, [
      ...requestSegments({ traceId: oldest, start: T0 }),
      ...middleDocuments.filter((document) => document.origin !== undefined),
    ]);
    const list = await index.traces(RANGE, ALL);

    // Assess
    expect(list.traces.map((trace) => trace.traceId)).toEqual([newest, middle, oldest]);
    expect(list.traces.map((trace) => trace.startTime)).toEqual([T0 + 2_000, T0 + 1_000, T0]);
  });

  it('leaves a line cut mid-write for the next refresh', async () => {
    // Prepare
    const traceId = traceIdOf(T0, 3);
    const text = storedLines(requestSegments({ traceId, start: T0, dynamodb: [{ operation: 'Query' }] }));
    const cut = text.length - 40;
    await mkdir(xray, { recursive: true });
    await writeFile(path.join(xray, 'segments.jsonl'), text.slice(0, cut));
    const partial = await index.trace(traceId);

    // Act
    await appendFile(path.join(xray, 'segments.jsonl'), text.slice(cut));
    const whole = await index.trace(traceId);

    // Assess: the function segment (with its phases) is the line that was cut.
    expect(partial!.spans.map((span) => span.name)).toEqual(['todos', 'GET /todos', 'DynamoDB']);
    expect(whole!.spans.map((span) => span.name)).toEqual([
      'todos',
      'todos',
      'Invocation',
      'GET /todos',
      'DynamoDB',
      'Overhead',
    ]);
    expect(whole!.summary.nodes).toEqual([
      'client',
      'api',
      'lambda:todos',
      'function:todos@1',
      'aws:DynamoDB',
    ]);
  });

  it('keeps the copy of a segment that arrived last', async () => {
    // Prepare
    const traceId = traceIdOf(T0, 4);
    const documents = requestSegments({ traceId, start: T0 });
    const handler = documents.find((document) => document.annotations !== undefined)!;
    const inProgress = { ...handler, end_time: undefined, in_progress: true, http: undefined };
    await appendSegments(xray, [inProgress]);
    const first = await index.traces(RANGE, ALL);

    // Act
    await appendSegments(xray, documents);
    const list = await index.traces(RANGE, ALL);
    const detail = await index.trace(traceId);

    // Assess
    expect(first.traces[0]!.status).toBeUndefined();
    expect(list.traces[0]!.status).toBe(200);
    expect(detail!.spans.filter((span) => span.id === handler.id)).toHaveLength(1);
    expect(detail!.spans.find((span) => span.id === handler.id)!.end).toBe(T0 + 36);
  });

  it('lists the spans of a trace in tree order with embedded subsegments and the request log lines', async () => {
    // Prepare
    const traceId = traceIdOf(T0, 5);
    const requestId = requestIdOf(traceId);
    await appendSegments(
      xray,
      requestSegments({ traceId, start: T0, cold: true, dynamodb: [{ operation: 'GetItem' }] }),
    );
    const stream = path.join(logs, 'todos', '2026', '11', '30');
    await mkdir(stream, { recursive: true });
    await writeFile(
      path.join(stream, `[1]${'a'.repeat(32)}`),
      [
        `2026-11-30T10:00:00.003Z\tSTART RequestId: ${requestId} Version: 1`,
        `2026-11-30T10:00:00.004Z\tSTART RequestId: req-other Version: 1`,
        `2026-11-30T10:00:00.010Z\t${JSON.stringify({ level: 'INFO', requestId, message: 'listed' })}`,
        `2026-11-30T10:00:00.011Z\t${JSON.stringify({ type: 'platform.runtimeDone', record: { requestId } })}`,
        `2026-11-30T10:00:00.012Z\t${JSON.stringify({ level: 'INFO', requestId: 'req-other' })}`,
        `2026-11-30T10:00:00.040Z\tREPORT RequestId: ${requestId}\tDuration: 37.00 ms\t`,
        `XRAY TraceId: ${traceId}\tSegmentId: 0\tSampled: true`,
        '',
      ].join('\n'),
    );
    // A stream of another version is not read for a version-1 request.
    await writeFile(
      path.join(stream, `[2]${'b'.repeat(32)}`),
      `2026-11-30T10:00:00.005Z\tSTART RequestId: ${requestId}\n`,
    );
    // Streams are read only when written since the request started, as they would have been.
    const written = new Date(T0 + 1_000);
    for (const name of [`[1]${'a'.repeat(32)}`, `[2]${'b'.repeat(32)}`]) {
      await utimes(path.join(stream, name), written, written);
    }

    // Act
    const detail = await index.trace(traceId);

    // Assess
    expect(detail!.spans.map((span) => [span.depth, span.name])).toEqual([
      [0, 'todos'],
      [1, 'todos'],
      [2, 'Initialization'],
      [2, 'Invocation'],
      [2, 'GET /todos'],
      [3, 'DynamoDB'],
      [2, 'Overhead'],
    ]);
    const dynamodb = detail!.spans.find((span) => span.name === 'DynamoDB')!;
    expect(dynamodb).toMatchObject({ namespace: 'aws', aws: { operation: 'GetItem', table_name: 'todos' } });
    expect(detail!.summary).toMatchObject({ coldStart: true, requestId, version: '1' });
    expect(detail!.logs.map((line) => line.message.split('\n')[0]!.slice(0, 20))).toEqual([
      'START RequestId: req',
      '{"level":"INFO","req',
      '{"type":"platform.ru',
      'REPORT RequestId: re',
    ]);
    expect(detail!.logs[3]!.message).toContain(`XRAY TraceId: ${traceId}`);
    expect(detail!.logs[0]!.logStream).toBe(`2026/11/30/[1]${'a'.repeat(32)}`);
  });

  it('answers undefined for a trace the store does not hold', async () => {
    // Act
    const detail = await index.trace(traceIdOf(T0, 999));

    // Assess
    expect(detail).toBeUndefined();
  });

  it('takes the HTTP API figures from the access log, joined by trace id or API request id', async () => {
    // Prepare
    const byTrace = traceIdOf(T0, 6);
    const byRequest = traceIdOf(T0 + 10, 7);
    await appendSegments(xray, [
      ...requestSegments({ traceId: byTrace, start: T0 }),
      ...requestSegments({ traceId: byRequest, start: T0 + 10, apiRequestId: 'api-7' }),
    ]);
    await index.refresh();
    const accessDir = path.join(logs, 'http-api-access');
    await mkdir(accessDir, { recursive: true });
    const line = (fields: object) => `2026-11-30T10:00:01.000Z\t${JSON.stringify(fields)}\n`;
    await writeFile(
      path.join(accessDir, '2026-11-30'),
      line({
        requestId: 'api-6',
        routeKey: 'GET /todos',
        status: '502',
        responseLatency: '900',
        integrationLatency: '850',
        traceId: `Root=${byTrace}`,
      }) +
        line({
          requestId: 'api-7',
          routeKey: 'GET /todos',
          status: 200,
          responseLatency: 70,
          integrationLatency: 60,
        }),
    );

    // Act
    const map = await index.serviceMap(RANGE);
    const list = await index.traces(RANGE, ALL);

    // Assess
    const api = map.nodes.find((node) => node.id === 'api')!;
    expect(api.stats).toMatchObject({ requests: 2, faultShare: 0.5, p50Ms: 70, p99Ms: 900, health: 'fault' });
    expect(map.edges.find((edge) => edge.id === 'api->lambda:todos')!.stats).toMatchObject({
      p50Ms: 60,
      p99Ms: 850,
    });
    expect(list.traces.find((trace) => trace.traceId === byTrace)).toMatchObject({
      status: 502,
      fault: true,
    });
  });
});
