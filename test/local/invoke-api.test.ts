import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient, ResourceNotFoundException } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { eventually } from '../support/eventually';
import { waitForTrace } from '../support/sandbox-traces';

const ECHO = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'echo');

let stateDir: string;
let sandbox: Sandbox;
let lambda: LambdaClient;

beforeAll(async () => {
  stateDir = await mkdtemp(path.join(tmpdir(), 'invoke-api-'));
  // The echo function in a real runtime process; no layer, so no extension to wait for.
  sandbox = await startSandbox({
    codeDir: ECHO,
    functionName: 'echo',
    layers: [],
    inMemory: true,
    stateDir,
    timeoutSec: 10,
  });
  lambda = new LambdaClient({
    endpoint: sandbox.lambdaUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  lambda?.destroy();
  await sandbox?.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** Every stored log stream of a function, concatenated. */
async function readLogs(dir: string): Promise<string> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  const files = entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name));
  return (await Promise.all(files.map((file) => readFile(file, 'utf8')))).join('');
}

const decode = (payload: Uint8Array | undefined) => JSON.parse(Buffer.from(payload ?? []).toString('utf8'));

describe('Lambda Invoke API', () => {
  it('returns the function response to LambdaClient with status 200 and the executed version', async () => {
    // Act
    const result = await lambda.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from(JSON.stringify({ hello: 'world' })) }),
    );

    // Assess
    expect(result.StatusCode).toBe(200);
    expect(result.ExecutedVersion).toBe('$LATEST');
    expect(result.FunctionError).toBeUndefined();
    expect(decode(result.Payload).event).toEqual({ hello: 'world' });
  });

  it('accepts the function as a full ARN with the $LATEST qualifier', async () => {
    // Act
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: 'arn:aws:lambda:us-east-1:123456789012:function:echo',
        Qualifier: '$LATEST',
        Payload: Buffer.from('{"n":1}'),
      }),
    );

    // Assess
    expect(decode(result.Payload).event).toEqual({ n: 1 });
  });

  it('marks a function error with X-Amz-Function-Error and returns the error document', async () => {
    // Act
    const result = await lambda.send(
      new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"mode":"error"}') }),
    );

    // Assess
    expect(result.StatusCode).toBe(200);
    expect(result.FunctionError).toBe('Unhandled');
    expect(decode(result.Payload)).toMatchObject({
      errorType: 'TypeError',
      errorMessage: 'deliberate failure',
    });
  });

  it('returns the invocation log, base64, with LogType Tail', async () => {
    // Act
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: 'echo',
        LogType: 'Tail',
        Payload: Buffer.from('{"marker":"tail-7"}'),
      }),
    );

    // Assess
    const log = Buffer.from(result.LogResult ?? '', 'base64').toString('utf8');
    expect(log).toMatch(/^START RequestId: [0-9a-f-]{36} Version: \$LATEST\n/);
    expect(log).toContain('tail-7');
    expect(Buffer.byteLength(log)).toBeLessThanOrEqual(4096);
  });

  it('answers ResourceNotFoundException for a function it does not have', async () => {
    // Act
    const attempt = lambda.send(new InvokeCommand({ FunctionName: 'nope', Payload: Buffer.from('{}') }));

    // Assess
    await expect(attempt).rejects.toBeInstanceOf(ResourceNotFoundException);
    await expect(attempt).rejects.toThrow(
      'Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope',
    );
  });

  it('accepts an Event invocation with 202 and runs it in the background', async () => {
    // Act
    const result = await lambda.send(
      new InvokeCommand({
        FunctionName: 'echo',
        InvocationType: 'Event',
        Payload: Buffer.from('{"marker":"async-9"}'),
      }),
    );

    // Assess
    expect(result.StatusCode).toBe(202);
    const logs = await eventually(
      async () => {
        await sandbox.logs.flush();
        return readLogs(path.join(sandbox.paths.logs, 'echo'));
      },
      (text) => text.includes('async-9'),
    );
    expect(logs).toContain('async-9');
  });

  it('extracts the EMF document the function prints into the metric store', async () => {
    // Act
    await lambda.send(new InvokeCommand({ FunctionName: 'echo', Payload: Buffer.from('{"mode":"emf"}') }));

    // Assess
    const metrics = await eventually(
      async () => {
        await sandbox.logs.flush();
        return sandbox.metrics.query({ namespace: 'SandboxTest', metricName: 'PayloadBytes' });
      },
      (found) => found.length > 0,
    );
    expect(metrics[0]).toMatchObject({
      dimensions: { service: 'echo' },
      unit: 'Bytes',
      values: [10, 20],
      counts: [2, 1],
      logGroup: '/aws/lambda/echo',
    });
  });

  it('writes a faulted function segment with the error as its cause for a traced failing invoke', async () => {
    // Prepare
    // Its time part is now's: X-Ray accepts trace ids of the last 30 days only.
    const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-0000000000000000000e4404`;

    // Act
    // The SDK's InvokeCommand has no trace-header parameter; Lambda reads X-Amzn-Trace-Id from the request.
    const traced = await fetch(`${sandbox.lambdaUrl}/2015-03-31/functions/echo/invocations`, {
      method: 'POST',
      headers: { 'x-amzn-trace-id': `Root=${root};Sampled=1` },
      body: '{"mode":"error"}',
    });

    // Assess
    expect(traced.headers.get('x-amz-function-error')).toBe('Unhandled');
    const segments = await waitForTrace(sandbox, root, (found) => found.length >= 2);
    const fn = segments.find((stored) => stored.document.origin === 'AWS::Lambda::Function')!.document;
    expect(fn.fault).toBe(true);
    expect(fn.cause).toMatchObject({ exceptions: [{ type: 'TypeError', message: 'deliberate failure' }] });
    expect(fn.subsegments?.find((sub) => sub.name === 'Invocation')?.fault).toBe(true);
  });
});
