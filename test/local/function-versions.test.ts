import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InvalidParameterValueException,
  InvokeCommand,
  LambdaClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StoredMetric } from '../../local/logs/metric-store';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { AliasUpdateError } from '../../local/versions/function-versions';
import { eventually } from '../support/eventually';

const VERSIONED = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'versioned');
const ARN = 'arn:aws:lambda:us-east-1:123456789012:function:shop';

let stateDir: string;
let codeDir: string;
let sandbox: Sandbox;
let lambda: LambdaClient;

/** Rewrites the code directory's marker, as a rebuild of `dist/` would change it. */
async function changeCode(marker: string): Promise<void> {
  const file = path.join(codeDir, 'index.mjs');
  const source = await readFile(file, 'utf8');
  await writeFile(file, source.replace(/const marker = '[^']*';/, `const marker = '${marker}';`));
}

async function invoke(FunctionName: string, payload: object = {}, Qualifier?: string) {
  const result = await lambda.send(
    new InvokeCommand({
      FunctionName,
      Payload: Buffer.from(JSON.stringify(payload)),
      ...(Qualifier ? { Qualifier } : {}),
    }),
  );
  return {
    executedVersion: result.ExecutedVersion,
    body: JSON.parse(Buffer.from(result.Payload ?? []).toString('utf8')) as Record<string, unknown>,
  };
}

/** The `AWS/Lambda` data points of a metric with exactly these dimensions, as CloudWatch matches them. */
async function lambdaMetric(metricName: string, dimensions: Record<string, string>): Promise<StoredMetric[]> {
  const found = await sandbox.metrics.query({ namespace: 'AWS/Lambda', metricName, dimensions });
  return found.filter((metric) => Object.keys(metric.dimensions).length === Object.keys(dimensions).length);
}

const sum = (metrics: readonly StoredMetric[]) =>
  metrics.reduce(
    (total, metric) => total + metric.values.reduce((s, v, i) => s + v * (metric.counts[i] ?? 1), 0),
    0,
  );

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'function-versions-'));
  codeDir = path.join(stateDir, 'code');
  await cp(VERSIONED, codeDir, { recursive: true });
  // No layer: the versions, not the extension, are under test here.
  sandbox = await startSandbox({
    codeDir,
    functionName: 'shop',
    layers: [],
    inMemory: true,
    stateDir,
    timeoutSec: 10,
    concurrency: 4,
  });
  lambda = new LambdaClient({
    endpoint: sandbox.lambdaUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // Changed before version 1 ever ran: only a copy made at publish time still holds 'original'.
  await changeCode('second');
  await sandbox.versions.publish({ description: 'the second build' });
});

