import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig, type TodoConfig } from '../../functions/todos/config';
import { createDynamoDBClient } from '../../functions/todos/dynamodb-client';
import { createHandler, type TodoHandler } from '../../functions/todos/handler';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../local/dynamodb';
import {
  type DynamoDBFaultProxy,
  type Fault,
  startDynamoDBFaultProxy,
} from '../../local/faults/dynamodb-fault-proxy';
import type { HttpApiEventInit } from '../support/http-api-event';
import { expectDocumentedResponse } from '../support/openapi-contract';
import { type InvokeResult, invokeWith, LOCAL_CREDENTIALS } from '../support/todo-api';
import { TableReader } from './support/table-snapshot';

/**
 * Short limits, so that a fault costs a fraction of a second: 2 attempts x (200 ms connect +
 * 300 ms request) plus the SDK's backoff stays far below any function timeout. The sandbox
 * test below runs the built bundle with its production limits instead.
 */
const FAST_LIMITS = { connectionTimeoutMs: 200, requestTimeoutMs: 300, maxAttempts: 2 };
/** Longer than the request timeout: every attempt gives up waiting. */
const SLOW_DELAY_MS = 900;

const FAULTS: readonly { readonly name: string; readonly fault: Fault; readonly retryAfter: string }[] = [
  { name: 'down (connections reset)', fault: { mode: 'down', how: 'reset' }, retryAfter: '5' },
  { name: 'down (connections refused)', fault: { mode: 'down', how: 'refuse' }, retryAfter: '5' },
  {
    name: 'slow (answers after the request timeout)',
    fault: { mode: 'slow', delayMs: SLOW_DELAY_MS },
    retryAfter: '5',
  },
  {
    name: 'throttling (ThrottlingException)',
    fault: { mode: 'throttle', exception: 'ThrottlingException' },
    retryAfter: '1',
  },
  {
    name: 'throttling (ProvisionedThroughputExceededException)',
    fault: { mode: 'throttle', exception: 'ProvisionedThroughputExceededException' },
    retryAfter: '1',
  },
];

type Stored = { readonly id: string; readonly etag: string; readonly version: number };

/** The six routes, each aimed at a todo made for it. */
const OPERATIONS: readonly { readonly name: string; readonly request: (todo: Stored) => HttpApiEventInit }[] =
  [
    {
      name: 'POST /todos',
      request: (todo) => ({ method: 'POST', path: '/todos', body: { id: `${todo.id}-new`, text: 'new' } }),
    },
    { name: 'GET /todos', request: () => ({ method: 'GET', path: '/todos', query: { limit: '2' } }) },
    { name: 'GET /todos/{id}', request: (todo) => ({ method: 'GET', path: `/todos/${todo.id}` }) },
    {
      name: 'PUT /todos/{id}',
      request: (todo) => ({
        method: 'PUT',
        path: `/todos/${todo.id}`,
        headers: { 'if-match': todo.etag },
        body: { text: 'replaced', done: true },
      }),
    },
    {
      name: 'PATCH /todos/{id}',
      request: (todo) => ({
        method: 'PATCH',
        path: `/todos/${todo.id}`,
        headers: { 'if-match': todo.etag },
        body: { done: true },
      }),
    },
    {
      name: 'DELETE /todos/{id}',
      request: (todo) => ({
        method: 'DELETE',
        path: `/todos/${todo.id}`,
        headers: { 'if-match': todo.etag },
      }),
    },
  ];

const TODO_FIELDS = ['createdAt', 'done', 'id', 'owner', 'seq', 'text', 'updatedAt', 'version'];

let dynamodb: EmbeddedDynamoDB;
let proxy: DynamoDBFaultProxy;
let table: TableReader;
let handler: TodoHandler;
const clients: { destroy(): void }[] = [];
const tableName = `faults-${randomUUID().slice(0, 8)}`;
let faultsSurvived = 0;

beforeAll(async () => {
  dynamodb = await startEmbeddedDynamoDB({ tables: [tableName] });
  proxy = await startDynamoDBFaultProxy({ upstream: dynamodb.endpoint });
  table = new TableReader(dynamodb.endpoint, tableName);
  handler = makeHandler();
  // 503s are logged with their cause on purpose; keep them out of the test output.
  vi.spyOn(console, 'warn').mockImplementation(() => {});
});

afterEach(async () => {
  await proxy.setFault({ mode: 'pass' });
});

