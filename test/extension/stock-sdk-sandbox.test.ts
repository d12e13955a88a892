/**
 * A function instrumented with the stock OpenTelemetry SDK (BasicTracerProvider, the OTLP/protobuf
 * exporter aimed at `localhost:4318`) runs unchanged next to the built extension layer in the
 * sandbox, each environment with its own 127.0.0.1 as in Lambda. With the SDK's random W3C trace
 * ids the extension receives its spans but withholds them from X-Ray, which would refuse them
 * (InvalidTraceId), and says so once; with AWSXRayIdGenerator the same code's spans reach X-Ray.
 * One fixture serves both: its `ID_GENERATOR` variable picks the id generator.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isInXRayTraceIdWindow } from '../../extension/src/exporters/xray-trace-id-window';
import { EXTENSION_METRICS } from '../../extension/src/metric-names';
import type { InvokeOutput, LogEntry } from '../../local/environment/types';
import { readMetrics } from '../../local/logs/metric-store';
import { type Sandbox, startSandbox } from '../../local/sandbox';
import { readStoredSegments } from '../../local/xray/trace-store';
import { bundleFunction, lambdaViewSupport, recordingRunner } from '../support/lambda-view';
import { waitForTrace } from '../support/sandbox-traces';

const FIXTURE = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  'fixtures',
  'stock-otel-sdk',
  'index.mjs',
);
const FUNCTION_NAME = 'stock-otel-sdk';
/** Several invokes of one environment, so a once-per-process log line can be told from one per invoke. */
const INVOKES = 3;
/** What the fixture records per invoke: a server span and one child. */
const SPANS_PER_INVOKE = 2;
const OUT_OF_WINDOW = 'trace_id_out_of_window';

const support = await lambdaViewSupport();
const { skipped } = support;

/** What the fixture function answers. */
interface Answer {
  requestId: string;
  /** The trace id of the invoke's spans, 32 hex digits as OpenTelemetry writes it. */
  traceId: string;
  spans: number;
}

/** One sandbox run of the fixture: its answers, environments and extension log lines. */
interface StockSdkRun {
  readonly stateDir: string;
  readonly sandbox: Sandbox;
  readonly answers: Answer[];
  readonly outputs: InvokeOutput[];
  readonly extensionLines: LogEntry[];
}

/** The extension's JSON log lines at `level` that name `text` (its EMF documents may name it too). */
function extensionLogLines(run: StockSdkRun, level: string, text: string): Record<string, unknown>[] {
  const parsed = (line: string): Record<string, unknown> => {
    try {
      return JSON.parse(line) as Record<string, unknown>;
    } catch {
      return {};
    }
  };
  return run.extensionLines
    .filter((entry) => entry.line.includes(text))
    .map((entry) => parsed(entry.line))
    .filter((fields) => fields.level === level);
}