afterAll(async () => {
  lambda?.destroy();
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

describe('published versions', () => {
  it('starts with version 1 published and the live alias on it', () => {
    // Assess
    expect(sandbox.alias).toBe('live');
    expect(sandbox.versions.list().slice(0, 2)).toEqual(['1', '2']);
    expect(sandbox.versions.alias('live')).toEqual({ functionVersion: '1' });
    expect(sandbox.versions.alias('beta')).toBeUndefined();
  });

  it('runs the code as it was at publish time, whatever happened to the directory since', async () => {
    // Act
    const first = await invoke('shop:1');
    const second = await invoke('shop:2');

    // Assess
    expect(first.body.marker).toBe('original');
    expect(second.body.marker).toBe('second');
  });

  it('runs $LATEST from the code directory as it is', async () => {
    // Act
    const latest = await invoke('shop');

    // Assess
    expect(latest.executedVersion).toBe('$LATEST');
    expect(latest.body).toMatchObject({ marker: 'second', version: '$LATEST' });
  });

  it('gives each version its own AWS_LAMBDA_FUNCTION_VERSION and context', async () => {
    // Act
    const first = await invoke('shop:1');
    const second = await invoke('shop', {}, '2');

    // Assess
    expect(first.executedVersion).toBe('1');
    expect(first.body).toMatchObject({ version: '1', functionVersion: '1', invokedFunctionArn: `${ARN}:1` });
    expect(second.executedVersion).toBe('2');
    expect(second.body).toMatchObject({ version: '2', functionVersion: '2', invokedFunctionArn: `${ARN}:2` });
  });

  it('names each environment log stream for its version', async () => {
    // Act
    await invoke('shop:2');

    // Assess
    const streams = await eventually(
      async () => (await readdir(path.join(sandbox.paths.logs, 'shop'), { recursive: true })).map(String),
      (names) => names.some((name) => name.includes('[2]')) && names.some((name) => name.includes('[1]')),
    );
    expect(streams.some((name) => /\d{4}\/\d{2}\/\d{2}\/\[2\][0-9a-f]{32}$/.test(name))).toBe(true);
  });
});

describe('the Invoke API with qualifiers', () => {
  it.each([
    ['name:alias', 'shop:live', undefined],
    ['Qualifier parameter', 'shop', 'live'],
    ['partial ARN with qualifier', '123456789012:function:shop:live', undefined],
    ['full ARN with qualifier', `${ARN}:live`, undefined],
    ['full ARN and the same Qualifier', `${ARN}:live`, 'live'],
  ])('reaches the alias through %s', async (_form, functionName, qualifier) => {
    // Act
    const result = await invoke(functionName, {}, qualifier);

    // Assess
    expect(result.executedVersion).toBe('1');
    expect(result.body.invokedFunctionArn).toBe(`${ARN}:live`);
  });

  it('answers ResourceNotFoundException for a version or alias that does not exist', async () => {
    // Act
    const version = invoke(`${ARN}:9`);
    const alias = invoke('shop', {}, 'beta');

    // Assess
    await expect(version).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(version).rejects.toThrow(`Function not found: ${ARN}:9`);
    await expect(alias).rejects.toBeInstanceOf(ResourceNotFoundException);
  });

  it('answers 400 InvalidParameterValueException when the name and Qualifier disagree', async () => {
    // Act
    const attempt = invoke('shop:1', {}, '2');

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(InvalidParameterValueException);
    await expect(attempt).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
  });
});

describe('the live alias', () => {
  it('is what the HTTP API integrates', async () => {
    // Act
    const response = await fetch(`${sandbox.apiUrl}/todos`);

    // Assess
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ marker: 'original', version: '1' });
  });

  it.each([
    ['an unknown version', { functionVersion: '7' }, 'ResourceNotFoundException'],
    [
      'two additional versions',
      { functionVersion: '1', additionalVersionWeights: { '2': 0.1, $LATEST: 0.1 } },
      'InvalidParameterValueException',
    ],
    ['a weight of 0', { functionVersion: '1', additionalVersionWeights: { '2': 0 } }, 'ValidationException'],
    ['a weight of 1', { functionVersion: '1', additionalVersionWeights: { '2': 1 } }, 'ValidationException'],
    [
      'the primary as additional version',
      { functionVersion: '2', additionalVersionWeights: { '2': 0.5 } },
      'InvalidParameterValueException',
    ],
    [
      'an unknown additional version',
      { functionVersion: '1', additionalVersionWeights: { '8': 0.5 } },
      'ResourceNotFoundException',
    ],
  ])('refuses %s and keeps its routing', (_case, routing, errorType) => {
    // Act
    const update = () => sandbox.versions.updateAlias('live', routing);

    // Assess
    expect(update).toThrow(AliasUpdateError);
    expect(update).toThrow(expect.objectContaining({ errorType }));
    expect(sandbox.versions.alias('live')).toEqual({ functionVersion: '1' });
  });

  it('routes about the weight of invocations to the additional version, and counts each in AWS/Lambda', async () => {
    // Prepare: an alias of its own, so no earlier invocation's data points count
    sandbox.versions.updateAlias('canary', { functionVersion: '1', additionalVersionWeights: { '2': 0.3 } });
    const sent = 200;

    // Act
    const executed: string[] = [];
    for (let batch = 0; batch < sent / 4; batch++) {
      const results = await Promise.all([1, 2, 3, 4].map(() => invoke('shop:canary')));
      for (const result of results) {
        expect(result.body.version).toBe(result.executedVersion);
        executed.push(result.executedVersion ?? '');
      }
    }

    // Assess
    const onSecond = executed.filter((version) => version === '2').length;
    const onFirst = executed.filter((version) => version === '1').length;
    expect(onFirst + onSecond).toBe(sent);
    // 0.3 of 200 is 60 ± 6.5 (one standard deviation): the bounds are more than four away.
    expect(onSecond / sent).toBeGreaterThan(0.15);
    expect(onSecond / sent).toBeLessThan(0.45);
    const perVersion = async (version: string) =>
      sum(
        await lambdaMetric('Invocations', {
          FunctionName: 'shop',
          Resource: 'shop:canary',
          ExecutedVersion: version,
        }),
      );
    await eventually(
      async () => [await perVersion('1'), await perVersion('2')],
      ([first, second]) => first === onFirst && second === onSecond,
    );
  });
});

describe('AWS/Lambda metrics', () => {
  it('records Invocations, Errors and Duration per invocation with the dimension sets Lambda uses', async () => {
    // Prepare: a version nothing else invokes
    const version = await sandbox.versions.publish();
    const byVersion = { FunctionName: 'shop', Resource: `shop:${version}` };
    const functionWide = () => lambdaMetric('Invocations', { FunctionName: 'shop' });
    const before = sum(await functionWide());

    // Act
    await invoke(`shop:${version}`);
    await invoke(`shop:${version}`, { fail: true });

    // Assess
    const [invocations, errors, durations] = await eventually(
      async () => [
        await lambdaMetric('Invocations', byVersion),
        await lambdaMetric('Errors', byVersion),
        await lambdaMetric('Duration', byVersion),
      ],
      ([found]) => sum(found ?? []) === 2,
    );
    expect(sum(errors ?? [])).toBe(1);
    expect(errors?.length).toBe(invocations?.length);
    expect(durations?.length).toBe(invocations?.length);
    expect(
      durations?.every((metric) => metric.unit === 'Milliseconds' && (metric.values[0] ?? -1) >= 0),
    ).toBe(true);
    // A version-qualified call has no ExecutedVersion set; the function-wide set counts everything.
    expect(
      await sandbox.metrics.query({
        namespace: 'AWS/Lambda',
        dimensions: { ...byVersion, ExecutedVersion: version },
      }),
    ).toEqual([]);
    const after = await eventually(functionWide, (found) => sum(found) >= before + 2);
    expect(sum(after)).toBe(before + sum(invocations ?? []));
  });

  it('names an unqualified invocation by the function alone as its Resource', async () => {
    // Prepare
    const unqualified = () => lambdaMetric('Invocations', { FunctionName: 'shop', Resource: 'shop' });
    const before = sum(await unqualified());

    // Act
    await invoke('shop');

    // Assess
    const found = await eventually(unqualified, (metrics) => sum(metrics) >= before + 1);
    expect(sum(found)).toBe(before + 1);
  });
});
