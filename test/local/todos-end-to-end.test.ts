import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import createClient from 'openapi-fetch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { readStoredSegments } from '../../local/xray/trace-store';
import { eventually } from '../support/eventually';
import { documentedFetch } from '../support/openapi-contract';
import type { paths } from '../support/openapi-types';

// The built bundle (dist/functions/todos) and extension layer (dist/layer), as `npm test`
// builds them before running the tests: the real handler and the real extension process.
let stateDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'todos-e2e-'));
  sandbox = await startSandbox({ inMemory: true, stateDir, timeoutSec: 10 });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

async function readLogs(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  return (await Promise.all(files.map((file) => readFile(file, 'utf8')))).join('');
}

describe('todo API through the local sandbox', () => {
  it('creates, reads, lists and deletes a todo over real HTTP with the embedded DynamoDB', async () => {
    // Act
    const created = await documentedFetch(`${sandbox.apiUrl}/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'buy milk' }),
    });
    const todo = (await created.json()) as { id: string; text: string };
    const read = await documentedFetch(`${sandbox.apiUrl}/todos/${todo.id}`);
    const listed = await documentedFetch(`${sandbox.apiUrl}/todos`);
    const deleted = await documentedFetch(`${sandbox.apiUrl}/todos/${todo.id}`, { method: 'DELETE' });
    const gone = await documentedFetch(`${sandbox.apiUrl}/todos/${todo.id}`);

    // Assess
    expect(created.status).toBe(201);
    expect(todo.text).toBe('buy milk');
    expect(read.status).toBe(200);
    expect(((await read.json()) as { text: string }).text).toBe('buy milk');
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await listed.json())).toContain(todo.id);
    expect(deleted.status).toBeLessThan(300);
    expect(gone.status).toBe(404);
  });

  it('answers a path outside the route table with the documented 404 problem, and another method with 405', async () => {
    // Act: the $default route hands both to the function.
    const unknown = await documentedFetch(`${sandbox.apiUrl}/todo`);
    const wrongMethod = await documentedFetch(`${sandbox.apiUrl}/todos`, { method: 'DELETE' });

    // Assess
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { type: string }).type).toBe('urn:todos:problem:not-found');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('GET, POST');
  });

  it('serves its OpenAPI document, and the client typed from it creates, reads, updates and lists', async () => {
    // Prepare: every answer goes through the contract check too.
    const client = createClient<paths>({
      baseUrl: sandbox.apiUrl,
      fetch: (request) => documentedFetch(request),
    });

    // Act
    const description = await client.GET('/openapi.json');
    const created = await client.POST('/todos', { body: { id: 'typed-client', text: 'typed' } });
    const etag = created.response.headers.get('etag')!;
    const unchanged = await client.GET('/todos/{id}', {
      params: { path: { id: 'typed-client' }, header: { 'if-none-match': etag } },
    });
    const updated = await client.PATCH('/todos/{id}', {
      params: { path: { id: 'typed-client' }, header: { 'if-match': etag } },
      body: { done: true },
    });
    const stale = await client.PUT('/todos/{id}', {
      params: { path: { id: 'typed-client' }, header: { 'if-match': etag } },
      body: { text: 'too late', done: false },
    });
    const listed = await client.GET('/todos', { params: { query: { limit: 100 } } });

    // Assess
    expect(description.response.status).toBe(200);
    expect(description.data?.openapi).toBe('3.1.0');
    expect(created.data).toMatchObject({ id: 'typed-client', text: 'typed', done: false, version: 1 });
    expect(unchanged.response.status).toBe(304);
    expect(updated.data).toMatchObject({ done: true, version: 2 });
    expect(stale.response.status).toBe(412);
    expect(stale.error?.type).toBe('urn:todos:problem:precondition-failed');
    expect(listed.data?.find((todo) => todo.id === 'typed-client')?.done).toBe(true);
  });

  it("records the invocation in the function's log stream and as Lambda segments", async () => {
    // Prepare
    // Its time part is now's: X-Ray accepts trace ids of the last 30 days only.
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-00000000000000000000e2e1`;

    // Act
    const response = await documentedFetch(`${sandbox.apiUrl}/todos`, {
      headers: { 'x-amzn-trace-id': `Root=${root};Sampled=1` },
    });

    // Assess
    expect(response.status).toBe(200);
    const logs = await eventually(
      async () => {
        await sandbox.logs.flush();
        return readLogs(path.join(sandbox.paths.logs, 'todos'));
      },
      (text) => text.includes(`XRAY TraceId: ${root}`),
    );
    expect(logs).toMatch(
      /REPORT RequestId: [0-9a-f-]{36}\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 1024 MB/,
    );
    const origins = await eventually(
      async () => {
        await sandbox.traces.flush();
        const stored = await readStoredSegments(sandbox.paths.xray);
        return stored.filter((item) => item.document.trace_id === root).map((item) => item.document.origin);
      },
      (found) => found.length >= 2,
    );
    expect(origins).toEqual(expect.arrayContaining(['AWS::Lambda', 'AWS::Lambda::Function']));
  });
});
