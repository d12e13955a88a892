/**
 * Extension start: from process spawn to `register`, to the first `event/next` (init done), and
 * resident memory once idle (and, when asked, once holding a load of spans), for the project's
 * extension builds against two floors that only register and wait — plain JavaScript on Node,
 * and C. Subjects run interleaved so drift in the shared machine's load spreads over all of them
 * alike. `measure-start.ts` is the command line for comparing the project's builds alone.
 */
import { execFile } from 'node:child_process';
import { access } from 'node:fs/promises';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { FunctionPool } from '../../local/environment/function-pool';
import type { SandboxObserver } from '../../local/environment/types';
import { spawnTracked, type TrackedChild } from '../child-process';
import { randomLoopbackAddress } from '../loopback-address';
import { postSpanLoad } from '../otlp-span-load';
import { DIST, EXTENSION_LAUNCHER, ROOT } from '../paths';
import { treeMemory } from '../process-memory';
import { progress } from '../progress';
import type { ExtensionStartResult, ExtensionStartSubject } from '../run-result';
import { summarize } from '../statistics';
import { type ProbeObservation, RegisterProbe } from './register-probe';

const run = promisify(execFile);

/** An executable to start as an extension. */
export interface StartSubject {
  id: string;
  label: string;
  executable: string;
  /** Arguments, e.g. the bundle when `executable` is `node` itself; Lambda passes none. */
  args?: readonly string[];
  /** Extra environment (e.g. to silence exporters). */
  environment?: Record<string, string>;
}

// Lambda's whole Init limit: an extension still not waiting on `next` by then has failed.
const INIT_TIMEOUT_MS = 10_000;
// A fixed pause, not a wait for an event: memory read right at `next` could catch the tail of
// init allocations, and nothing signals when they end.
const IDLE_SETTLE_MS = 100;
// Lambda's SHUTDOWN deadline with external extensions.
const SHUTDOWN_GRACE_MS = 2_000;

// Where `node scripts/build.mjs extension-bin` writes this machine's bun executable.
const BUN_EXECUTABLE = path.join(DIST, 'layer-bin', process.arch, 'extensions', 'telemetry-extension');

// Places a single self-contained executable of the extension could be built to.
const SINGLE_EXECUTABLE_CANDIDATES = [
  BUN_EXECUTABLE,
  path.join(DIST, 'layer-bun', 'extensions', 'telemetry-extension'),
  path.join(DIST, 'layer-binary', 'extensions', 'telemetry-extension'),
  path.join(DIST, 'layer-sea', 'extensions', 'telemetry-extension'),
  path.join(DIST, 'extension-binary', 'telemetry-extension'),
];

async function exists(file: string): Promise<boolean> {
  try {
    await access(file);
    return true;
  } catch {
    return false;
  }
}

/**
 * This machine's single-executable build of the extension, compiled first when none exists;
 * undefined, with the reason on one progress line, when it cannot be built.
 */
export async function singleExecutable(): Promise<string | undefined> {
  if (!(await exists(BUN_EXECUTABLE))) {
    // The bun build stays out of `npm run build`: it embeds a whole Bun runtime per architecture.
    progress('extension start', 'building the single-executable extension (bun build --compile)');
    await run(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), 'extension-bin'], {
      cwd: ROOT,
      env: { ...process.env, TELEMETRY_EXTENSION_ARCH: process.arch },
    }).catch((error: Error) =>
      progress('extension start', `single-executable build failed: ${error.message.split('\n')[0]}`),
    );
  }
  for (const candidate of SINGLE_EXECUTABLE_CANDIDATES) {
    if (await exists(candidate)) return candidate;
  }
  return undefined;
}

/** The project's extension builds that exist, and the names of those that do not. */
export async function projectExtensionSubjects(
  launcher: string = EXTENSION_LAUNCHER,
): Promise<{ subjects: StartSubject[]; missing: string[] }> {
  const subjects: StartSubject[] = [];
  const missing: string[] = [];
  if (await exists(launcher)) {
    subjects.push({
      id: 'ours-node',
      label: 'ours: layer launcher (registers from bash) + Node bundle',
      executable: launcher,
    });
  } else missing.push(`Node bundle (${path.relative(ROOT, launcher)}; the build failed)`);
  const single = await singleExecutable();
  if (single) subjects.push({ id: 'ours-single', label: 'ours: single executable', executable: single });
  else missing.push(`single executable (${path.relative(ROOT, BUN_EXECUTABLE)} could not be built)`);
  return { subjects, missing };
}

