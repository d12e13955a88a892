import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTelemetryConfig } from '../../functions/telemetry/config';
import { Telemetry } from '../../functions/telemetry/telemetry';
import { startEmbeddedDynamoDB } from '../../local/dynamodb';
import { FUNCTION_ARN, httpApiEvent, lambdaContext } from './support/events';
import { decodeTraceRequests } from './support/otlp';
import { startTestReceiver, type TestReceiver } from './support/receiver';
import { type RecordingProxy, startRecordingProxy } from './support/recording-proxy';

const TABLE = 'orders-spans';
const ROOT = '1-5bef4de7-ad49b0e87f6ef6c87fc2e700';
const PARENT = '9a9197af755a6419';

let dynamodbClose: () => Promise<void>;
let proxy: RecordingProxy;
let receiver: TestReceiver;
let telemetry: Telemetry;
let dynamodb: DynamoDBClient;

beforeAll(async () => {
  const embedded = await startEmbeddedDynamoDB({ tables: [TABLE] });
  dynamodbClose = embedded.close;
  proxy = await startRecordingProxy(embedded.endpoint);
  receiver = await startTestReceiver();
  telemetry = new Telemetry({
    config: readTelemetryConfig({
      TELEMETRY_RECEIVER_ADDRESS: receiver.address,
      AWS_REGION: 'eu-west-1',
      AWS_LAMBDA_FUNCTION_NAME: 'orders',
      AWS_LAMBDA_FUNCTION_VERSION: '7',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '256',
      OTEL_SERVICE_NAME: 'orders-api',
    }),
  });
  dynamodb = telemetry.instrumentAwsClient(
    new DynamoDBClient({
      endpoint: proxy.endpoint,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
});

afterAll(async () => {
  dynamodb.destroy();
  await receiver.close();
  await proxy.close();
  await dynamodbClose();
});

afterEach(() => {
  delete process.env._X_AMZN_TRACE_ID;
  receiver.requests.length = 0;
  proxy.headers.length = 0;
});

const handler = (client: DynamoDBClient = dynamodb) =>
  telemetry.instrumentHandler(async (event) => {
    if (event.rawPath === '/orders/boom') throw new TypeError('order exploded');
    if (event.rawPath === '/orders/unavailable') return { statusCode: 503, body: '{"title":"down"}' };
    if (event.rawPath === '/orders/missing-table') {
      await dynamodb.send(
        new GetItemCommand({ TableName: 'no-such-table', Key: { owner: { S: 'o' }, id: { S: '1' } } }),
      );
    }
    const id = event.pathParameters?.id ?? 'o-1';
    await client.send(
      new PutItemCommand({
        TableName: TABLE,
        Item: { owner: { S: 'alice' }, id: { S: id }, seq: { S: '01' } },
      }),
    );
    const stored = await client.send(
      new GetItemCommand({ TableName: TABLE, Key: { owner: { S: 'alice' }, id: { S: id } } }),
    );
    return { statusCode: 201, body: JSON.stringify({ id: stored.Item?.id?.S }) };
  });

describe('handler spans', () => {
  it('records a SERVER span under the Lambda trace header with HTTP and FaaS attributes', async () => {
    // Prepare
    process.env._X_AMZN_TRACE_ID = `Root=${ROOT};Parent=${PARENT};Sampled=1;Lineage=a87bd80c:0`;
    const instrumented = handler();
    const body = '{"text":"buy milk"}';

    // Act
    const result = await instrumented(httpApiEvent('POST', '/orders', '/orders', body), lambdaContext());
    await telemetry.settled();

    // Assess
    expect(result).toEqual({ statusCode: 201, body: '{"id":"o-1"}' });
    const server = decodeTraceRequests(receiver.requests).find((span) => span.kind === 2);
    expect(server).toBeDefined();
    expect(server?.traceId).toBe('5bef4de7ad49b0e87f6ef6c87fc2e700');
    expect(server?.parentSpanId).toBe(PARENT);
    expect(server?.name).toBe('POST /orders');
    expect(server?.status.code).toBe(0);
    expect(server?.attributes).toMatchObject({
      'http.request.method': 'POST',
      'http.route': '/orders',
      'url.path': '/orders',
      'http.response.status_code': 201,
      'user_agent.original': 'test-agent/1.0',
      'http.request.body.size': Buffer.byteLength(body),
      'http.response.body.size': Buffer.byteLength('{"id":"o-1"}'),
      'faas.trigger': 'http',
      'faas.coldstart': true,
      'faas.invocation_id': expect.stringMatching(/^00000000-/),
      'cloud.resource_id': FUNCTION_ARN,
      'cloud.account.id': '123456789012',
    });
    expect(server?.resource).toMatchObject({
      'service.name': 'orders-api',
      'cloud.provider': 'aws',
      'cloud.platform': 'aws_lambda',
      'cloud.region': 'eu-west-1',
      'faas.name': 'orders',
      'faas.version': '7',
      'faas.max_memory': 256 * 1024 * 1024,
    });
  });

  it('records a CLIENT span per DynamoDB call as a child of the SERVER span', async () => {
    // Prepare
    process.env._X_AMZN_TRACE_ID = `Root=${ROOT};Parent=${PARENT};Sampled=1`;
    const instrumented = handler();

    // Act
    await instrumented(httpApiEvent('PUT', '/orders/{id}', '/orders/o-2'), lambdaContext());
    await telemetry.settled();

    // Assess
    const spans = decodeTraceRequests(receiver.requests);
    const server = spans.find((span) => span.kind === 2);
    const clients = spans.filter((span) => span.kind === 3);
    expect(clients.map((span) => span.name)).toEqual(['DynamoDB.PutItem', 'DynamoDB.GetItem']);
    for (const client of clients) {
      expect(client.traceId).toBe(server?.traceId);
      expect(client.parentSpanId).toBe(server?.spanId);
      expect(client.status.code).toBe(0);
      expect(client.attributes).toMatchObject({
        'rpc.system': 'aws-api',
        'rpc.service': 'DynamoDB',
        'aws.dynamodb.table_names': [TABLE],
        'aws.request_id': expect.stringMatching(/\S+/),
        'aws.retries': 0,
        'http.response.status_code': 200,
        'cloud.region': 'eu-west-1',
      });
    }
    expect(clients.map((span) => span.attributes['rpc.method'])).toEqual(['PutItem', 'GetItem']);
  });

  it('sends X-Amzn-Trace-Id naming the CLIENT span as parent to DynamoDB', async () => {
    // Prepare
    process.env._X_AMZN_TRACE_ID = `Root=${ROOT};Parent=${PARENT};Sampled=1`;

    // Act
    await handler()(httpApiEvent('POST', '/orders', '/orders'), lambdaContext());
    await telemetry.settled();

    // Assess
    const clients = decodeTraceRequests(receiver.requests).filter((span) => span.kind === 3);
    expect(proxy.headers.map((headers) => headers['x-amzn-trace-id'])).toEqual(
      clients.map((span) => `Root=${ROOT};Parent=${span.spanId};Sampled=1`),
    );
  });

  it('returns the response before any telemetry leaves the process', async () => {
    // Prepare
    const instrumented = handler();

    // Act
    const result = await instrumented(httpApiEvent('POST', '/orders', '/orders'), lambdaContext());
    const receivedWhenReturned = receiver.requests.length;
    await telemetry.settled();

    // Assess
    expect(result).toMatchObject({ statusCode: 201 });
    expect(receivedWhenReturned).toBe(0);
    expect(receiver.requests.map((request) => request.path)).toEqual(['/v1/traces']);
  });

  it('records nothing and sends no spans when the trace header says Sampled=0', async () => {
    // Prepare
    process.env._X_AMZN_TRACE_ID = `Root=${ROOT};Parent=${PARENT};Sampled=0`;
    const sentBefore = telemetry.counters.spansSent;

    // Act
    const result = await handler()(httpApiEvent('POST', '/orders', '/orders'), lambdaContext());
    await telemetry.settled();

    // Assess
    expect(result).toMatchObject({ statusCode: 201 });
    expect(receiver.requests.filter((request) => request.path === '/v1/traces')).toEqual([]);
    expect(telemetry.counters.spansSent).toBe(sentBefore);
    expect(proxy.headers.map((headers) => headers['x-amzn-trace-id'])).toEqual([
      expect.stringMatching(new RegExp(`^Root=${ROOT};Parent=[0-9a-f]{16};Sampled=0$`)),
      expect.stringMatching(new RegExp(`^Root=${ROOT};Parent=[0-9a-f]{16};Sampled=0$`)),
    ]);
  });

  it('starts a new trace whose id carries the epoch seconds when there is no trace header', async () => {
    // Prepare
    const before = Math.floor(Date.now() / 1000);

    // Act
    await handler()(httpApiEvent('POST', '/orders', '/orders'), lambdaContext());
    await telemetry.settled();

    // Assess
    const server = decodeTraceRequests(receiver.requests).find((span) => span.kind === 2);
    expect(server?.parentSpanId).toBeUndefined();
    const seconds = Number.parseInt(server?.traceId.slice(0, 8) ?? '', 16);
    expect(seconds).toBeGreaterThanOrEqual(before);
    expect(seconds).toBeLessThanOrEqual(Math.floor(Date.now() / 1000));
  });

  it('records a thrown error as an exception event and ERROR status, and rethrows it unchanged', async () => {
    // Prepare
    const instrumented = handler();

    // Act
    const outcome = instrumented(httpApiEvent('GET', '/orders/{id}', '/orders/boom'), lambdaContext());

    // Assess
    await expect(outcome).rejects.toThrow(new TypeError('order exploded'));
    await telemetry.settled();
    const server = decodeTraceRequests(receiver.requests).find((span) => span.kind === 2);
    expect(server?.status).toEqual({ code: 2, message: 'order exploded' });
    expect(server?.attributes['error.type']).toBe('TypeError');
    expect(server?.attributes).not.toHaveProperty('http.response.status_code');
    expect(server?.events).toEqual([
      {
        name: 'exception',
        attributes: expect.objectContaining({
          'exception.type': 'TypeError',
          'exception.message': 'order exploded',
        }),
      },
    ]);
  });

  it('marks a 5xx response as an error on the SERVER span', async () => {
    // Act
    const result = await handler()(
      httpApiEvent('GET', '/orders/{id}', '/orders/unavailable'),
      lambdaContext(),
    );
    await telemetry.settled();

    // Assess
    expect(result).toEqual({ statusCode: 503, body: '{"title":"down"}' });
    const server = decodeTraceRequests(receiver.requests).find((span) => span.kind === 2);
    expect(server?.status.code).toBe(2);
    expect(server?.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
  });

  it('counts retries of a DynamoDB call that failed once with a 500', async () => {
    // Prepare
    proxy.failNext({ status: 500, type: 'InternalServerError' });

    // Act
    await handler()(httpApiEvent('POST', '/orders', '/orders'), lambdaContext());
    await telemetry.settled();

    // Assess
    const put = decodeTraceRequests(receiver.requests).find((span) => span.name === 'DynamoDB.PutItem');
    expect(put?.status.code).toBe(0);
    expect(put?.attributes).toMatchObject({ 'aws.retries': 1, 'http.response.status_code': 200 });
  });

  it('marks a throttled DynamoDB call as a throttle error once the retries are spent', async () => {
    // Prepare: two attempts, each answered as DynamoDB answers a throttle (400).
    const throttled = { status: 400, type: 'ProvisionedThroughputExceededException' };
    proxy.failNext(throttled, throttled);
    const twoAttempts = telemetry.instrumentAwsClient(
      new DynamoDBClient({
        endpoint: proxy.endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
        maxAttempts: 2,
      }),
    );

    // Act
    const outcome = handler(twoAttempts)(httpApiEvent('POST', '/orders', '/orders'), lambdaContext());

    // Assess
    await expect(outcome).rejects.toThrow('ProvisionedThroughputExceededException');
    await telemetry.settled();
    const spans = decodeTraceRequests(receiver.requests);
    const put = spans.find((span) => span.name === 'DynamoDB.PutItem');
    expect(put?.status).toEqual({
      code: 2,
      message: 'ProvisionedThroughputExceededException: ProvisionedThroughputExceededException',
    });
    expect(put?.attributes).toMatchObject({
      'error.type': 'ProvisionedThroughputExceededException',
      'aws.throttle': true,
      'aws.retries': 1,
      'http.response.status_code': 400,
      'aws.request_id': 'PROXY2',
    });
    expect(spans.find((span) => span.kind === 2)?.status.code).toBe(2);
    twoAttempts.destroy();
  });

  it('marks a failed DynamoDB call as an error with the service error name and request id', async () => {
    // Act
    const outcome = handler()(httpApiEvent('GET', '/orders/{id}', '/orders/missing-table'), lambdaContext());

    // Assess
    await expect(outcome).rejects.toThrow(/non-existent table|not found/i);
    await telemetry.settled();
    const client = decodeTraceRequests(receiver.requests).find((span) => span.kind === 3);
    expect(client?.name).toBe('DynamoDB.GetItem');
    expect(client?.status.code).toBe(2);
    expect(client?.attributes).toMatchObject({
      'error.type': 'ResourceNotFoundException',
      'http.response.status_code': 400,
      'aws.dynamodb.table_names': ['no-such-table'],
      'aws.request_id': expect.stringMatching(/\S+/),
    });
    expect(client?.events.map((event) => event.name)).toEqual(['exception']);
  });
});
