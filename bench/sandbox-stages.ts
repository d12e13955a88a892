/**
 * Cold start and warm path through the local sandbox (`startSandbox`): the real runtime and
 * extension processes, the HTTP API front door, the embedded DynamoDB. Figures come from the
 * Telemetry API events the sandbox emits (`platform.report`, `platform.runtimeDone`), read from
 * the environment pool's observer, and from the client side of the front door.
 */
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { settledBy, withTimeout } from '../common/deadline';
import { FunctionPool } from '../local/environment/function-pool';
import type {
  FunctionDefinition,
  InvokeInput,
  PlatformEvent,
  SandboxObserver,
} from '../local/environment/types';
import { type Sandbox, startSandbox } from '../local/sandbox';
import type { FunctionRunner } from '../local/traced-function';
import { NullSink } from './null-sink';
import { BENCH_DIST } from './paths';
import { progress } from './progress';
import type {
  ColdStartResult,
  MemorySizeResult,
  MissingFigure,
  WarmPathFigures,
  WarmPathResult,
} from './run-result';
import { histogram, summarize } from './statistics';
import { labelOf } from './variant-catalog';
import type { VariantRuntime } from './variants/build-variants';

interface ReportRecord {
  requestId: string;
  status: string;
  metrics: { durationMs: number; billedDurationMs: number; maxMemoryUsedMB: number; initDurationMs?: number };
}
interface RuntimeDoneRecord {
  requestId: string;
  status: string;
  metrics?: { durationMs: number };
}

/** Collects the platform events the bench needs, keyed by request id. */
class PlatformEvents {
  readonly reports: ReportRecord[] = [];
  readonly runtimeDone = new Map<string, RuntimeDoneRecord>();
  private waiters: Array<() => void> = [];

  record(event: PlatformEvent): void {
    if (event.type === 'platform.report') {
      this.reports.push(event.record as ReportRecord);
      for (const wake of this.waiters.splice(0)) wake();
    } else if (event.type === 'platform.runtimeDone') {
      const record = event.record as RuntimeDoneRecord;
      this.runtimeDone.set(record.requestId, record);
    }
  }

  /** Waits for the report at position `index` (reports arrive in invoke order for one environment). */
  async report(index: number, timeoutMs: number): Promise<ReportRecord> {
    const deadline = Date.now() + timeoutMs;
    while (this.reports.length <= index) {
      const next = new Promise<void>((resolve) => this.waiters.push(resolve));
      if (!(await settledBy(next, deadline))) throw new Error(`no platform.report within ${timeoutMs} ms`);
    }
    return this.reports[index]!;
  }
}

/**
 * A runner that can start over: `recycle()` shuts the current execution environment down so the
 * next invoke meets a fresh one, exactly as a Lambda cold start does (new processes, Init again).
 */
class RecyclingRunner implements FunctionRunner {
  private pool: FunctionPool;

  constructor(
    private readonly def: FunctionDefinition,
    private readonly observer: SandboxObserver,
  ) {
    this.pool = new FunctionPool(def, observer);
  }

  invoke(input: InvokeInput) {
    return this.pool.invoke(input);
  }

  async recycle(): Promise<void> {
    await this.pool.shutdown();
    this.pool = new FunctionPool(this.def, this.observer);
  }

  shutdown(): Promise<void> {
    return this.pool.shutdown();
  }
}

export interface VariantSandbox {
  sandbox: Sandbox;
  events: PlatformEvents;
  runner: () => RecyclingRunner;
  close: () => Promise<void>;
}

// Init is limited to 10 s in Lambda; a generous function timeout keeps a loaded machine from
// turning a slow cold start into a timeout.
const TIMEOUT_SEC = 10;
const REQUEST_TIMEOUT_MS = 35_000;
// Closing waits for SHUTDOWN's 2 s deadline; more than this means something is stuck.
const CLOSE_TIMEOUT_MS = 10_000;

