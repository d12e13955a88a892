import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import type { StoredSegment } from '../../local/xray/trace-store';
import { waitForTrace } from '../support/sandbox-traces';

// The built extension layer (dist/layer, as `npm test` builds it) runs as a real process in the
// local sandbox. The function is a few lines of plain JavaScript that sends the spans a traced
// handler would send (an entry span under the trace header's Parent and a DynamoDB client span
// that failed), without waiting for the send, as the handler telemetry does.
const PROBE_FUNCTION = `
import { request } from 'node:http';
const hex = (n) => Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');
const attr = (key, value) => ({ key, value: typeof value === 'string' ? { stringValue: value } : typeof value === 'boolean' ? { boolValue: value } : { intValue: String(value) } });
export const handler = async () => {
  const header = process.env._X_AMZN_TRACE_ID ?? '';
  const root = /Root=1-([0-9a-f]{8})-([0-9a-f]{24})/.exec(header);
  const parent = /Parent=([0-9a-f]{16})/.exec(header)?.[1];
  if (root && /Sampled=1/.test(header)) {
    const traceId = root[1] + root[2];
    const start = BigInt(Date.now()) * 1000000n;
    const serverId = hex(16);
    const spans = [
      { traceId, spanId: serverId, parentSpanId: parent, name: 'GET /todos', kind: 2,
        startTimeUnixNano: String(start), endTimeUnixNano: String(start + 5000000n),
        attributes: [attr('http.route', '/todos'), attr('http.request.method', 'GET'), attr('http.response.status_code', 200), attr('faas.coldstart', true)] },
      { traceId, spanId: hex(16), parentSpanId: serverId, name: 'DynamoDB.Query', kind: 3,
        startTimeUnixNano: String(start + 1000000n), endTimeUnixNano: String(start + 4000000n),
        attributes: [attr('rpc.system', 'aws-api'), attr('rpc.service', 'DynamoDB'), attr('rpc.method', 'Query'),
          { key: 'aws.dynamodb.table_names', value: { arrayValue: { values: [{ stringValue: 'todos' }] } } },
          attr('http.response.status_code', 500)],
        status: { code: 2, message: 'Internal error' } },
    ];
    const req = request('http://' + (process.env.TELEMETRY_RECEIVER_ADDRESS ?? '127.0.0.1:4318') + '/v1/traces', { method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => {});
    req.end(JSON.stringify({ resourceSpans: [{ resource: { attributes: [attr('service.name', 'probe')] }, scopeSpans: [{ scope: { name: 'probe' }, spans }] }] }));
  }
  return { statusCode: 200, body: 'ok' };
};
`;

let stateDir: string;
let sandbox: Sandbox;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'extension-e2e-'));
  const codeDir = path.join(stateDir, 'code');
  await mkdir(codeDir);
  await writeFile(path.join(codeDir, 'index.mjs'), PROBE_FUNCTION);
  sandbox = await startSandbox({
    inMemory: true,
    stateDir,
    codeDir,
    handler: 'index.handler',
    timeoutSec: 10,
  });
});

afterAll(async () => {
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
});

const segmentsOf = (root: string, done: (segments: StoredSegment[]) => boolean) =>
  waitForTrace(sandbox, root, done);

describe('telemetry extension in the local sandbox', () => {
  it('exports the invocation spans with PutTraceSegments under the Lambda function segment, DynamoDB as an aws node with its fault', async () => {
    // Prepare
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${'0'.repeat(20)}e2e5`;

    // Act: whatever the post-runtime budget did not export (a cold extension's first export under
    // the function's CPU share may not fit it), SHUTDOWN flushes.
    const response = await fetch(`${sandbox.apiUrl}/todos`, {
      headers: { 'x-amzn-trace-id': `Root=${root};Sampled=1` },
    });
    await sandbox.close();
    const segments = await segmentsOf(
      root,
      (all) =>
        all.filter((s) => s.source === 'put-trace-segments').length >= 2 &&
        all.some((s) => s.document.origin === 'AWS::Lambda::Function'),
    );

    // Assess
    expect(response.status).toBe(200);
    const functionSegment = segments.find((s) => s.document.origin === 'AWS::Lambda::Function')!.document;
    const exported = segments.filter((s) => s.source === 'put-trace-segments').map((s) => s.document);
    const handler = exported.find((doc) => doc.parent_id === functionSegment.id);
    expect(handler).toMatchObject({
      type: 'subsegment',
      name: 'GET /todos',
      annotations: { route: '/todos', cold_start: true },
    });
    const dynamodb = exported.find((doc) => doc.namespace === 'aws');
    expect(dynamodb).toMatchObject({
      type: 'subsegment',
      name: 'DynamoDB',
      parent_id: handler!.id,
      aws: { operation: 'Query', table_name: 'todos' },
      fault: true,
    });
  });
});
