import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTelemetryConfig } from '../../functions/telemetry/config';
import type { PayloadMetricsOptions } from '../../functions/telemetry/payload-metrics';
import { Telemetry } from '../../functions/telemetry/telemetry';
import { httpApiEvent, lambdaContext } from './support/events';
import { decodeEmfRequests, decodeTraceRequests } from './support/otlp';
import { startTestReceiver, type TestReceiver } from './support/receiver';

const METRICS: PayloadMetricsOptions = {
  defaultNamespace: 'Shop',
  defaultService: 'orders',
  requestSizeMetric: 'RequestPayloadSize',
  responseSizeMetric: 'ResponsePayloadSize',
  dimensionSets: [['route'], ['route', 'statusClass']],
};

interface EmfDocument {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

let receiver: TestReceiver;

beforeAll(async () => {
  receiver = await startTestReceiver();
});

afterAll(async () => {
  await receiver.close();
});

afterEach(() => {
  delete process.env._X_AMZN_TRACE_ID;
  receiver.requests.length = 0;
});

const telemetryWith = (env: Record<string, string> = {}) =>
  new Telemetry({
    config: readTelemetryConfig({
      TELEMETRY_RECEIVER_ADDRESS: receiver.address,
      AWS_LAMBDA_FUNCTION_NAME: 'orders-fn',
      ...env,
    }),
  });

describe('payload metrics', () => {
  it('sends request and response sizes per route and status class to /emf as EMF', async () => {
    // Prepare
    const telemetry = telemetryWith();
    const handler = telemetry.instrumentHandler(
      async () => ({ statusCode: 404, body: '{"title":"not found"}' }),
      { metrics: METRICS },
    );
    const body = 'é'.repeat(10);

    // Act
    await handler(httpApiEvent('GET', '/orders/{id}', '/orders/x', body), lambdaContext());
    await handler(httpApiEvent('GET', '/orders/{id}', '/orders/y', body), lambdaContext());
    await telemetry.settled();

    // Assess
    const sizes = decodeEmfRequests(receiver.requests).filter(
      (doc) => 'RequestPayloadSize' in doc,
    ) as EmfDocument[];
    expect(sizes).toHaveLength(2);
    for (const doc of sizes) {
      expect(doc._aws.CloudWatchMetrics).toEqual([
        {
          Namespace: 'Shop',
          Dimensions: [
            ['service', 'route'],
            ['service', 'route', 'statusClass'],
          ],
          Metrics: [
            { Name: 'RequestPayloadSize', Unit: 'Bytes' },
            { Name: 'ResponsePayloadSize', Unit: 'Bytes' },
          ],
        },
      ]);
      expect(doc).toMatchObject({
        service: 'orders',
        route: 'GET /orders/{id}',
        statusClass: '4xx',
        RequestPayloadSize: 20,
        ResponsePayloadSize: Buffer.byteLength('{"title":"not found"}'),
      });
    }
    expect(
      receiver.requests.filter((request) => request.path === '/emf').map((r) => r.headers['content-type']),
    ).toContain('application/x-ndjson');
  });

  it('emits the cold-start metric on the first invocation only', async () => {
    // Prepare
    const telemetry = telemetryWith();
    const handler = telemetry.instrumentHandler(async () => ({ statusCode: 200, body: '' }), {
      metrics: METRICS,
    });

    // Act
    await handler(httpApiEvent('GET', '/orders', '/orders'), lambdaContext());
    await handler(httpApiEvent('GET', '/orders', '/orders'), lambdaContext());
    await telemetry.settled();

    // Assess
    const coldStarts = decodeEmfRequests(receiver.requests).filter(
      (doc) => 'ColdStart' in doc,
    ) as EmfDocument[];
    expect(coldStarts).toHaveLength(1);
    expect(coldStarts[0]).toMatchObject({ ColdStart: 1, service: 'orders', function_name: 'orders-fn' });
    expect(coldStarts[0]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'function_name']]);
  });

  it('takes service and namespace from POWERTOOLS_SERVICE_NAME and POWERTOOLS_METRICS_NAMESPACE', async () => {
    // Prepare
    const telemetry = telemetryWith({
      POWERTOOLS_SERVICE_NAME: 'billing',
      POWERTOOLS_METRICS_NAMESPACE: 'Finance',
    });
    const handler = telemetry.instrumentHandler(async () => ({ statusCode: 200, body: '{}' }), {
      metrics: METRICS,
    });

    // Act
    await handler(httpApiEvent('GET', '/orders', '/orders'), lambdaContext());
    await telemetry.settled();

    // Assess
    const docs = decodeEmfRequests(receiver.requests) as EmfDocument[];
    expect(docs.length).toBeGreaterThan(0);
    for (const doc of docs) {
      expect(doc.service).toBe('billing');
      expect(doc._aws.CloudWatchMetrics[0]?.Namespace).toBe('Finance');
    }
  });

  it('carries the trace id and the request id as properties of every document', async () => {
    // Prepare
    process.env._X_AMZN_TRACE_ID =
      'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1';
    const telemetry = telemetryWith();
    const handler = telemetry.instrumentHandler(async () => ({ statusCode: 201, body: '{}' }), {
      metrics: METRICS,
    });
    const context = lambdaContext();

    // Act
    await handler(httpApiEvent('POST', '/orders', '/orders', '{}'), context);
    await telemetry.settled();

    // Assess
    const docs = decodeEmfRequests(receiver.requests);
    expect(docs).toHaveLength(2);
    for (const doc of docs) {
      expect(doc).toMatchObject({
        traceId: '1-5bef4de7-ad49b0e87f6ef6c87fc2e700',
        requestId: context.awsRequestId,
      });
    }
    const server = decodeTraceRequests(receiver.requests).find((span) => span.kind === 2);
    expect(server?.traceId).toBe('5bef4de7ad49b0e87f6ef6c87fc2e700');
  });

  it('reports a thrown error under the 5xx status class without a response size', async () => {
    // Prepare
    const telemetry = telemetryWith();
    const handler = telemetry.instrumentHandler(
      async () => {
        throw new Error('store down');
      },
      { metrics: METRICS },
    );

    // Act
    await expect(handler(httpApiEvent('POST', '/orders', '/orders', 'abc'), lambdaContext())).rejects.toThrow(
      'store down',
    );
    await telemetry.settled();

    // Assess
    const sizes = decodeEmfRequests(receiver.requests).filter((doc) => 'RequestPayloadSize' in doc);
    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toMatchObject({ statusClass: '5xx', RequestPayloadSize: 3 });
    expect(sizes[0]).not.toHaveProperty('ResponsePayloadSize');
  });
});