/** The environment an extension gets in Lambda (no `_HANDLER`, no `LAMBDA_TASK_ROOT`). */
export function extensionEnvironment(
  runtimeApi: string,
  address: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    AWS_LAMBDA_RUNTIME_API: runtimeApi,
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_SESSION_TOKEN: 'bench',
    TELEMETRY_RECEIVER_ADDRESS: `${address}:4318`,
    TELEMETRY_LISTENER_ADDRESS: `${address}:4243`,
    // Nothing is exported during a start measurement; keep exporters from reaching out.
    AWS_ENDPOINT_URL: `http://${address}:9`,
    ...extra,
  };
}

/**
 * What the probe saw of `child`'s init; rejects as soon as the child exits instead, or when
 * Lambda's Init limit passes first.
 */
export function initOf(probe: RegisterProbe, child: TrackedChild, who: string): Promise<ProbeObservation> {
  const exitedFirst = child.exited.then((code): never => {
    throw new Error(`${who} exited with code ${code} before init finished: ${child.tail}`);
  });
  return Promise.race([probe.observe(INIT_TIMEOUT_MS), exitedFirst]);
}

/** What one start of one subject measured; times from spawn, in ms. */
export interface StartSample {
  registerMs: number;
  readyMs: number;
  /** When it subscribed to the Telemetry API; undefined when it did not. */
  subscribeMs?: number;
  /** Resident memory once init is done and idle. */
  rssMb: number;
  /** Its anonymous (private) part. */
  rssAnonMb: number;
  /** Proportional set size: shared pages divided among the processes that map them. */
  pssMb: number;
  /** With a span load: spans the receiver accepted (its buffer refuses what is over its limits). */
  spansHeld?: number;
  /** With a span load: resident memory once the extension holds them. */
  rssWithSpansMb?: number;
  /** With a span load: its anonymous part. */
  rssAnonWithSpansMb?: number;
}

/**
 * One start of one subject. With a span load, `spans` are then posted to the extension's OTLP
 * receiver (in requests of `spansPerRequest`) and memory is read again while it holds what it
 * accepted: nothing is invoked, so nothing flushes.
 */
export async function startOnce(
  subject: StartSubject,
  load: { spans: number; spansPerRequest: number } = { spans: 0, spansPerRequest: 1 },
): Promise<StartSample> {
  const address = randomLoopbackAddress();
  const probe = await RegisterProbe.start(address);
  const spawnedAt = performance.now();
  const child = spawnTracked(subject.executable, [...(subject.args ?? [])], {
    env: extensionEnvironment(probe.runtimeApi, address, subject.environment),
    cwd: path.dirname(subject.executable),
  });
  try {
    const observation = await initOf(probe, child, subject.id);
    await sleep(IDLE_SETTLE_MS);
    const idle = await treeMemory(child.pid);
    const sample: StartSample = {
      registerMs: observation.registeredAt - spawnedAt,
      readyMs: observation.firstNextAt - spawnedAt,
      ...(observation.subscribedAt === undefined
        ? {}
        : { subscribeMs: observation.subscribedAt - spawnedAt }),
      rssMb: idle.rssMb,
      rssAnonMb: idle.rssAnonMb,
      pssMb: idle.pssMb,
    };
    if (load.spans > 0) {
      sample.spansHeld = await postSpanLoad(`${address}:4318`, load.spans, load.spansPerRequest);
      if (sample.spansHeld === 0) throw new Error(`${subject.id} accepted no spans: ${child.tail}`);
      await sleep(IDLE_SETTLE_MS);
      const holding = await treeMemory(child.pid);
      sample.rssWithSpansMb = holding.rssMb;
      sample.rssAnonWithSpansMb = holding.rssAnonMb;
    }
    return sample;
  } finally {
    probe.shutdown();
    await child.stop(SHUTDOWN_GRACE_MS);
    await probe.close();
  }
}

