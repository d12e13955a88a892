/**
 * Third-party code written for Lambda runs in the sandbox unchanged, in the shapes the public
 * examples use, each copy in an execution environment of its own:
 * - a launcher in `/opt/extensions` that execs its extension from `/opt/<name>/`, which reads
 *   its settings from `/opt/<name>/config.json`;
 * - a Telemetry API listener bound to `sandbox.localdomain:4243`;
 * - a Python extension on the standard library alone;
 * - a function bundled with esbuild (as deployment packages are) that exports its spans with the
 *   stock OpenTelemetry SDK to `localhost:4318`, where a collector-like extension listens, and
 *   reads the layers at `/opt`, `/tmp` and its working directory.
 * Six invokes arrive at once with a concurrency of three, so several environments run side by
 * side with the same ports and paths: each must see only its own requests, spans and files.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { InvokeOutput, LogEntry } from '../../local/environment/types';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { bundleFunction, lambdaViewSupport, recordingRunner } from '../support/lambda-view';

const FIXTURES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'fixtures', 'lambda-world');
/** In this order: the last layer's files win where two layers hold the same path under /opt. */
const LAYERS = ['config-echo', 'telemetry-listener', 'python-invokes', 'otlp-sink'].map((layer) =>
  path.join(FIXTURES, 'layers', layer),
);
const FUNCTION_NAME = 'lambda-world';
const INVOKES = 6;
const CONCURRENCY = 3;

const support = await lambdaViewSupport();
const { skipped } = support;

/** What the fixture function answers. */
interface Seen {
  requestId: string;
  logStreamName: string;
  cwd: string;
  taskRoot: string;
  optWinner: string;
  optFirstOnly: string;
  /** Whether an earlier invoke of the same environment had left its marker in /tmp. */
  ownMarker: boolean;
  otherMarkers: string[];
}

let stateDir: string;
let sandbox: Sandbox | undefined;
const logs: LogEntry[] = [];
const outputs: InvokeOutput[] = [];
const seen: Seen[] = [];

/** The environments that served the invokes, with the request ids each served. */
function requestsByEnvironment(): Map<string, string[]> {
  const served = new Map<string, string[]>();
  for (const output of outputs)
    served.set(output.environmentId, [...(served.get(output.environmentId) ?? []), output.requestId]);
  return served;
}

/** For each environment, the first capture group of `pattern` over the lines of its extensions. */
function capturedByEnvironment(pattern: RegExp): Map<string, string[]> {
  const captured = new Map<string, string[]>();
  for (const entry of logs) {
    const match = entry.stream === 'extension' ? pattern.exec(entry.line) : null;
    if (match?.[1] === undefined) continue;
    captured.set(entry.environmentId, [...(captured.get(entry.environmentId) ?? []), match[1]]);
  }
  return captured;
}

const sorted = (values: readonly string[] | undefined) => [...(values ?? [])].sort();

