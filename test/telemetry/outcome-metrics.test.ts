import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { readTelemetryConfig } from '../../functions/telemetry/config';
import type { PayloadMetricsOptions } from '../../functions/telemetry/payload-metrics';
import { Telemetry } from '../../functions/telemetry/telemetry';
import { TODO_METRICS, TODO_PAYLOAD_METRICS } from '../../functions/todos/metric-names';
import { httpApiEvent, lambdaContext } from './support/events';
import { decodeEmfRequests } from './support/otlp';
import { startTestReceiver, type TestReceiver } from './support/receiver';

// The options the todo handler passes, so the documents checked here are the ones the rollback
// alarm and the dashboard select.
const METRICS: PayloadMetricsOptions = TODO_PAYLOAD_METRICS;

interface EmfDocument {
  _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string }[] }[] };
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
      AWS_LAMBDA_FUNCTION_NAME: 'todos-fn',
      ...env,
    }),
  });

const outcomes = () =>
  (decodeEmfRequests(receiver.requests) as EmfDocument[]).filter((doc) => TODO_METRICS.requests in doc);

/** The directive of `doc` that defines `metric`. */
const directiveOf = (doc: EmfDocument | undefined, metric: string) =>
  doc?._aws.CloudWatchMetrics.find((directive) => directive.Metrics.some((m) => m.Name === metric));

describe('request-outcome metrics', () => {
  it('emits one Requests data point per invocation under the version and route dimension sets', async () => {
    // Prepare
    const telemetry = telemetryWith({ AWS_LAMBDA_FUNCTION_VERSION: '7' });
    const statuses = [200, 404, 503, 201];
    let next = 0;
    const handler = telemetry.instrumentHandler(async () => ({ statusCode: statuses[next++]!, body: '{}' }), {
      metrics: METRICS,
    });

    // Act
    for (const _ of statuses) await handler(httpApiEvent('GET', '/todos', '/todos'), lambdaContext());
    await telemetry.settled();

    // Assess
    const docs = outcomes();
    expect(docs).toHaveLength(statuses.length);
    for (const doc of docs) {
      expect(directiveOf(doc, 'Requests')).toEqual({
        Namespace: 'TodoApi',
        Dimensions: [
          ['service', 'functionVersion'],
          ['service', 'functionVersion', 'statusClass'],
          ['service', 'route', 'statusClass'],
        ],
        Metrics: [{ Name: 'Requests', Unit: 'Count' }],
      });
      expect(doc).toMatchObject({ Requests: 1, service: 'todos', functionVersion: '7', route: 'GET /todos' });
    }
    expect(docs.map((doc) => doc.statusClass)).toEqual(['2xx', '4xx', '5xx', '2xx']);
  });

  it('keeps the version out of the payload-size dimension sets', async () => {
    // Prepare
    const telemetry = telemetryWith({ AWS_LAMBDA_FUNCTION_VERSION: '7' });
    const handler = telemetry.instrumentHandler(async () => ({ statusCode: 200, body: '{}' }), {
      metrics: METRICS,
    });

    // Act
    await handler(httpApiEvent('GET', '/todos', '/todos'), lambdaContext());
    await telemetry.settled();

    // Assess
    const sizes = (decodeEmfRequests(receiver.requests) as EmfDocument[]).filter(
      (doc) => TODO_METRICS.requestSize in doc,
    );
    expect(sizes).toHaveLength(1);
    expect(directiveOf(sizes[0], TODO_METRICS.requestSize)).toEqual({
      Namespace: 'TodoApi',
      Dimensions: [
        ['service', 'route'],
        ['service', 'route', 'statusClass'],
      ],
      Metrics: [
        { Name: TODO_METRICS.requestSize, Unit: 'Bytes' },
        { Name: TODO_METRICS.responseSize, Unit: 'Bytes' },
      ],
    });
  });

  it('counts a request whose handler threw as 5xx, since API Gateway answers it with 502', async () => {
    // Prepare
    const telemetry = telemetryWith({ AWS_LAMBDA_FUNCTION_VERSION: '8' });
    const handler = telemetry.instrumentHandler(
      async (): Promise<{ statusCode: number }> => {
        throw new Error('boom');
      },
      { metrics: METRICS },
    );

    // Act
    await expect(handler(httpApiEvent('POST', '/todos', '/todos', '{}'), lambdaContext())).rejects.toThrow(
      'boom',
    );
    await telemetry.settled();

    // Assess
    expect(outcomes()).toMatchObject([{ Requests: 1, functionVersion: '8', statusClass: '5xx' }]);
  });

  it('counts every request whatever the trace sampling decision', async () => {
    // Prepare
    const telemetry = telemetryWith({ AWS_LAMBDA_FUNCTION_VERSION: '7' });
    const handler = telemetry.instrumentHandler(async () => ({ statusCode: 204 }), { metrics: METRICS });
    const headers = [
      'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1',
      'Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e701;Parent=9a9197af755a6419;Sampled=0',
      undefined,
    ];

    // Act
    for (const header of headers) {
      if (header) process.env._X_AMZN_TRACE_ID = header;
      else delete process.env._X_AMZN_TRACE_ID;
      await handler(httpApiEvent('DELETE', '/todos/{id}', '/todos/x'), lambdaContext());
    }
    await telemetry.settled();

    // Assess
    expect(outcomes()).toHaveLength(headers.length);
  });

  it('files requests under $LATEST when AWS_LAMBDA_FUNCTION_VERSION is not set', async () => {
    // Prepare
    const telemetry = telemetryWith();
    const handler = telemetry.instrumentHandler(async () => ({ statusCode: 200 }), { metrics: METRICS });

    // Act
    await handler(httpApiEvent('GET', '/todos', '/todos'), lambdaContext());
    await telemetry.settled();

    // Assess
    expect(outcomes()).toMatchObject([{ functionVersion: '$LATEST', statusClass: '2xx' }]);
  });
});
