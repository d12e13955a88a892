import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTelemetryConfig } from '../../functions/telemetry/config';
import {
  PayloadMetrics,
  type PayloadMetricsOptions,
  type PayloadSample,
} from '../../functions/telemetry/payload-metrics';
import { Telemetry } from '../../functions/telemetry/telemetry';
import { extractEmfMetrics } from '../../local/logs/emf';
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

const quietLogger = { debug() {}, info() {}, warn() {}, error() {} };

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

  it('yields per invocation the metrics that Powertools documents of its own would yield', () => {
    // Prepare: the documents Powertools alone makes for a sample, one per directive, as the
    // reference; CloudWatch's extraction (the sandbox's emulation of it) reads both sides.
    const options: PayloadMetricsOptions = {
      ...METRICS,
      outcome: {
        metric: 'Requests',
        dimensionSets: [['functionVersion'], ['functionVersion', 'statusClass'], ['route', 'statusClass']],
      },
    };
    const reference = (sample: PayloadSample, timestamp: number): string[] => {
      const metrics = new Metrics({ namespace: 'Shop', serviceName: 'orders', logger: quietLogger });
      const documents: string[] = [];
      const emit = (sets: readonly (readonly (keyof PayloadSample)[])[], add: () => void) => {
        metrics.setTimestamp(timestamp);
        for (const set of sets)
          metrics.addDimensions(Object.fromEntries(set.map((l) => [l, String(sample[l])])));
        add();
        documents.push(JSON.stringify(metrics.serializeMetrics()));
        metrics.clearMetrics();
        metrics.clearDimensions();
      };
      emit(options.dimensionSets, () => {
        metrics.addMetric('RequestPayloadSize', MetricUnit.Bytes, sample.requestBytes);
        if (sample.responseBytes !== undefined)
          metrics.addMetric('ResponsePayloadSize', MetricUnit.Bytes, sample.responseBytes);
      });
      emit(options.outcome!.dimensionSets, () => metrics.addMetric('Requests', MetricUnit.Count, 1));
      return documents;
    };
    const payloadMetrics = new PayloadMetrics(options, {});
    // Label sets repeat with other values, so documents made from an earlier one are checked too.
    const samples: PayloadSample[] = [
      ['GET /orders/{id}', '2xx', '3', 0, 240],
      ['GET /orders/{id}', '2xx', '3', 17, 9_000],
      ['POST /orders', '4xx', '3', 5_000, 93],
      ['GET /orders/{id}', '2xx', '4', 1, 2],
      ['POST /orders', '5xx', '3', 12, undefined],
      ['POST /orders', '5xx', '3', 13, undefined],
      ['POST /orders', '4xx', '3', 6_000, 94],
    ].map(([route, statusClass, functionVersion, requestBytes, responseBytes], i) => ({
      route: route as string,
      statusClass: statusClass as string,
      functionVersion: functionVersion as string,
      requestBytes: requestBytes as number,
      responseBytes: responseBytes as number | undefined,
      coldStart: false,
      requestId: `request-${i}`,
      ...(i % 2 === 0 ? { traceId: `1-5bef4de7-ad49b0e87f6ef6c87fc2e70${i}` } : {}),
    }));

    for (const sample of samples) {
      // Act
      const documents = payloadMetrics.documents(sample);

      // Assess
      expect(documents).toHaveLength(1);
      const document = JSON.parse(documents[0]!) as Record<string, unknown> & { _aws: { Timestamp: number } };
      expect(document.requestId).toBe(sample.requestId);
      expect(document.traceId).toBe(sample.traceId);
      const extracted = extractEmfMetrics(documents[0]!);
      const expected = reference(sample, document._aws.Timestamp).flatMap((line) => extractEmfMetrics(line));
      expect(extracted).toHaveLength(expected.length);
      expect(extracted).toEqual(expect.arrayContaining(expected));
    }
  });
});