afterAll(async () => {
  vi.restoreAllMocks();
  for (const client of clients) client.destroy();
  table?.close();
  await proxy?.close();
  await dynamodb?.close();
  console.info(
    `DynamoDB faults: ${faultsSurvived} faulted requests answered 503 with Retry-After, proxy counts ${JSON.stringify(proxy.counts())}`,
  );
});

/**
 * A handler with its own DynamoDB client, pointed at the proxy (in a deployment
 * AWS_ENDPOINT_URL_DYNAMODB does this; see the sandbox test).
 */
function makeHandler(): TodoHandler {
  return createHandler({
    config: (): TodoConfig => ({
      ...loadConfig({ TABLE_NAME: tableName, AWS_REGION: 'us-east-1', CURSOR_SECRET: 'faults' }),
      dynamoDB: FAST_LIMITS,
    }),
    dynamoDBClient: (config) => {
      const client = createDynamoDBClient(config, {
        endpoint: proxy.endpoint,
        credentials: LOCAL_CREDENTIALS,
      });
      clients.push(client);
      return client;
    },
  });
}

/** Invokes the handler; every answer, 503s included, must be the one the OpenAPI document describes. */
async function invoke(init: HttpApiEventInit): Promise<InvokeResult> {
  const result = await invokeWith(handler, init);
  expectDocumentedResponse({ ...result, method: init.method, path: init.path, body: result.body ?? '' });
  return result;
}

async function createTodo(id: string): Promise<Stored> {
  const created = await invoke({ method: 'POST', path: '/todos', body: { id, text: `todo ${id}` } });
  expect(created.status).toBe(201);
  return { id, etag: created.headers.etag!, version: 1 };
}

/** Every item whole: all attributes present, a positive integer version. */
async function expectWholeItems(): Promise<void> {
  for (const item of (await table.items()).values()) {
    expect(Object.keys(item).sort()).toEqual(TODO_FIELDS);
    expect(Number.isInteger(item.version) && (item.version as number) >= 1).toBe(true);
  }
}

describe('the handler when DynamoDB fails behind a fault-injecting proxy', () => {
  describe.each(FAULTS)('$name', ({ name, fault, retryAfter }) => {
    it.each(OPERATIONS)(
      `answers $name with 503 and Retry-After: ${retryAfter}, leaves no partial write, and recovers`,
      async (operation) => {
        // Prepare
        const todo = await createTodo(`f-${randomUUID().slice(0, 12)}`);
        const before = await table.items();
        await proxy.setFault(fault);

        // Act
        const failed = await invoke(operation.request(todo));
        await proxy.setFault({ mode: 'pass' });
        const afterFault = await table.items();
        const recovered = await invoke(operation.request(todo));

        // Assess
        expect(failed.status, failed.body).toBe(503);
        expect(failed.headers['retry-after']).toBe(retryAfter);
        expect(failed.headers['content-type']).toBe('application/problem+json');
        expect(failed.json).toMatchObject({ status: 503, instance: failed.requestId });
        expect(failed.body).not.toMatch(/Exception|ECONN|socket|127\.0\.0\.1|TimeoutError/);
        if (fault.mode === 'slow') {
          // The request reached the server and only the answer was late: a conditional write may
          // have been applied once (never twice), which is all the client may assume after a 503.
          const mine = afterFault.get(`default/${todo.id}`);
          if (mine) expect([1, 2]).toContain(mine.version);
          await expectWholeItems();
        } else {
          // The server never saw the request: nothing changed.
          expect(afterFault).toEqual(before);
        }
        faultsSurvived += 1;
        const appliedDuringFault =
          fault.mode === 'slow' && JSON.stringify([...afterFault]) !== JSON.stringify([...before]);
        if (appliedDuringFault) {
          // The write landed: retrying it hits the new state, as with DynamoDB itself.
          expect([200, 201, 204, 404, 409, 412], `${name}: ${recovered.body}`).toContain(recovered.status);
        } else {
          expect(recovered.status, recovered.body).toBeLessThan(300);
        }
        await expectWholeItems();
      },
    );
  });

  it('answers a slow but timely DynamoDB normally', async () => {
    // Prepare: held back less than the 300 ms request timeout.
    const todo = await createTodo(`s-${randomUUID().slice(0, 12)}`);
    await proxy.setFault({ mode: 'slow', delayMs: 100 });

    // Act
    const patched = await invoke({
      method: 'PATCH',
      path: `/todos/${todo.id}`,
      headers: { 'if-match': todo.etag },
      body: { done: true },
    });

    // Assess
    expect(patched.status).toBe(200);
    expect(patched.json).toMatchObject({ done: true, version: 2 });
  });
});
