import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { crc32 } from 'node:zlib';
import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedDynamoDB, startEmbeddedDynamoDB } from '../../local/dynamodb';
import { type DynamoDBFaultProxy, startDynamoDBFaultProxy } from '../../local/faults/dynamodb-fault-proxy';
import type { MetricQuery, StoredMetric } from '../../local/logs/metric-store';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { eventually } from '../support/eventually';
import { LOCAL_CREDENTIALS } from '../support/todo-api';

// The real sandbox and handler; the sandbox is given a fault-injecting proxy in front of dynalite
// as its DynamoDB, and puts its metering proxy in front of that, as it would any endpoint.
const TABLE = 'todos';
let dynamodb: EmbeddedDynamoDB;
let proxy: DynamoDBFaultProxy;
let sandbox: Sandbox;
let stateDir: string;
let client: DynamoDBClient;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'todos-dynamodb-metrics-'));
  dynamodb = await startEmbeddedDynamoDB({ tables: [TABLE] });
  proxy = await startDynamoDBFaultProxy({ upstream: dynamodb.endpoint });
  sandbox = await startSandbox({ stateDir, dynamodbEndpoint: proxy.endpoint });
  // The endpoint the function is given: the metering proxy.
  client = new DynamoDBClient({
    endpoint: sandbox.definition.environment.AWS_ENDPOINT_URL_DYNAMODB,
    region: 'us-east-1',
    credentials: LOCAL_CREDENTIALS,
  });
});

afterAll(async () => {
  client?.destroy();
  await sandbox?.close();
  await proxy?.close();
  await dynamodb?.close();
  await rm(stateDir, { recursive: true, force: true });
});