/** Starts one variant in its own sandbox at `memoryMb`; `environment` adds or overrides variables. */
export async function startVariantSandbox(
  runtime: VariantRuntime,
  stage: string,
  memoryMb: number,
  environment: Record<string, string> = {},
): Promise<VariantSandbox> {
  const events = new PlatformEvents();
  // Spans of (c) go to a null OTLP backend; the others use the sandbox's own X-Ray stand-in.
  const sink = await NullSink.start();
  const stateDir = path.join(BENCH_DIST, 'state', `${stage}-${memoryMb}-${runtime.id}`);
  await rm(stateDir, { recursive: true, force: true });
  let runner: RecyclingRunner | undefined;
  const sandbox = await startSandbox({
    functionName: 'todos',
    codeDir: runtime.codeDir,
    handler: runtime.handler,
    layers: runtime.layers,
    // The null backend runs on this machine: the sandbox's own environment names it.
    passthrough: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url },
    environment: { ...runtime.environment, ...environment },
    memoryMb,
    timeoutSec: TIMEOUT_SEC,
    concurrency: 1,
    inMemory: true,
    stateDir,
    createRunner: (def, observer) => {
      runner = new RecyclingRunner(def, {
        onLog: (entry) => observer.onLog(entry),
        onPlatformEvent: (environmentId, event) => {
          observer.onPlatformEvent(environmentId, event);
          events.record(event);
        },
      });
      return runner;
    },
  });
  return {
    sandbox,
    events,
    runner: () => runner!,
    close: async () => {
      // Bounded, so one stuck variant cannot stall the whole run.
      await withTimeout(sandbox.close(), CLOSE_TIMEOUT_MS, 'closing the sandbox').catch((error: Error) =>
        progress('sandbox', error.message),
      );
      await sink.close();
    },
  };
}

interface HttpOutcome {
  status: number;
  firstByteMs: number;
  body: string;
}

