import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OWNER } from '../../functions/todos/http-request';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { expectDocumentedResponse } from '../support/openapi-contract';
import { assertProperty, CASES_TRIED } from './support/fuzz-run';
import { RELIABILITY_CONFIG } from './support/reliability-config';
import {
  type FuzzRequest,
  type KnownValues,
  METHODS,
  requestArbitrary,
  requestEcho,
} from './support/request-arbitraries';
import { expectSoundAnswer, type ObservedResponse } from './support/response-invariants';
import { TableReader } from './support/table-snapshot';

// Real HTTP to the sandbox's HTTP API front door, the built bundle in its execution
// environments, the embedded DynamoDB behind it.
let sandbox: Sandbox;
let stateDir: string;
let table: TableReader;
let known: KnownValues;

/** Methods HTTP/1.1 parsers accept on a request line; others never reach a server. */
const WIRE_METHODS = new Set(METHODS.map((method) => method.toUpperCase()));

/** The method a request goes out with on the wire. */
const wireMethod = (request: FuzzRequest) =>
  WIRE_METHODS.has(request.method.toUpperCase()) ? request.method.toUpperCase() : 'GET';

function send(request: FuzzRequest): Promise<ObservedResponse> {
  const target = new URL(sandbox.apiUrl);
  const method = wireMethod(request);
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      {
        host: target.hostname,
        port: target.port,
        method,
        path: request.query ? `${request.path}?${request.query}` : request.path,
        // Node frames a GET or DELETE body only when told its length; unframed, it would be read as the next request.
        headers: {
          ...request.headers,
          ...(request.body !== undefined
            ? { 'content-length': String(Buffer.byteLength(request.body)) }
            : {}),
        },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: Object.fromEntries(
              Object.entries(response.headers).map(([name, value]) => [name, String(value)]),
            ),
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        response.on('error', reject);
      },
    );
    outgoing.on('error', reject);
    outgoing.end(request.body);
  });
}

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'todos-front-door-fuzz-'));
  sandbox = await startSandbox({ inMemory: true, stateDir, timeoutSec: 10, concurrency: 2 });
  table = new TableReader(sandbox.dynamodbEndpoint, 'todos');
  const ids = ['missing-id'];
  const etags: string[] = [];
  for (const index of [1, 2, 3]) {
    const created = await fetch(`${sandbox.apiUrl}/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `front-${index}`, text: `seed ${index}` }),
    });
    expect(created.status).toBe(201);
    ids.push(`front-${index}`);
    etags.push(created.headers.get('etag')!);
  }
  const page = await fetch(`${sandbox.apiUrl}/todos?limit=1`);
  const cursor = /cursor=([^&>]+)/.exec(page.headers.get('link') ?? '')?.[1];
  expect(cursor).toBeDefined();
  known = { ids, etags, cursors: [decodeURIComponent(cursor!)] };
});

afterAll(async () => {
  table?.close();
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
  console.info(`front door fuzz: ${CASES_TRIED.get('front door request') ?? 0} cases over real HTTP`);
});

describe('the HTTP front door under generated hostile requests', () => {
  it(
    'never answers 5xx; the function answers errors as problem+json with the request id, and refusals change nothing',
    async () => {
      await assertProperty('front door request', requestArbitrary(known), async (request) => {
        // Prepare
        const before = await table.snapshot();

        // Act
        const response = await send(request);

        // Assess
        const context = `${request.method} ${request.path}?${request.query} → ${response.status} ${response.body.slice(0, 200)}`;
        const requestId = response.headers['apigw-requestid'];
        expect(requestId, context).toBeTruthy();
        expect(response.status, context).toBeLessThan(500);
        // A HEAD answer is the same answer without a body to check.
        if (response.body !== '' || response.status < 400) {
          // API Gateway's own answers (over its size limit) carry no x-request-id; the document
          // describes them as well as the function's.
          if (response.headers['x-request-id'] !== undefined) {
            expectSoundAnswer(response, requestId!, requestEcho(request));
          }
          expectDocumentedResponse({ ...response, method: wireMethod(request), path: request.path });
        }
        if (response.status >= 300 || request.method.toUpperCase() === 'GET') {
          expect(await table.snapshot(), context).toEqual(before);
        }
        if (response.status === 201) {
          await table.remove(DEFAULT_OWNER, (JSON.parse(response.body) as { id: string }).id);
        }
      });
    },
    RELIABILITY_CONFIG.propertyTimeoutMs,
  );
});
