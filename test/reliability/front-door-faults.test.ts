import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_OWNER } from '../../functions/todos/http-request';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../local/dynamodb';
import { type DynamoDBFaultProxy, startDynamoDBFaultProxy } from '../../local/faults/dynamodb-fault-proxy';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { TableReader } from './support/table-snapshot';

// The built bundle in the sandbox, with its production DynamoDB limits (3 attempts x 2 s),
// reaching DynamoDB through the fault proxy: the sandbox hands the function
// AWS_ENDPOINT_URL_DYNAMODB=<proxy>, as a deployment would point it at a regional endpoint.
const FUNCTION_TIMEOUT_SEC = 10;

let dynamodb: EmbeddedDynamoDB;
let proxy: DynamoDBFaultProxy;
let sandbox: Sandbox;
let table: TableReader;
let stateDir: string;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'todos-front-door-faults-'));
  dynamodb = await startEmbeddedDynamoDB({ tables: ['todos'] });
  proxy = await startDynamoDBFaultProxy({ upstream: dynamodb.endpoint });
  sandbox = await startSandbox({
    stateDir,
    timeoutSec: FUNCTION_TIMEOUT_SEC,
    concurrency: 2,
    dynamodbEndpoint: proxy.endpoint,
  });
  table = new TableReader(dynamodb.endpoint, 'todos');
});

afterAll(async () => {
  table?.close();
  await sandbox?.close();
  await proxy?.close();
  await dynamodb?.close();
  await rm(stateDir, { recursive: true, force: true });
});

const create = (id: string) =>
  fetch(`${sandbox.apiUrl}/todos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, text: `todo ${id}` }),
  });

describe('the deployed bundle when DynamoDB fails, through the HTTP front door', () => {
  it('answers 503 with Retry-After from the function itself, inside its timeout, while DynamoDB holds every answer back', async () => {
    // Prepare: answers held 20 s, longer than the function's 10 s timeout.
    await proxy.setFault({ mode: 'slow', delayMs: 20_000 });

    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos/held`);
    const problem = (await response.json()) as Record<string, unknown>;
    await proxy.setFault({ mode: 'pass' });

    // Assess: a 503 problem carrying the request id can only come from the function, so its SDK gave up
    // before the sandbox ended the invocation (which would have been API Gateway's 502 or 504).
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('5');
    expect(response.headers.get('x-request-id')).toBe(response.headers.get('apigw-requestid'));
    expect(problem).toMatchObject({ status: 503, instance: response.headers.get('apigw-requestid') });
  });

  it('answers 503 with Retry-After: 1 while DynamoDB throttles, writes nothing, and serves the same request once it passes', async () => {
    // Prepare
    const before = await table.snapshot();
    await proxy.setFault({ mode: 'throttle', exception: 'ProvisionedThroughputExceededException' });

    // Act
    const throttled = await create('after-throttle');
    const throttledProblem = (await throttled.json()) as Record<string, unknown>;
    const whileThrottled = await table.snapshot();
    await proxy.setFault({ mode: 'pass' });
    const recovered = await create('after-throttle');

    // Assess
    expect(throttled.status).toBe(503);
    expect(throttled.headers.get('retry-after')).toBe('1');
    expect(throttledProblem).toMatchObject({
      status: 503,
      instance: throttled.headers.get('apigw-requestid'),
    });
    expect(whileThrottled).toEqual(before);
    expect(recovered.status).toBe(201);
    expect((await table.items()).get(`${DEFAULT_OWNER}/after-throttle`)).toMatchObject({
      version: 1,
      text: 'todo after-throttle',
    });
  });

  it('answers 503 while DynamoDB resets connections and keeps answering other requests afterwards', async () => {
    // Prepare
    const before = await table.snapshot();
    await proxy.setFault({ mode: 'down', how: 'reset' });

    // Act
    const down = await Promise.all([create('during-outage'), fetch(`${sandbox.apiUrl}/todos`)]);
    const duringOutage = await table.snapshot();
    await proxy.setFault({ mode: 'pass' });
    const listed = await fetch(`${sandbox.apiUrl}/todos`);

    // Assess
    expect(down.map((response) => response.status)).toEqual([503, 503]);
    expect(down.map((response) => response.headers.get('retry-after'))).toEqual(['5', '5']);
    expect(duringOutage).toEqual(before);
    expect(listed.status).toBe(200);
  });
});
