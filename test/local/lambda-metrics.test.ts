import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient, TooManyRequestsException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetrics, type StoredMetric } from '../../local/logs/metric-store';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { eventually } from '../support/eventually';

const VERSIONED = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'versioned');

const sum = (metrics: readonly StoredMetric[]) =>
  metrics.reduce(
    (total, metric) => total + metric.values.reduce((s, v, i) => s + v * (metric.counts[i] ?? 1), 0),
    0,
  );

/** Data points with exactly these dimensions, as CloudWatch matches them. */
async function exactly(
  sandbox: Sandbox,
  query: { namespace: string; metricName?: string; dimensions: Record<string, string> },
): Promise<StoredMetric[]> {
  const found = await sandbox.metrics.query(query);
  return found.filter(
    (metric) => Object.keys(metric.dimensions).length === Object.keys(query.dimensions).length,
  );
}

async function started(
  options: Parameters<typeof startSandbox>[0],
): Promise<{ sandbox: Sandbox; stateDir: string }> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'lambda-metrics-'));
  const sandbox = await startSandbox({
    codeDir: VERSIONED,
    functionName: 'shop',
    inMemory: true,
    stateDir,
    timeoutSec: 10,
    ...options,
  });
  return { sandbox, stateDir };
}

describe('throttling at the reserved concurrency', () => {
  let sandbox: Sandbox;
  let stateDir: string;
  let lambda: LambdaClient;

  beforeAll(async () => {
    ({ sandbox, stateDir } = await started({ layers: [], reservedConcurrency: 1 }));
    lambda = new LambdaClient({
      endpoint: sandbox.lambdaUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      maxAttempts: 1,
    });
  });

  afterAll(async () => {
    lambda?.destroy();
    await sandbox?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  /** Starts a slow invocation through the alias and waits until it holds the one slot. */
  async function holdTheSlot(): Promise<Promise<unknown>> {
    const before = (
      await exactly(sandbox, {
        namespace: 'AWS/Lambda',
        metricName: 'ConcurrentExecutions',
        dimensions: { FunctionName: 'shop' },
      })
    ).length;
    const slow = lambda.send(
      new InvokeCommand({ FunctionName: 'shop:live', Payload: Buffer.from('{"sleepMs":1500}') }),
    );
    await eventually(
      () =>
        exactly(sandbox, {
          namespace: 'AWS/Lambda',
          metricName: 'ConcurrentExecutions',
          dimensions: { FunctionName: 'shop' },
        }),
      (found) => found.length > before,
    );
    return slow;
  }

  it('answers 429 TooManyRequestsException at the Invoke API and counts a Throttle', async () => {
    // Prepare
    const slow = await holdTheSlot();

    // Act
    const refused = lambda.send(new InvokeCommand({ FunctionName: 'shop:live', Payload: Buffer.from('{}') }));

    // Assess
    await expect(refused).rejects.toBeInstanceOf(TooManyRequestsException);
    await expect(refused).rejects.toMatchObject({
      $metadata: { httpStatusCode: 429 },
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    });
    await slow;
    const throttles = await eventually(
      () =>
        exactly(sandbox, {
          namespace: 'AWS/Lambda',
          metricName: 'Throttles',
          dimensions: { FunctionName: 'shop', Resource: 'shop:live' },
        }),
      (found) => sum(found) >= 1,
    );
    expect(sum(throttles)).toBe(1);
    // It ran no version, so none carries ExecutedVersion: an alarm on the new version's
    // Throttles would never see it (the rollback alarm reads the alias's).
    expect(
      await exactly(sandbox, {
        namespace: 'AWS/Lambda',
        metricName: 'Throttles',
        dimensions: { FunctionName: 'shop', Resource: 'shop:live', ExecutedVersion: '1' },
      }),
    ).toEqual([]);
  });

  it('answers 500 at the HTTP API, as API Gateway does for a throttled integration', async () => {
    // Prepare
    const slow = await holdTheSlot();

    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`);

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    await slow;
  });

  it('admits again once the invoke phase of the one in flight is over', async () => {
    // Prepare
    const slow = await holdTheSlot();
    const refused = await fetch(`${sandbox.apiUrl}/todos`);

    // Act
    await slow;
    const answer = await eventually(
      () => fetch(`${sandbox.apiUrl}/todos`).then((response) => response.status),
      (status) => status !== 500,
    );

    // Assess
    expect(refused.status).toBe(500);
    expect(answer).toBe(200);
  });
});

describe('versions with the telemetry extension', () => {
  let sandbox: Sandbox;
  let stateDir: string;

  beforeAll(async () => {
    // The built extension layer: its platform metrics must name the version that ran.
    ({ sandbox, stateDir } = await started({ layers: [path.resolve('dist/layer')] }));
  });

  afterAll(async () => {
    await sandbox?.close();
    await rm(stateDir, { recursive: true, force: true });
  });

  it('gives the extension platform metrics the version of its environment', async () => {
    // Prepare
    const second = await sandbox.versions.publish();
    sandbox.versions.updateAlias(sandbox.alias, { functionVersion: second });

    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`);

    // Assess
    expect(await response.json()).toMatchObject({ version: second });
    // The extension reports an invocation's platform metrics at its next flush: SHUTDOWN's, here.
    await sandbox.close();
    const stored = await readMetrics(sandbox.paths.metrics);
    const of = (namespace: string, metricName: string, dimensions: Record<string, string>) =>
      stored.filter(
        (metric) =>
          metric.namespace === namespace &&
          metric.metricName === metricName &&
          JSON.stringify(metric.dimensions) === JSON.stringify(dimensions),
      );
    const durations = of('LambdaTelemetry', 'Duration', { FunctionName: 'shop', FunctionVersion: second });
    expect(durations).toHaveLength(1);
    expect(durations[0]?.logStream).toContain(`[${second}]`);
    expect(of('LambdaTelemetry', 'Duration', { FunctionName: 'shop', FunctionVersion: '1' })).toEqual([]);
    const invocations = of('AWS/Lambda', 'Invocations', {
      FunctionName: 'shop',
      Resource: 'shop:live',
      ExecutedVersion: second,
    });
    expect(sum(invocations)).toBe(1);
  });
});
