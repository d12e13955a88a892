/**
 * `npm run bench:isolation`: what an execution environment's own namespaces cost
 * (`local/environment/isolation/`), against the same environment on the host's filesystem and
 * network, side by side in one run (the two alternate, each round in the other order first).
 * The todo function with the telemetry extension layer and an embedded DynamoDB; per
 * environment:
 * - start: `ExecutionEnvironment.start()`: the namespaces, the gateway and the Lambda API socket,
 *   against binding a fresh loopback address (cgroups are made in both);
 * - Init: the first invoke's `Init Duration` (extension registration, runtime start, handler
 *   import), through nsenter or not;
 * - cold invoke: from before `start()` until the first response;
 * - shutdown: the shutdown sequence and the removal of the namespaces' directory.
 */
import path from 'node:path';
import { DEFAULTS } from '../local/config';
import { startEmbeddedDynamoDB } from '../local/dynamodb';
import { ExecutionEnvironment } from '../local/environment/execution-environment';
import { isolationSupport } from '../local/environment/isolation/isolation-probe';
import type { FunctionDefinition, PlatformEvent } from '../local/environment/types';
import { httpApiEvent } from '../test/support/http-api-event';
import { quantileSorted } from './statistics';

const ROUNDS = 15;
type Mode = 'shared' | 'lambda';

interface Sample {
  readonly startMs: number;
  readonly initMs: number;
  readonly coldMs: number;
  readonly shutdownMs: number;
}

function median(values: readonly number[]): number {
  return quantileSorted(
    [...values].sort((a, b) => a - b),
    0.5,
  );
}

async function once(def: FunctionDefinition): Promise<Sample> {
  let initMs = Number.NaN;
  const env = new ExecutionEnvironment(def, {
    onLog() {},
    onPlatformEvent(_id: string, event: PlatformEvent) {
      const record = event.record as { metrics?: { initDurationMs?: number } };
      if (event.type === 'platform.report' && record.metrics?.initDurationMs !== undefined)
        initMs = record.metrics.initDurationMs;
    },
  });
  const began = performance.now();
  await env.start();
  const started = performance.now();
  const { output, phaseEnded } = env.invoke({
    payload: Buffer.from(JSON.stringify(httpApiEvent({ method: 'GET', path: '/todos', traceHeader: null }))),
  });
  const answer = await output;
  const answered = performance.now();
  if (answer.status !== 'success') throw new Error(`invoke failed: ${answer.payload.toString()}`);
  await phaseEnded;
  const stopping = performance.now();
  await env.shutdown();
  return {
    startMs: started - began,
    initMs,
    coldMs: answered - began,
    shutdownMs: performance.now() - stopping,
  };
}

async function main(): Promise<void> {
  const support = await isolationSupport();
  if (!support.available) throw new Error(`namespaces are not available here: ${support.reason}`);
  const dynamodb = await startEmbeddedDynamoDB({ tables: [DEFAULTS.tableName] });
  const definition = (mode: Mode): FunctionDefinition => ({
    name: 'todos',
    codeDir: path.resolve(DEFAULTS.codeDir),
    handler: DEFAULTS.handler,
    memoryMb: 1024,
    timeoutSec: 10,
    layers: [path.resolve(DEFAULTS.layerDir)],
    environment: { TABLE_NAME: DEFAULTS.tableName, AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint },
    sandboxEndpoints: ['AWS_ENDPOINT_URL_DYNAMODB'],
    ...(mode === 'shared' ? { shareHost: true } : {}),
    concurrency: 1,
    freeze: true,
    idleTimeoutMs: 60_000,
    region: DEFAULTS.region,
  });
  const samples: Record<Mode, Sample[]> = { shared: [], lambda: [] };
  try {
    // One of each first, unmeasured: bundles built, files in the page cache.
    for (const mode of ['shared', 'lambda'] as const) await once(definition(mode));
    for (let round = 0; round < ROUNDS; round += 1) {
      const order: Mode[] = round % 2 === 0 ? ['shared', 'lambda'] : ['lambda', 'shared'];
      for (const mode of order) samples[mode].push(await once(definition(mode)));
    }
  } finally {
    await dynamodb.close();
  }
  const row = (label: string, pick: (s: Sample) => number) => {
    const shared = median(samples.shared.map(pick));
    const lambda = median(samples.lambda.map(pick));
    return `  ${label.padEnd(12)} host ${shared.toFixed(1).padStart(7)} ms   own namespaces ${lambda.toFixed(1).padStart(7)} ms   difference ${(lambda - shared).toFixed(1).padStart(6)} ms`;
  };
  console.log(
    [
      `Execution environment start, host view vs own namespaces (median of ${ROUNDS}):`,
      row('start', (s) => s.startMs),
      row('Init', (s) => s.initMs),
      row('cold invoke', (s) => s.coldMs),
      row('shutdown', (s) => s.shutdownMs),
    ].join('\n'),
  );
}

await main();