/**
 * Registration as the sandbox core sees it: a fresh execution environment per run with the
 * subject's layer, timed from `platform.initStart` to the subject's `platform.extension`
 * (emitted when its `register` is accepted). Telemetry API times have millisecond resolution.
 */
async function registerThroughSandbox(
  subject: StartSubject,
  codeDir: string,
  runs: number,
): Promise<number[]> {
  const layer = path.dirname(path.dirname(subject.executable));
  const name = path.basename(subject.executable);
  const samples: number[] = [];
  for (let index = 0; index < runs; index++) {
    let initStart: number | undefined;
    let registered: number | undefined;
    const observer: SandboxObserver = {
      onLog: () => undefined,
      onPlatformEvent: (_environmentId, event) => {
        if (event.type === 'platform.initStart') initStart ??= Date.parse(event.time);
        if (event.type === 'platform.extension' && (event.record as { name?: string }).name === name) {
          registered ??= Date.parse(event.time);
        }
      },
    };
    const pool = new FunctionPool(
      {
        name: 'bench',
        codeDir,
        handler: 'index.handler',
        memoryMb: 128,
        timeoutSec: 10,
        layers: [layer],
        environment: { TABLE_NAME: 'bench', ...subject.environment },
        concurrency: 1,
        freeze: false,
        idleTimeoutMs: 60_000,
        region: 'us-east-1',
      },
      observer,
    );
    try {
      // The event is not a valid request; only Init matters here, and the handler answers fast.
      await pool.invoke({ payload: Buffer.from('{}') });
    } finally {
      await pool.shutdown();
    }
    if (initStart === undefined || registered === undefined) {
      throw new Error(`${subject.id}: the sandbox reported no platform.extension for ${name}`);
    }
    samples.push(registered - initStart);
  }
  return samples;
}

/** Runs every subject `runs` times, interleaved, after one discarded warm-up start each. */
export async function measureExtensionStart(
  subjects: StartSubject[],
  runs: number,
  missingBuilds: string[],
  functionCodeDir?: string,
) {
  const samples = new Map<
    string,
    { registerMs: number[]; readyMs: number[]; rssMb: number[]; rssAnonMb: number[] }
  >();
  for (const subject of subjects) {
    // The first start pays for reading files into the page cache; Lambda's cold start does too,
    // but from a different disk, so it is not what this stage compares.
    await startOnce(subject);
    samples.set(subject.id, { registerMs: [], readyMs: [], rssMb: [], rssAnonMb: [] });
  }
  for (let index = 0; index < runs; index++) {
    for (const subject of subjects) {
      const sample = await startOnce(subject);
      const bucket = samples.get(subject.id)!;
      bucket.registerMs.push(sample.registerMs);
      bucket.readyMs.push(sample.readyMs);
      bucket.rssMb.push(sample.rssMb);
      bucket.rssAnonMb.push(sample.rssAnonMb);
    }
    progress('extension start', `run ${index + 1}/${runs} done`);
  }
  const throughSandbox = new Map<string, number[]>();
  if (functionCodeDir) {
    for (const subject of subjects) {
      try {
        throughSandbox.set(subject.id, await registerThroughSandbox(subject, functionCodeDir, runs));
      } catch (error) {
        progress('extension start', `through the sandbox: ${(error as Error).message.split('\n')[0]}`);
      }
    }
    progress(
      'extension start',
      `registration through the sandbox core measured for ${throughSandbox.size} builds`,
    );
  }
  const result: ExtensionStartResult = {
    endpoint: 'bench-probe',
    runsPerSubject: runs,
    missingBuilds,
    subjects: subjects.map((subject): ExtensionStartSubject => {
      const bucket = samples.get(subject.id)!;
      return {
        id: subject.id,
        label: subject.label,
        registerMs: summarize(bucket.registerMs, `${subject.id} register ms`),
        readyMs: summarize(bucket.readyMs, `${subject.id} ready ms`),
        rssMb: summarize(bucket.rssMb, `${subject.id} RSS MB`),
        rssAnonMb: summarize(bucket.rssAnonMb, `${subject.id} RssAnon MB`),
        ...(throughSandbox.has(subject.id)
          ? {
              sandboxRegisterMs: summarize(
                throughSandbox.get(subject.id)!,
                `${subject.id} sandbox register ms`,
              ),
            }
          : {}),
      };
    }),
  };
  return result;
}