/** The X-Ray form `1-<8 hex>-<24 hex>` of an OpenTelemetry trace id. */
const xrayTraceId = (traceId: string) => `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;

/**
 * Bundles the fixture, runs it in a sandbox of one environment with `environment` as its
 * function variables, invokes it {@link INVOKES} times one after another, then closes the
 * sandbox (SHUTDOWN flushes what the extension still holds, and its final self-metrics).
 * A run that fails removes its state directory, as no `afterAll` will know of it.
 */
async function runStockSdkFunction(environment: Record<string, string>): Promise<StockSdkRun> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'stock-sdk-'));
  try {
    return await runInSandbox(stateDir, environment);
  } catch (error) {
    await rm(stateDir, { recursive: true, force: true, maxRetries: 5 });
    throw error;
  }
}

async function runInSandbox(stateDir: string, environment: Record<string, string>): Promise<StockSdkRun> {
  const codeDir = path.join(stateDir, 'task');
  await bundleFunction(FIXTURE, path.join(codeDir, 'index.mjs'));
  const outputs: InvokeOutput[] = [];
  const extensionLines: LogEntry[] = [];
  const sandbox = await startSandbox({
    functionName: FUNCTION_NAME,
    codeDir,
    handler: 'index.handler',
    concurrency: 1,
    timeoutSec: 20,
    inMemory: true,
    stateDir,
    // The extension exports after each response, so SHUTDOWN has little left to flush.
    environment: { TELEMETRY_FLUSH: 'invocation', ...environment },
    createRunner: recordingRunner({
      line: (entry) => {
        if (entry.stream === 'extension') extensionLines.push(entry);
      },
      output: (output) => outputs.push(output),
    }),
  });
  const lambda = new LambdaClient({
    endpoint: sandbox.lambdaUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const answers: Answer[] = [];
  try {
    for (let i = 0; i < INVOKES; i++) {
      const result = await lambda.send(
        new InvokeCommand({ FunctionName: FUNCTION_NAME, Payload: Buffer.from('{}') }),
      );
      const text = Buffer.from(result.Payload ?? []).toString('utf8');
      if (result.FunctionError) throw new Error(`the function failed: ${text}`);
      answers.push(JSON.parse(text) as Answer);
    }
  } finally {
    lambda.destroy();
    await sandbox.close();
  }
  return { stateDir, sandbox, answers, outputs, extensionLines };
}

/** Sum of an extension self-metric; drop metrics per `reason`, or their total without it. */
async function metricTotal(run: StockSdkRun, metricName: string, reason?: string): Promise<number> {
  const reasonDimension = EXTENSION_METRICS.dimensions.reason;
  const stored = await readMetrics(run.sandbox.paths.metrics, {
    metricName,
    ...(reason ? { dimensions: { [reasonDimension]: reason } } : {}),
  });
  // Drop metrics are published both per reason and as a total without it: never count both.
  return stored
    .filter((m) => reason !== undefined || m.dimensions[reasonDimension] === undefined)
    .reduce((sum, m) => sum + m.values.reduce((s, v, i) => s + v * (m.counts[i] ?? 1), 0), 0);
}

describe(`a function on the stock OpenTelemetry SDK, unchanged, with the extension layer${skipped}`, () => {
  describe('with the SDK default random trace ids', () => {
    let run: StockSdkRun | undefined;

    beforeAll(async () => {
      if (!support.available) return;
      // Prepare, Act: the fixture without an id generator of its own, invoked several times.
      run = await runStockSdkFunction({});
    });

    afterAll(async () => {
      if (run) await rm(run.stateDir, { recursive: true, force: true, maxRetries: 5 });
    });

    /**
     * The answers whose trace id X-Ray would refuse. A random id's first 32 bits fall in X-Ray's
     * 30-day window about once in 1,700 draws; such a trace is exported as X-Ray would take it.
     */
    const refused = () => run!.answers.filter((answer) => !isInXRayTraceIdWindow(answer.traceId, Date.now()));

    it.skipIf(!support.available)('serves every invoke from one environment', () => {
      // Assess
      expect(run!.outputs.map((output) => output.status)).toEqual(Array(INVOKES).fill('success'));
      expect(new Set(run!.outputs.map((output) => output.environmentId)).size).toBe(1);
      expect(run!.answers.map((answer) => answer.spans)).toEqual(Array(INVOKES).fill(SPANS_PER_INVOKE));
    });

    it.skipIf(!support.available)(
      "receives the function's spans on localhost:4318 and counts the ones X-Ray would refuse as dropped trace_id_out_of_window",
      async () => {
        // Assess
        const withheld = refused().length * SPANS_PER_INVOKE;
        expect(withheld).toBeGreaterThan(0);
        expect(await metricTotal(run!, EXTENSION_METRICS.spansReceived)).toBe(INVOKES * SPANS_PER_INVOKE);
        expect(await metricTotal(run!, EXTENSION_METRICS.spansDropped, OUT_OF_WINDOW)).toBe(withheld);
        expect(await metricTotal(run!, EXTENSION_METRICS.spansDropped)).toBe(withheld);
        expect(await metricTotal(run!, EXTENSION_METRICS.spansExported)).toBe(
          INVOKES * SPANS_PER_INVOKE - withheld,
        );
      },
    );

    it.skipIf(!support.available)('stores no X-Ray segment under the refused trace ids', async () => {
      // Assess: the sandbox is closed, so its store holds everything the extension sent.
      const refusedIds = new Set(refused().map((answer) => xrayTraceId(answer.traceId)));
      const stored = await readStoredSegments(run!.sandbox.paths.xray);
      expect(stored.filter((segment) => refusedIds.has(segment.document.trace_id ?? ''))).toEqual([]);
    });

    it.skipIf(!support.available)(
      'logs the warning naming trace_id_out_of_window once in the environment, not once per invoke',
      () => {
        // Assess
        expect(new Set(run!.extensionLines.map((entry) => entry.environmentId))).toEqual(
          new Set([run!.outputs[0]!.environmentId]),
        );
        const warnings = extensionLogLines(run!, 'warn', OUT_OF_WINDOW);
        expect(warnings).toHaveLength(1);
        expect(warnings[0]).toMatchObject({
          source: 'telemetry-extension',
          reason: OUT_OF_WINDOW,
          traceId: refused()[0]!.traceId,
        });
      },
    );
  });

  describe('with AWSXRayIdGenerator as the provider idGenerator', () => {
    let run: StockSdkRun | undefined;

    beforeAll(async () => {
      if (!support.available) return;
      // Prepare, Act: the same fixture, told by its variable to use the X-Ray id generator.
      run = await runStockSdkFunction({ ID_GENERATOR: 'xray' });
    });

    afterAll(async () => {
      if (run) await rm(run.stateDir, { recursive: true, force: true, maxRetries: 5 });
    });

    it.skipIf(!support.available)('exports every span and drops none', async () => {
      // Assess
      expect(run!.outputs.map((output) => output.status)).toEqual(Array(INVOKES).fill('success'));
      expect(await metricTotal(run!, EXTENSION_METRICS.spansReceived)).toBe(INVOKES * SPANS_PER_INVOKE);
      expect(await metricTotal(run!, EXTENSION_METRICS.spansExported)).toBe(INVOKES * SPANS_PER_INVOKE);
      expect(await metricTotal(run!, EXTENSION_METRICS.spansDropped)).toBe(0);
      expect(extensionLogLines(run!, 'warn', OUT_OF_WINDOW)).toEqual([]);
    });

    it.skipIf(!support.available)(
      "shows each invoke's spans in the X-Ray store under its trace id",
      async () => {
        // Assess
        for (const answer of run!.answers) {
          const segments = await waitForTrace(
            run!.sandbox,
            xrayTraceId(answer.traceId),
            (found) => found.filter((s) => s.source === 'put-trace-segments').length >= SPANS_PER_INVOKE,
          );
          const exported = segments.filter((s) => s.source === 'put-trace-segments').map((s) => s.document);
          const server = exported.find((document) => document.name === 'GET /stock');
          expect(server).toMatchObject({ metadata: { default: { 'faas.invocation_id': answer.requestId } } });
          expect(exported.find((document) => document.name === 'load items')).toMatchObject({
            type: 'subsegment',
            parent_id: server!.id,
          });
        }
      },
    );
  });
});
