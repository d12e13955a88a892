/**
 * The deployable artifact, not the sources: `dist/functions/todos/index.mjs` is
 * loaded in its own Node process configured only through the environment, as
 * Lambda configures it, and serves HTTP API v2 events against dynalite.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedDynamoDB } from '../../local/dynamodb';
import { type HttpApiEventInit, httpApiEvent } from '../support/http-api-event';
import { type InvokeResult, LOCAL_CREDENTIALS, parseResult } from '../support/todo-api';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bundle = path.join(root, 'dist/functions/todos/index.mjs');
const sources = path.join(root, 'functions/todos');
const LAMBDA_TRACE_HEADER = 'Root=1-67890abc-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1';

/** Builds the function when the bundle is missing or older than a source file (`npm test` builds first). */
function ensureBuilt(): void {
  const built = existsSync(bundle) ? statSync(bundle).mtimeMs : 0;
  const newest = Math.max(...readdirSync(sources).map((file) => statSync(path.join(sources, file)).mtimeMs));
  if (built < newest)
    execFileSync(process.execPath, [path.join(root, 'scripts/build.mjs'), 'function'], { cwd: root });
}

/**
 * Reads one event per stdin line, writes one result per line to fd 3: stdout is
 * the function's log, where EMF lands when no telemetry extension is running.
 * The child only sees the variables Lambda would give it.
 */
const RUNNER = `
import { createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
const results = createWriteStream('', { fd: 3 });
const { handler } = await import(process.argv[1]);
for await (const line of createInterface({ input: process.stdin })) {
  results.write(JSON.stringify(await handler(JSON.parse(line), {})) + '\\n');
}
`;

describe('built bundle', () => {
  let child: ChildProcess;
  let results: AsyncIterator<string>;
  let closeDynamoDB: () => Promise<void>;
  let stderr = '';

  beforeAll(async () => {
    ensureBuilt();
    const dynamodb = await startEmbeddedDynamoDB({ tables: ['todos-bundle'] });
    closeDynamoDB = dynamodb.close;
    child = spawn(process.execPath, ['--input-type=module', '-e', RUNNER, bundle], {
      stdio: ['pipe', 'ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH,
        TABLE_NAME: 'todos-bundle',
        AWS_REGION: 'us-east-1',
        AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
        AWS_ACCESS_KEY_ID: LOCAL_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: LOCAL_CREDENTIALS.secretAccessKey,
        _X_AMZN_TRACE_ID: LAMBDA_TRACE_HEADER,
      },
    });
    // Drained so that a chatty child never blocks on a full pipe; shown if it dies.
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    results = createInterface({ input: child.stdio[3] as Readable })[Symbol.asyncIterator]();
  });

  afterAll(async () => {
    child.stdin!.end();
    if (child.exitCode === null) {
      await new Promise((resolve) => child.once('exit', resolve));
    }
    await closeDynamoDB();
  });

  async function invoke(init: HttpApiEventInit): Promise<InvokeResult> {
    const event = httpApiEvent(init);
    child.stdin!.write(`${JSON.stringify(event)}\n`);
    const line = await results.next();
    if (line.done) throw new Error(`the bundle process exited (code ${child.exitCode}): ${stderr}`);
    const result = JSON.parse(line.value) as APIGatewayProxyStructuredResultV2;
    return parseResult(result, event.requestContext.requestId, event.headers['x-amzn-trace-id']);
  }

  it('serves every route from HTTP API v2 events, configured only by the environment', async () => {
    // Act
    const created = await invoke({
      method: 'POST',
      path: '/todos',
      body: { id: 'from-bundle', text: 'built' },
    });
    const second = await invoke({ method: 'POST', path: '/todos', body: { text: 'second' } });
    const fetched = await invoke({ method: 'GET', path: '/todos/from-bundle' });
    const firstPage = await invoke({ method: 'GET', path: '/todos', query: { limit: '1' } });
    const replaced = await invoke({
      method: 'PUT',
      path: '/todos/from-bundle',
      headers: { 'if-match': created.headers.etag! },
      body: { text: 'replaced', done: false },
    });
    const stale = await invoke({
      method: 'PATCH',
      path: '/todos/from-bundle',
      headers: { 'if-match': created.headers.etag! },
      body: { done: true },
    });
    const patched = await invoke({ method: 'PATCH', path: '/todos/from-bundle', body: { done: true } });
    const deleted = await invoke({ method: 'DELETE', path: '/todos/from-bundle' });
    const gone = await invoke({ method: 'GET', path: '/todos/from-bundle' });

    // Assess
    expect(created.status).toBe(201);
    expect(second.status).toBe(201);
    expect(fetched.json).toMatchObject({ id: 'from-bundle', text: 'built', version: 1 });
    expect(firstPage.json).toMatchObject([{ id: 'from-bundle' }]);
    expect(firstPage.headers.link).toMatch(/^<\/todos\?limit=1&cursor=[\w.-]+>; rel="next"$/);
    expect(replaced.json).toMatchObject({ text: 'replaced', version: 2 });
    expect(stale.status).toBe(412);
    expect(patched.json).toMatchObject({ text: 'replaced', done: true, version: 3 });
    expect(deleted.status).toBe(204);
    expect(gone.status).toBe(404);
  });

  it('echoes the Lambda trace header from _X_AMZN_TRACE_ID when the event has none', async () => {
    // Act
    const result = await invoke({ method: 'GET', path: '/todos', traceHeader: null });

    // Assess
    expect(result.headers['x-request-id']).toBe(result.requestId);
    expect(result.headers['x-amzn-trace-id']).toBe(LAMBDA_TRACE_HEADER);
  });

  it('answers problems from the bundle too', async () => {
    // Act
    const result = await invoke({ method: 'PUT', path: '/todos' });

    // Assess
    expect(result.status).toBe(405);
    expect(result.headers.allow).toBe('GET, POST');
    expect(result.json).toMatchObject({ status: 405, instance: result.requestId });
  });
});
