import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TraceIndex } from '../../local/console/traces/trace-index';
import { parseTraceQuery } from '../../local/console/traces/trace-query';
import { type Sandbox, startSandbox } from '../../local/sandbox';

// The built handler and extension layer in the real sandbox, as `npm test` builds them: the
// index reads the store and the log streams the sandbox wrote.
let stateDir: string;
let sandbox: Sandbox;
let index: TraceIndex;
const started = Date.now();
const roots = {
  create: '',
  list: '',
  read: '',
  missing: '',
};
let statuses: Record<keyof typeof roots, number>;

const rootOf = (n: number) =>
  `1-${Math.floor(Date.now() / 1000).toString(16)}-${'0'.repeat(20)}c0${n.toString(16).padStart(2, '0')}`;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'trace-sandbox-'));
  sandbox = await startSandbox({ inMemory: true, stateDir, timeoutSec: 10 });
  index = new TraceIndex({ xrayDirectory: sandbox.paths.xray, logsDirectory: sandbox.paths.logs });
  const send = async (name: keyof typeof roots, n: number, url: string, init: RequestInit = {}) => {
    roots[name] = rootOf(n);
    const response = await fetch(`${sandbox.apiUrl}${url}`, {
      ...init,
      headers: { ...init.headers, 'x-amzn-trace-id': `Root=${roots[name]};Sampled=1` },
    });
    return { status: response.status, body: await response.text() };
  };
  const create = await send('create', 1, '/todos', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ text: 'a' }),
  });
  const { id } = JSON.parse(create.body) as { id: string };
  statuses = {
    create: create.status,
    list: (await send('list', 2, '/todos')).status,
    read: (await send('read', 3, `/todos/${id}`)).status,
    missing: (await send('missing', 4, '/todos/no-such-todo')).status,
  };
  // The extension may hold the last invocations' spans until the next invoke or SHUTDOWN; closing
  // the sandbox runs SHUTDOWN, whose flush puts every span, segment and log line on disk.
  await sandbox.close();
});

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
});

const range = () => ({ from: started - 60_000, to: Date.now() + 60_000 });

describe('trace index over a real sandbox store', () => {
  it('draws Client → HTTP API → Lambda → function → DynamoDB with the requests sent', async () => {
    // Prepare
    const all = parseTraceQuery(new URLSearchParams());

    // Act
    const map = await index.serviceMap(range());
    const list = await index.traces(range(), all);

    // Assess
    expect(statuses).toEqual({ create: 201, list: 200, read: 200, missing: 404 });
    expect(map.traceCount).toBe(4);
    const requests = Object.fromEntries(map.nodes.map((node) => [node.id, node.stats.requests]));
    expect(requests).toMatchObject({ client: 4, api: 4, 'lambda:todos': 4, 'function:todos': 4 });
    expect(requests['aws:DynamoDB']).toBeGreaterThanOrEqual(4);
    expect(map.edges.map((edge) => edge.id)).toEqual([
      'client->api',
      'api->lambda:todos',
      'lambda:todos->function:todos',
      'function:todos->aws:DynamoDB',
    ]);
    expect(map.nodes.find((node) => node.id === 'function:todos')!.stats.errorShare).toBe(0.25);
    const byRoot = new Map(list.traces.map((trace) => [trace.traceId, trace]));
    expect(byRoot.get(roots.create)).toMatchObject({
      method: 'POST',
      route: '/todos',
      status: 201,
      version: '1',
    });
    expect(byRoot.get(roots.missing)).toMatchObject({
      route: '/todos/{id}',
      status: 404,
      error: true,
      fault: false,
    });
    expect(list.routes).toEqual(['/todos', '/todos/{id}']);
  });

  it("shows a trace's DynamoDB call and its request's log lines", async () => {
    // Act
    const detail = await index.trace(roots.create);

    // Assess
    const requestId = detail!.summary.requestId!;
    const dynamodb = detail!.spans.find((span) => span.namespace === 'aws')!;
    const handler = detail!.spans.find((span) => span.name === 'POST /todos')!;
    expect(dynamodb).toMatchObject({
      name: 'DynamoDB',
      parentId: handler.id,
      aws: { operation: 'PutItem', table_name: 'todos' },
    });
    expect(dynamodb.depth).toBe(handler.depth + 1);
    expect(detail!.spans[0]).toMatchObject({ origin: 'AWS::Lambda', depth: 0 });
    expect(detail!.logs[0]!.message).toBe(`START RequestId: ${requestId} Version: 1`);
    expect(detail!.logs.every((line) => line.message.includes(requestId))).toBe(true);
    expect(detail!.logs.some((line) => line.message.startsWith(`END RequestId: ${requestId}`))).toBe(true);
  });
});
