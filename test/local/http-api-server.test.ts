import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { waitForTrace } from '../support/sandbox-traces';

const ECHO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo');

let stateDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'http-api-'));
  // The echo fixture answers HTTP API events with a structured response echoing the event;
  // /todos/slow takes 3 s, so a 1 s integration timeout stands in for API Gateway's 30 s.
  sandbox = await startSandbox({
    codeDir: ECHO,
    layers: [],
    inMemory: true,
    stateDir,
    timeoutSec: 10,
    integrationTimeoutMs: 1000,
  });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('HTTP API front door', () => {
  it('delivers a payload 2.0 event and maps the structured response, cookies included', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos/abc?tag=a&tag=b`, {
      headers: { cookie: 'session=1; theme=dark', 'x-multi': 'one' },
    });

    // Assess
    expect(response.status).toBe(201);
    expect(response.headers.get('x-echo')).toBe('yes');
    expect(response.headers.getSetCookie()).toEqual(['a=1', 'b=2']);
    expect(response.headers.get('apigw-requestid')).toMatch(/^[A-Za-z0-9+/]{15}=$/);
    const { event } = (await response.json()) as { event: Record<string, unknown> };
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /todos/{id}',
      pathParameters: { id: 'abc' },
      queryStringParameters: { tag: 'a,b' },
      cookies: ['session=1', 'theme=dark'],
      requestContext: { requestId: response.headers.get('apigw-requestid') },
    });
  });

  it('gives every request a fresh request id', async () => {
    // Act
    const first = (await (await fetch(`${sandbox.apiUrl}/todos/1`)).json()) as {
      event: { requestContext: { requestId: string } };
    };
    const second = (await (await fetch(`${sandbox.apiUrl}/todos/1`)).json()) as {
      event: { requestContext: { requestId: string } };
    };

    // Assess
    expect(first.event.requestContext.requestId).not.toBe(second.event.requestContext.requestId);
  });

  it('sends a request no route selects to the $default route, with no path parameters', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/nothing-here`, { method: 'DELETE' });

    // Assess
    expect(response.status).toBe(201);
    const { event } = (await response.json()) as { event: Record<string, unknown> };
    expect(event).toMatchObject({
      routeKey: '$default',
      rawPath: '/nothing-here',
      requestContext: { routeKey: '$default', http: { method: 'DELETE' } },
    });
    expect(event).not.toHaveProperty('pathParameters');
  });

  it('answers 502 Internal Server Error when the function fails', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos/fail`);

    // Assess
    expect(response.status).toBe(502);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
  });

  it('answers 504 when the integration outlasts the timeout', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos/slow`);

    // Assess
    expect(response.status).toBe(504);
  });

  it('answers 413 for a request body over 10 MB', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: Buffer.alloc(10 * 1024 * 1024 + 1),
    });

    // Assess
    expect(response.status).toBe(413);
    expect(await response.json()).toEqual({ message: 'Request Entity Too Large' });
  });

  it("honours the client's trace header and writes the Lambda segments with its ids", async () => {
    // Prepare
    // Its time part is now's: X-Ray accepts trace ids of the last 30 days only.
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-1e9a6d9f968371d614fe4ea9`;
    const clientSegment = '53995c3f42cd8ad8';

    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos/traced`, {
      headers: { 'x-amzn-trace-id': `Root=${root};Parent=${clientSegment};Sampled=1` },
    });
    const { traceId } = (await response.json()) as { traceId: string };

    // Assess
    const segments = await waitForTrace(sandbox, root, (found) => found.length >= 2);
    const service = segments.find((stored) => stored.document.origin === 'AWS::Lambda')!.document;
    const fn = segments.find((stored) => stored.document.origin === 'AWS::Lambda::Function')!.document;
    expect(service.parent_id).toBe(clientSegment);
    expect(fn.parent_id).toBe(service.id);
    expect(traceId).toBe(`Root=${root};Parent=${fn.id};Sampled=1`);
    expect(fn.subsegments?.map((sub) => sub.name)).toEqual(
      expect.arrayContaining(['Invocation', 'Overhead']),
    );
  });

  it('starts a new sampled trace when the client sends none', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos/untraced`);
    const { traceId } = (await response.json()) as { traceId: string };

    // Assess
    expect(traceId).toMatch(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24};Parent=[0-9a-f]{16};Sampled=1$/);
  });
});

describe('the $default route, with the built todo function behind it', () => {
  // The real handler (`node scripts/build.mjs function`): its router answers what no route selects.
  let todos: Sandbox;
  let todosState: string;
  beforeAll(async () => {
    todosState = await mkdtemp(path.join(tmpdir(), 'http-api-default-'));
    todos = await startSandbox({ inMemory: true, stateDir: todosState, layers: [] });
  }, 120_000);
  afterAll(async () => {
    await todos?.close();
    await rm(todosState, { recursive: true, force: true });
  });

  it('answers DELETE /todos with a problem+json 405 and Allow, from the function', async () => {
    // Act
    const response = await fetch(`${todos.apiUrl}/todos`, { method: 'DELETE' });

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('allow')?.split(/,\s*/).sort()).toEqual(['GET', 'POST']);
    expect(await response.json()).toMatchObject({
      type: 'urn:todos:problem:method-not-allowed',
      status: 405,
    });
  });

  it('answers a path outside the route table with a problem+json 404', async () => {
    // Act
    const response = await fetch(`${todos.apiUrl}/nope`);

    // Assess
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ type: 'urn:todos:problem:not-found', status: 404 });
  });

  it('routes an OPTIONS request that is not a preflight to the function: 405 with Allow', async () => {
    // Act
    const response = await fetch(`${todos.apiUrl}/todos`, { method: 'OPTIONS' });

    // Assess
    expect(response.status).toBe(405);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});