describe(`third-party Lambda code, unchanged, in concurrent environments${skipped}`, () => {
  beforeAll(async () => {
    if (!support.available) return;
    // Prepare: the function bundled as a deployment package, the sandbox's own front door, and
    // every line and outcome of the environments recorded with the environment it came from.
    stateDir = await mkdtemp(path.join(tmpdir(), 'unchanged-code-'));
    const codeDir = path.join(stateDir, 'task');
    await bundleFunction(path.join(FIXTURES, 'function', 'index.mjs'), path.join(codeDir, 'index.mjs'));
    sandbox = await startSandbox({
      functionName: FUNCTION_NAME,
      codeDir,
      handler: 'index.handler',
      layers: LAYERS,
      concurrency: CONCURRENCY,
      timeoutSec: 20,
      inMemory: true,
      stateDir,
      createRunner: recordingRunner({
        line: (entry) => logs.push(entry),
        output: (output) => outputs.push(output),
      }),
    });
    const lambda = new LambdaClient({
      endpoint: sandbox.lambdaUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });

    // Act: the invokes at once, then SHUTDOWN, before which the Telemetry API delivers what it holds.
    const results = await Promise.all(
      Array.from({ length: INVOKES }, () =>
        lambda.send(new InvokeCommand({ FunctionName: FUNCTION_NAME, Payload: Buffer.from('{}') })),
      ),
    );
    lambda.destroy();
    await sandbox.close();
    for (const result of results) {
      const text = Buffer.from(result.Payload ?? []).toString('utf8');
      if (result.FunctionError) throw new Error(`the function failed: ${text}`);
      seen.push(JSON.parse(text) as Seen);
    }
  });

  afterAll(async () => {
    await sandbox?.close();
    if (stateDir) await rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
  });

  it.skipIf(!support.available)('serves the simultaneous invokes from several environments at once', () => {
    // Assess
    const environments = requestsByEnvironment();
    expect(outputs.map((output) => output.status)).toEqual(Array(INVOKES).fill('success'));
    expect(environments.size).toBeGreaterThanOrEqual(2);
    expect(environments.size).toBeLessThanOrEqual(CONCURRENCY);
    // Each environment has one log stream, which its function sees as AWS_LAMBDA_LOG_STREAM_NAME.
    const streams = [...environments.values()].map(
      (requests) => new Set(seen.filter((s) => requests.includes(s.requestId)).map((s) => s.logStreamName)),
    );
    expect(streams.map((names) => names.size)).toEqual(Array(environments.size).fill(1));
    expect(new Set(streams.flatMap((names) => [...names])).size).toBe(environments.size);
  });

  it.skipIf(!support.available)('runs the function in /var/task, its LAMBDA_TASK_ROOT', () => {
    // Assess
    expect(seen).toHaveLength(INVOKES);
    for (const answer of seen) expect(answer).toMatchObject({ cwd: '/var/task', taskRoot: '/var/task' });
  });

  it.skipIf(!support.available)('merges the layers at /opt, the later layer winning a shared path', () => {
    // Assess
    for (const answer of seen) {
      expect(answer).toMatchObject({
        optWinner: 'otlp-sink layer',
        optFirstOnly: 'only the config-echo layer has this file',
      });
    }
  });

  it.skipIf(!support.available)(
    "gives each environment a /tmp of its own, kept across its invokes, that no other environment's files reach",
    () => {
      // Assess: six invokes in at most three environments, so some environment served several.
      expect(seen.flatMap((answer) => answer.otherMarkers)).toEqual([]);
      for (const requests of requestsByEnvironment().values()) {
        const kept = seen.filter((answer) => requests.includes(answer.requestId) && answer.ownMarker);
        expect(kept).toHaveLength(requests.length - 1);
      }
    },
  );

  it.skipIf(!support.available)(
    'starts a launcher that execs its extension from /opt, reading its config there, for its own invokes',
    () => {
      // Assess
      const invoked = capturedByEnvironment(
        /^config-echo INVOKE (\S+) greeting=configured in \/opt\/config-echo\/config\.json$/,
      );
      for (const [environmentId, requests] of requestsByEnvironment()) {
        expect(sorted(invoked.get(environmentId))).toEqual(sorted(requests));
      }
    },
  );

  it.skipIf(!support.available)(
    "delivers each environment's platform.start only to the listener on its own sandbox.localdomain",
    () => {
      // Assess
      const started = capturedByEnvironment(/^telemetry-listener platform\.start (\S+)$/);
      for (const [environmentId, requests] of requestsByEnvironment()) {
        expect(sorted(started.get(environmentId))).toEqual(sorted(requests));
      }
    },
  );

  it.skipIf(!support.available)('runs a Python extension that receives its own INVOKE events', () => {
    // Assess
    const invoked = capturedByEnvironment(/^python-invokes INVOKE (\S+)$/);
    for (const [environmentId, requests] of requestsByEnvironment()) {
      expect(sorted(invoked.get(environmentId))).toEqual(sorted(requests));
    }
  });

  it.skipIf(!support.available)(
    "brings the function's OpenTelemetry spans to the localhost:4318 receiver of its own environment",
    () => {
      // Assess
      const streams = capturedByEnvironment(
        /^otlp-sink \/v1\/traces span lambda-world .*lambda\.log_stream=(\S+)/,
      );
      const invocations = capturedByEnvironment(
        /^otlp-sink \/v1\/traces span lambda-world .*faas\.invocation_id=(\S+)/,
      );
      for (const [environmentId, requests] of requestsByEnvironment()) {
        const ownStream = seen.find((answer) => answer.requestId === requests[0])?.logStreamName;
        expect(sorted(invocations.get(environmentId))).toEqual(sorted(requests));
        expect(streams.get(environmentId)).toEqual(Array(requests.length).fill(ownStream));
      }
    },
  );
});