const create = (body: Record<string, unknown>) =>
  fetch(`${sandbox.apiUrl}/todos`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

const dynamo = (query: MetricQuery) => sandbox.metrics.query({ namespace: 'AWS/DynamoDB', ...query });

/** Waits until `count` data points match, and returns them. */
const atLeast = (count: number, query: MetricQuery): Promise<StoredMetric[]> =>
  eventually(
    () => dynamo(query),
    (found) => found.length >= count,
  );

describe('AWS/DynamoDB metrics of the sandbox', () => {
  it('gives the function its metering proxy and keeps the public endpoint on the DynamoDB it was given', () => {
    expect(sandbox.dynamodbEndpoint).toBe(proxy.endpoint);
    expect(sandbox.definition.environment.AWS_ENDPOINT_URL_DYNAMODB).not.toBe(proxy.endpoint);
  });

  it("records PutItem and Query latency and consumed capacity while the handler's answers stay as they were", async () => {
    // Act
    const created = await create({ id: 'metered', text: 'count me' });
    const listed = await fetch(`${sandbox.apiUrl}/todos`);

    // Assess: the SDK in the function accepted every relayed answer (checksum included).
    expect(created.status).toBe(201);
    expect(((await created.json()) as { text: string }).text).toBe('count me');
    expect(listed.status).toBe(200);
    expect(JSON.stringify(await listed.json())).toContain('metered');
    const [put] = await atLeast(1, {
      metricName: 'SuccessfulRequestLatency',
      dimensions: { TableName: TABLE, Operation: 'PutItem' },
    });
    const [query] = await atLeast(1, {
      metricName: 'SuccessfulRequestLatency',
      dimensions: { TableName: TABLE, Operation: 'Query' },
    });
    expect(put).toMatchObject({ unit: 'Milliseconds', storageResolution: 60, counts: [1] });
    expect(query?.values[0]).toBeGreaterThan(0);
    const [written] = await atLeast(1, { metricName: 'ConsumedWriteCapacityUnits' });
    const [read] = await atLeast(1, { metricName: 'ConsumedReadCapacityUnits' });
    expect(written).toMatchObject({ dimensions: { TableName: TABLE }, unit: 'Count', values: [1] });
    expect(read?.dimensions).toEqual({ TableName: TABLE });
    expect(read?.values[0]).toBeGreaterThan(0);
  });

  it('answers an SDK caller without ConsumedCapacity unless it asked, and with it when it did', async () => {
    // Prepare
    const key = { owner: { S: 'metering' }, id: { S: 'direct' } };

    // Act
    const put = await client.send(
      new PutItemCommand({ TableName: TABLE, Item: { ...key, seq: { S: '1' } } }),
    );
    const asked = await client.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: key,
        ConsistentRead: true,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    const plain = await client.send(new GetItemCommand({ TableName: TABLE, Key: key, ConsistentRead: true }));

    // Assess
    expect(put.ConsumedCapacity).toBeUndefined();
    expect(asked.ConsumedCapacity).toEqual({ TableName: TABLE, CapacityUnits: 1 });
    expect(plain.ConsumedCapacity).toBeUndefined();
    expect(plain.Item?.id).toEqual({ S: 'direct' });
    const reads = await atLeast(2, {
      metricName: 'ConsumedReadCapacityUnits',
      dimensions: { TableName: TABLE },
    });
    expect(reads.length).toBeGreaterThanOrEqual(2);
  });

  it('relays an edited answer with its Content-Length and x-amz-crc32 recomputed', async () => {
    // Prepare: a raw request, to see the headers the SDK would check.
    const body = JSON.stringify({
      TableName: TABLE,
      Key: { owner: { S: 'metering' }, id: { S: 'direct' } },
    });

    // Act
    const response = await fetch(sandbox.definition.environment.AWS_ENDPOINT_URL_DYNAMODB!, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        'x-amz-date': '20260101T000000Z',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=00',
      },
      body,
    });
    const answer = Buffer.from(await response.arrayBuffer());

    // Assess
    expect(response.status).toBe(200);
    expect(JSON.parse(answer.toString('utf8'))).not.toHaveProperty('ConsumedCapacity');
    expect(response.headers.get('content-length')).toBe(String(answer.length));
    expect(response.headers.get('x-amz-crc32')).toBe(String(crc32(answer)));
  });

  it('records a throttled PutItem as ThrottledRequests, not UserErrors, and the retried write succeeds', async () => {
    // Prepare
    await proxy.setFault({ mode: 'throttle', exception: 'ThrottlingException', times: 1 });

    // Act
    const created = await create({ id: 'after-throttle', text: 'throttled once' });

    // Assess
    expect(created.status).toBe(201);
    const [throttled] = await atLeast(1, { metricName: 'ThrottledRequests' });
    expect(throttled).toMatchObject({
      dimensions: { TableName: TABLE, Operation: 'PutItem' },
      unit: 'Count',
      values: [1],
    });
    expect(proxy.counts().throttled).toBe(1);
    expect(await dynamo({ metricName: 'UserErrors' })).toEqual([]);
  });

  it('records a failed conditional put as ConditionalCheckFailedRequests and the 409 is unchanged', async () => {
    // Act
    const duplicate = await create({ id: 'metered', text: 'again' });

    // Assess
    expect(duplicate.status).toBe(409);
    const [failed] = await atLeast(1, { metricName: 'ConditionalCheckFailedRequests' });
    expect(failed?.dimensions).toEqual({ TableName: TABLE });
    expect(await dynamo({ metricName: 'UserErrors' })).toEqual([]);
  });

  it('records a request DynamoDB refuses as a UserErrors data point with no dimension', async () => {
    // Act
    const refused = client.send(new GetItemCommand({ TableName: 'no-such-table', Key: { id: { S: 'x' } } }));

    // Assess
    await expect(refused).rejects.toThrow(/not found|ResourceNotFound/i);
    const [userError] = await atLeast(1, { metricName: 'UserErrors' });
    expect(userError).toMatchObject({ dimensions: {}, unit: 'Count', values: [1] });
  });
});
