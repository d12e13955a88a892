import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import type { StoredSegment } from '../../local/xray/trace-store';
import { waitForTrace } from '../support/sandbox-traces';

// The built todo handler (dist/functions/todos, instrumented) and the built extension layer
// (dist/layer), as `npm test` builds them, in the local sandbox with the embedded DynamoDB.
let stateDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'todos-traces-'));
  sandbox = await startSandbox({ inMemory: true, stateDir, timeoutSec: 10 });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
});

const traceOf = (root: string, done: (segments: StoredSegment[]) => boolean) =>
  waitForTrace(sandbox, root, done);

describe('todo API traces through the extension', () => {
  it('shows Lambda → function → handler → DynamoDB for a request to /todos', async () => {
    // Prepare
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${'0'.repeat(20)}7d05`;

    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`, {
      headers: { 'x-amzn-trace-id': `Root=${root};Sampled=1` },
    });
    const segments = await traceOf(
      root,
      (all) =>
        all.some((s) => s.source === 'put-trace-segments' && s.document.namespace === 'aws') &&
        all.some((s) => s.document.origin === 'AWS::Lambda::Function'),
    );

    // Assess
    expect(response.status).toBe(200);
    const lambda = segments.find((s) => s.document.origin === 'AWS::Lambda')!.document;
    const fn = segments.find((s) => s.document.origin === 'AWS::Lambda::Function')!.document;
    const exported = segments.filter((s) => s.source === 'put-trace-segments').map((s) => s.document);
    const handler = exported.find((doc) => doc.parent_id === fn.id)!;
    const dynamodb = exported.find((doc) => doc.namespace === 'aws')!;
    expect(fn.parent_id).toBe(lambda.id);
    expect(handler).toMatchObject({
      type: 'subsegment',
      annotations: { route: '/todos' },
      http: { response: { status: 200 } },
    });
    expect(dynamodb).toMatchObject({
      name: 'DynamoDB',
      type: 'subsegment',
      parent_id: handler.id,
      aws: { operation: 'Query', table_name: 'todos' },
    });
  });
});
