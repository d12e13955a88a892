import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { readStoredSegments } from '../../local/xray/trace-store';
import { eventually } from '../support/eventually';

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
    const created = await fetch(`${sandbox.apiUrl}/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'buy milk' }),
    });
    const todo = (await created.json()) as { id: string; text: string };
    const read = await fetch(`${sandbox.apiUrl}/todos/${todo.id}`);
    const listed = await fetch(`${sandbox.apiUrl}/todos`);
    const deleted = await fetch(`${sandbox.apiUrl}/todos/${todo.id}`, { method: 'DELETE' });
    const gone = await fetch(`${sandbox.apiUrl}/todos/${todo.id}`);

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

  it('answers 404 for a path outside the route table without invoking the function', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/todo`);

    // Assess
    expect(response.status).toBe(404);
    expect(await response.json()).toEqual({ message: 'Not Found' });
  });

  it("records the invocation in the function's log stream and as Lambda segments", async () => {
    // Prepare
    const root = '1-6b09f000-00000000000000000000e2e1';

    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`, {
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