/** One request, timing the first response byte from just before the request is written. */
export function request(url: string, method: string, body?: string): Promise<HttpOutcome> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = http.request(
      url,
      {
        method,
        agent: false,
        headers: body
          ? { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }
          : {},
      },
      (res) => {
        const firstByteMs = performance.now() - started;
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, firstByteMs, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    // Beyond API Gateway's 30 s integration timeout nothing legitimate is still coming.
    req.setTimeout(REQUEST_TIMEOUT_MS, () =>
      req.destroy(new Error(`${method} ${url} got no answer in ${REQUEST_TIMEOUT_MS} ms`)),
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Creates the todo every measured request reads, and returns its URL. */
export async function seedTodo(apiUrl: string): Promise<string> {
  const created = await request(`${apiUrl}/todos`, 'POST', JSON.stringify({ text: `bench ${randomUUID()}` }));
  if (created.status !== 201) {
    throw new Error(`POST /todos answered ${created.status}: ${created.body.slice(0, 200)}`);
  }
  const id = (JSON.parse(created.body) as { id?: string }).id;
  if (!id) throw new Error('POST /todos returned no id');
  return `${apiUrl}/todos/${id}`;
}

/** One cold start: shut the environment down, then time the request that has to start a new one. */
async function coldStartOnce(
  variant: VariantSandbox,
  todoUrl: string,
): Promise<{ init: number; firstByte: number; billed: number }> {
  await variant.runner().recycle();
  const before = variant.events.reports.length;
  const outcome = await request(todoUrl, 'GET');
  if (outcome.status !== 200) {
    throw new Error(`GET /todos/{id} answered ${outcome.status}: ${outcome.body.slice(0, 200)}`);
  }
  const report = await variant.events.report(before, 15_000);
  if (report.metrics.initDurationMs === undefined)
    throw new Error('the first invoke reported no initDurationMs');
  return {
    init: report.metrics.initDurationMs,
    firstByte: outcome.firstByteMs,
    billed: report.metrics.billedDurationMs,
  };
}

// Latency buckets for the distribution chart: fixed edges so that charts of different runs and
// variants compare; a sample above the top edge lands in the last bucket instead of stretching
// the axis.
const HISTOGRAM_UPPER_MS = 100;
const HISTOGRAM_BUCKETS = 50;
// Requests before measuring, so the environment, JIT and connections are warm.
const WARM_UP_REQUESTS = 30;
const LAST_REPORT_SETTLE_MS = 500;

interface WarmSamples {
  latencies: number[];
  perSecond: Map<number, number>;
  reports: ReportRecord[];
  requests: number;
  errors: number;
}

/** One slice of sustained load on a warm environment; appends to `samples`. */
async function warmSlice(
  variant: VariantSandbox,
  todoUrl: string,
  seconds: number,
  connections: number,
  samples: WarmSamples,
) {
  const firstReport = variant.events.reports.length;
  const result = await new Promise<{ errors: number; total: number }>((resolve, reject) => {
    const instance = autocannon(
      { url: todoUrl, connections, duration: seconds, timeout: 30 },
      (error, done) => {
        if (error) reject(error);
        else resolve({ errors: done.errors + done.timeouts + done.non2xx, total: done.requests.total });
      },
    );
    instance.on('response', (_client, _status, _bytes, responseTimeMs) => {
      samples.latencies.push(responseTimeMs);
      const second = Math.floor(performance.now() / 1000);
      samples.perSecond.set(second, (samples.perSecond.get(second) ?? 0) + 1);
    });
  });
  // A fixed pause, not a wait for a count: the last invoke's report follows its response by the
  // post-runtime time, and how many invokes a timed autocannon run leaves in flight is not known.
  await sleep(LAST_REPORT_SETTLE_MS);
  samples.reports.push(...variant.events.reports.slice(firstReport));
  samples.requests += result.total;
  samples.errors += result.errors;
}

function warmFigures(
  runtime: VariantRuntime,
  variant: VariantSandbox,
  samples: WarmSamples,
  seconds: number,
  connections: number,
): WarmPathFigures {
  const durations: number[] = [];
  const billed: number[] = [];
  const postRuntime: number[] = [];
  const memoryUsed: number[] = [];
  for (const report of samples.reports) {
    const done = variant.events.runtimeDone.get(report.requestId);
    billed.push(report.metrics.billedDurationMs);
    memoryUsed.push(report.metrics.maxMemoryUsedMB);
    if (done?.metrics) {
      durations.push(done.metrics.durationMs);
      postRuntime.push(Math.max(0, report.metrics.durationMs - done.metrics.durationMs));
    }
  }
  // Whole seconds only: the first and last second of each slice are partial.
  const windows = [...samples.perSecond.entries()]
    .sort(([a], [b]) => a - b)
    .filter(([second]) => samples.perSecond.has(second - 1) && samples.perSecond.has(second + 1))
    .map(([, count]) => count);
  return {
    durationSec: seconds,
    connections,
    requests: samples.requests,
    errors: samples.errors,
    throughputRps: summarize(
      windows.length > 0 ? windows : [samples.latencies.length / seconds],
      'requests/s',
    ),
    latencyMs: summarize(samples.latencies, `${runtime.id} latency`),
    functionDurationMs: summarize(durations, `${runtime.id} function duration`),
    billedDurationMs: summarize(billed, `${runtime.id} billed duration`),
    postRuntimeMs: summarize(postRuntime, `${runtime.id} post-runtime`),
    maxMemoryUsedMb: summarize(memoryUsed, `${runtime.id} max memory used`),
    latencyHistogram: histogram(samples.latencies, HISTOGRAM_UPPER_MS, HISTOGRAM_BUCKETS),
    histogramUpperMs: HISTOGRAM_UPPER_MS,
  };
}

/** What to measure through the sandbox. */
export interface SandboxPlan {
  /** Cold starts per variant; 0 skips the stage. */
  coldStarts: number;
  /** Seconds of sustained load per variant; 0 skips the stage. */
  warmSeconds: number;
  warmConnections: number;
  /** Warm load is split into this many slices, interleaved across variants. */
  warmRounds: number;
  /** The function's memory: the sandbox gives the environment the CPU share Lambda gives it. */
  memoryMb: number;
}

/**
 * Cold starts and warm load for every variant, each in its own sandbox, all started up front and
 * measured round-robin (one cold start of each variant in turn, then slices of warm load), so
 * that drift in the shared machine's load falls on every variant alike instead of on whichever
 * ran last.
 */
export async function measureThroughSandbox(
  runtimes: VariantRuntime[],
  plan: SandboxPlan,
  missing: MissingFigure[],
): Promise<MemorySizeResult> {
  const live: Array<{ runtime: VariantRuntime; variant: VariantSandbox; todoUrl: string }> = [];
  const fail = (stage: string, runtime: VariantRuntime, error: unknown) => {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    progress(stage, `${labelOf(runtime.id)} failed: ${reason}`);
    missing.push({ stage, reason: `${labelOf(runtime.id)}: ${reason}` });
  };
  try {
    for (const runtime of runtimes) {
      let variant: VariantSandbox | undefined;
      try {
        variant = await withTimeout(
          startVariantSandbox(runtime, 'sandbox', plan.memoryMb),
          30_000,
          'starting the sandbox',
        );
        const todoUrl = await withTimeout(seedTodo(variant.sandbox.apiUrl), 30_000, 'the first request');
        live.push({ runtime, variant, todoUrl });
      } catch (error) {
        fail('sandbox', runtime, error);
        await variant?.close();
      }
    }
    progress('sandbox', `${live.length} variant sandboxes ready at ${plan.memoryMb} MB`);

    const result: MemorySizeResult = {
      // Every variant's sandbox gets the same resources for the same memory; none started: none sized.
      sizing: live[0]
        ? { memoryMb: plan.memoryMb, ...live[0].variant.sandbox.resources }
        : { memoryMb: plan.memoryMb, constrained: false, reason: 'no variant sandbox started' },
    };
    if (plan.coldStarts > 0) {
      const samples = new Map(
        live.map(({ runtime }) => [
          runtime.id,
          { init: [] as number[], firstByte: [] as number[], billed: [] as number[] },
        ]),
      );
      const failed = new Set<string>();
      // One discarded start per variant: it reads the bundle from disk into the page cache.
      for (let round = -1; round < plan.coldStarts; round++) {
        for (const { runtime, variant, todoUrl } of live) {
          if (failed.has(runtime.id)) continue;
          try {
            const sample = await withTimeout(coldStartOnce(variant, todoUrl), 30_000, 'a cold start');
            if (round < 0) continue;
            const bucket = samples.get(runtime.id)!;
            bucket.init.push(sample.init);
            bucket.firstByte.push(sample.firstByte);
            bucket.billed.push(sample.billed);
          } catch (error) {
            failed.add(runtime.id);
            fail('cold-start', runtime, error);
          }
        }
        if (round >= 0) progress('cold start', `round ${round + 1}/${plan.coldStarts} done`);
      }
      const byVariant: ColdStartResult['byVariant'] = {};
      for (const { runtime } of live) {
        const bucket = samples.get(runtime.id)!;
        if (failed.has(runtime.id) || bucket.init.length === 0) continue;
        byVariant[runtime.id] = {
          initMs: summarize(bucket.init, `${runtime.id} init ms`),
          firstByteMs: summarize(bucket.firstByte, `${runtime.id} first byte ms`),
          firstInvokeBilledMs: summarize(bucket.billed, `${runtime.id} first invoke billed ms`),
        };
        progress(
          'cold start',
          `${labelOf(runtime.id)}: init p50 ${byVariant[runtime.id]!.initMs.p50.toFixed(1)} ms`,
        );
      }
      if (Object.keys(byVariant).length > 0)
        result.coldStart = { samplesPerVariant: plan.coldStarts, byVariant };
    }

    if (plan.warmSeconds > 0) {
      const sliceSeconds = Math.max(1, Math.round(plan.warmSeconds / plan.warmRounds));
      const samples = new Map<string, WarmSamples>();
      const failed = new Set<string>();
      for (const { runtime, todoUrl } of live) {
        samples.set(runtime.id, { latencies: [], perSecond: new Map(), reports: [], requests: 0, errors: 0 });
        for (let index = 0; index < WARM_UP_REQUESTS; index++)
          await request(todoUrl, 'GET').catch(() => undefined);
      }
      for (let round = 0; round < plan.warmRounds; round++) {
        for (const { runtime, variant, todoUrl } of live) {
          if (failed.has(runtime.id)) continue;
          try {
            await withTimeout(
              warmSlice(variant, todoUrl, sliceSeconds, plan.warmConnections, samples.get(runtime.id)!),
              60_000 + sliceSeconds * 2_000,
              'warm load',
            );
          } catch (error) {
            failed.add(runtime.id);
            fail('warm-path', runtime, error);
          }
        }
        progress('warm path', `round ${round + 1}/${plan.warmRounds} done`);
      }
      const byVariant: WarmPathResult['byVariant'] = {};
      for (const { runtime, variant } of live) {
        if (failed.has(runtime.id)) continue;
        try {
          byVariant[runtime.id] = warmFigures(
            runtime,
            variant,
            samples.get(runtime.id)!,
            sliceSeconds * plan.warmRounds,
            plan.warmConnections,
          );
          const figures = byVariant[runtime.id]!;
          progress(
            'warm path',
            `${labelOf(runtime.id)}: ${figures.requests} requests, p50 ${figures.latencyMs.p50.toFixed(2)} ms`,
          );
        } catch (error) {
          fail('warm-path', runtime, error);
        }
      }
      if (Object.keys(byVariant).length > 0) result.warmPath = { byVariant };
    }
    return result;
  } finally {
    for (const { variant } of live) await variant.close();
  }
}
