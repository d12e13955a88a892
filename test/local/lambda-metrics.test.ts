import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InvokeCommand,
  type InvokeCommandOutput,
  LambdaClient,
  TooManyRequestsException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readMetrics, type StoredMetric } from '../../local/logs/metric-store';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { eventually } from '../support/eventually';

const VERSIONED = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'versioned');
const RECORDER = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'extension',
  'recorder.mjs',
);
/** How long the extension works after each INVOKE: the invoke phase outlasts the response by this. */
const POST_INVOKE_WORK_MS = 500;

/**
 * A layer with one external extension (the recorder fixture) that works after every INVOKE
 * before calling `next`, as a telemetry extension flushing after the response does; the
 * environment variables it needs go to the function's configuration.
 */
async function postInvokeWorkLayer(
  stateDir: string,
): Promise<{ layer: string; environment: Record<string, string> }> {
  const layer = path.join(stateDir, 'post-invoke-layer');
  const outDir = path.join(stateDir, 'recorder');
  await mkdir(path.join(layer, 'extensions'), { recursive: true });
  await mkdir(outDir, { recursive: true });
  const launcher = path.join(layer, 'extensions', 'post-invoke');
  await writeFile(launcher, `#!/bin/sh\nexec node "${RECORDER}" "$(basename "$0")"\n`);
  await chmod(launcher, 0o755);
  return {
    layer,
    environment: {
      RECORDER_OUT: outDir,
      RECORDER_CONFIG: JSON.stringify({
        'post-invoke': {
          events: ['INVOKE'],
          subscribe: false,
          onInvoke: 'work',
          workMs: POST_INVOKE_WORK_MS,
        },
      }),
    },
  };
}

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
  options:
    | Parameters<typeof startSandbox>[0]
    | ((stateDir: string) => Promise<Parameters<typeof startSandbox>[0]>),
): Promise<{ sandbox: Sandbox; stateDir: string }> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'lambda-metrics-'));
  const sandbox = await startSandbox({
    codeDir: VERSIONED,
    functionName: 'shop',
    inMemory: true,
    stateDir,
    timeoutSec: 10,
    ...(typeof options === 'function' ? await options(stateDir) : options),
  });
  return { sandbox, stateDir };
}

describe('throttling at the reserved concurrency', () => {
  let sandbox: Sandbox;
  let stateDir: string;
  let lambda: LambdaClient;

  beforeAll(async () => {
    // The extension keeps every invoke phase open after the response, so the slot is still held
    // when a caller has its answer, as in Lambda; each test starts while the last one's may run.
    ({ sandbox, stateDir } = await started(async (dir) => {
      const { layer, environment } = await postInvokeWorkLayer(dir);
      // The recorder runs from this checkout and writes to the test's directory: the host's view.
      return { layers: [layer], environment, reservedConcurrency: 1, shareHost: true };
    }));
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

  /** `ConcurrentExecutions` data points of the function: one per admitted invocation. */
  const admissions = () =>
    exactly(sandbox, {
      namespace: 'AWS/Lambda',
      metricName: 'ConcurrentExecutions',
      dimensions: { FunctionName: 'shop' },
    });

  /**
   * Starts a slow invocation through the alias and waits until it holds the one slot. The
   * caller's answer comes before the invoke phase ends (the runtime and the extension call `next`
   * after it), so it first waits until every admitted invocation has its `Invocations` data
   * point, written at `platform.report`: the slot is free. A refusal fails at once. The
   * invocation comes back wrapped: an async function returning it bare would wait for its answer.
   */
  async function holdTheSlot(): Promise<{ readonly answer: Promise<InvokeCommandOutput> }> {
    const before = (await admissions()).length;
    await eventually(
      () =>
        exactly(sandbox, {
          namespace: 'AWS/Lambda',
          metricName: 'Invocations',
          dimensions: { FunctionName: 'shop' },
        }),
      (found) => sum(found) >= before,
    );
    const slow = lambda.send(
      new InvokeCommand({ FunctionName: 'shop:live', Payload: Buffer.from('{"sleepMs":1500}') }),
    );
    let refusal: { error: unknown } | undefined;
    slow.catch((error: unknown) => {
      refusal = { error };
    });
    await eventually(admissions, (found) => found.length > before || refusal !== undefined);
    if (refusal) throw refusal.error;
    return { answer: slow };
  }

  it('holds the slot again once the invoke phase of the answered holder is over', async () => {
    // Prepare
    const first = await holdTheSlot();
    await first.answer;

    // Act
    const second = await holdTheSlot();

    // Assess
    const output = await second.answer;
    expect(output.StatusCode).toBe(200);
    expect(output.FunctionError).toBeUndefined();
  });

  it('answers 429 TooManyRequestsException at the Invoke API and counts a Throttle', async () => {
    // Prepare
    const { answer: slow } = await holdTheSlot();

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
    const { answer: slow } = await holdTheSlot();

    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`);

    // Assess
    expect(response.status).toBe(500);
    expect(await response.json()).toEqual({ message: 'Internal Server Error' });
    await slow;
  });

  it('admits again once the invoke phase of the one in flight is over', async () => {
    // Prepare
    const { answer: slow } = await holdTheSlot();
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
