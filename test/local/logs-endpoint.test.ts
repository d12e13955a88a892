import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CloudWatchLogsClient,
  CreateLogStreamCommand,
  InvalidParameterException,
  PutLogEventsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cloudwatch-logs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type LogsEndpoint, startLogsEndpoint } from '../../local/logs/logs-endpoint';
import { MetricStore } from '../../local/logs/metric-store';

let dir: string;
let metrics: MetricStore;
let endpoint: LogsEndpoint;
let client: CloudWatchLogsClient;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'logs-api-'));
  metrics = new MetricStore(path.join(dir, 'metrics'));
  endpoint = await startLogsEndpoint({
    host: '127.0.0.1',
    port: 0,
    directory: path.join(dir, 'logs'),
    metrics,
    logGroups: ['/aws/lambda/todos', 'telemetry-metrics'],
  });
  client = new CloudWatchLogsClient({
    endpoint: endpoint.url,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterEach(async () => {
  client.destroy();
  await endpoint.close();
  await rm(dir, { recursive: true, force: true });
});

const emf = (timestamp: number) =>
  JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        { Namespace: 'Ext', Dimensions: [[]], Metrics: [{ Name: 'Flushes', Unit: 'Count' }] },
      ],
    },
    Flushes: 2,
  });

describe('CloudWatch Logs PutLogEvents stand-in', () => {
  it('stores the events of a created stream and extracts EMF when the request declares json/emf', async () => {
    // Prepare
    const now = Date.now();
    await client.send(
      new CreateLogStreamCommand({ logGroupName: 'telemetry-metrics', logStreamName: 'todos/ext' }),
    );
    client.middlewareStack.add(
      (next) => async (args) => {
        (args.request as { headers: Record<string, string> }).headers['x-amzn-logs-format'] = 'json/emf';
        return next(args);
      },
      { step: 'build', name: 'emfFormatHeader' },
    );

    // Act
    await client.send(
      new PutLogEventsCommand({
        logGroupName: 'telemetry-metrics',
        logStreamName: 'todos/ext',
        logEvents: [
          { timestamp: now, message: 'plain line' },
          { timestamp: now + 1, message: emf(now) },
        ],
      }),
    );

    // Assess
    const stored = await readFile(path.join(dir, 'logs', 'telemetry-metrics', 'todos', 'ext'), 'utf8');
    expect(stored).toBe(
      `${new Date(now).toISOString()}\tplain line\n${new Date(now + 1).toISOString()}\t${emf(now)}\n`,
    );
    expect(await metrics.query({ namespace: 'Ext' })).toEqual([
      expect.objectContaining({
        metricName: 'Flushes',
        dimensions: {},
        values: [2],
        counts: [1],
        logGroup: 'telemetry-metrics',
      }),
    ]);
  });

  it('answers ResourceNotFoundException for a stream that was never created', async () => {
    // Act
    const attempt = client.send(
      new PutLogEventsCommand({
        logGroupName: '/aws/lambda/todos',
        logStreamName: 'missing',
        logEvents: [{ timestamp: Date.now(), message: 'x' }],
      }),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('rejects events out of chronological order with InvalidParameterException', async () => {
    // Prepare
    await client.send(new CreateLogStreamCommand({ logGroupName: '/aws/lambda/todos', logStreamName: 's' }));
    const now = Date.now();

    // Act
    const attempt = client.send(
      new PutLogEventsCommand({
        logGroupName: '/aws/lambda/todos',
        logStreamName: 's',
        logEvents: [
          { timestamp: now, message: 'b' },
          { timestamp: now - 5, message: 'a' },
        ],
      }),
    );

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidParameterException);
  });
});
