/**
 * Test harness for the execution-environment core: temporary layers whose extensions are the
 * recorder fixture, a recording observer, and readers for what the fixtures wrote.
 */
import { chmod, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExtensionEvent } from '../../../local/apis/extensions-api';
import { FunctionPool } from '../../../local/environment/function-pool';
import type {
  FunctionDefinition,
  LogEntry,
  PlatformEvent,
  SandboxObserver,
} from '../../../local/environment/types';
import { eventually } from '../../support/eventually';

const fixtures = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures');
const CUSTOM_RUNTIME_DIR = path.join(fixtures, 'custom-runtime');
export const NODE_FUNCTIONS_DIR = path.join(fixtures, 'functions', 'node');
export const INIT_ERROR_DIR = path.join(fixtures, 'functions', 'init-error');
const RECORDER = path.join(fixtures, 'extension', 'recorder.mjs');

/** Per-extension behaviour of the recorder fixture (see test/fixtures/extension/recorder.mjs). */
export interface RecorderBehaviour {
  events?: string[];
  registerDelayMs?: number;
  subscribe?: Record<string, unknown> | false;
  onInvoke?: 'next' | 'hang' | 'crash' | 'work' | 'allocate';
  workMs?: number;
  failFirst?: number;
  onShutdown?: 'exit' | 'ignore';
}

/** One line the recorder fixture wrote. */
export interface RecordedLine {
  kind: 'started' | 'registered' | 'subscribed' | 'telemetry' | 'next' | 'event';
  at: number;
  pid?: number;
  /** `process.version` of the Node that ran the extension (`started`). */
  node?: string;
  env?: Record<string, string | null>;
  status?: number;
  id?: string;
  body?: unknown;
  event?: ExtensionEvent & {
    eventType: string;
    shutdownReason?: string;
    requestId?: string;
    deadlineMs: number;
  };
  events?: PlatformEvent[];
}

/** Everything the observer saw, with the time each platform event arrived. */
class RecordingObserver implements SandboxObserver {
  readonly logs: LogEntry[] = [];
  readonly events: (PlatformEvent & { environmentId: string; receivedAt: number })[] = [];
  private readonly waiters: (() => void)[] = [];

  onLog(entry: LogEntry): void {
    this.logs.push(entry);
    this.wake();
  }

  onPlatformEvent(environmentId: string, event: PlatformEvent): void {
    this.events.push({ ...event, environmentId, receivedAt: Date.now() });
    this.wake();
  }

  types(): string[] {
    return this.events.map((e) => e.type);
  }

  records<T = Record<string, unknown>>(type: string): T[] {
    return this.events.filter((e) => e.type === type).map((e) => e.record as T);
  }

  /** Waits until `predicate` holds (the test's own timeout bounds the wait). */
  async until(predicate: () => boolean): Promise<void> {
    while (!predicate()) await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  private wake(): void {
    for (const wake of this.waiters.splice(0)) wake();
  }
}

/** A temporary sandbox: a directory for layers and fixture output, and the pools made in it. */
export class SandboxHarness {
  readonly observer = new RecordingObserver();
  private readonly pools: FunctionPool[] = [];

  private constructor(readonly dir: string) {}

  static async create(): Promise<SandboxHarness> {
    return new SandboxHarness(await mkdtemp(path.join(tmpdir(), 'sandbox-core-')));
  }

  get outDir(): string {
    return path.join(this.dir, 'out');
  }

  /** A layer whose `extensions/` holds a launcher per name, each starting the recorder as Lambda starts `/opt/extensions/*`. */
  async layer(names: string[]): Promise<string> {
    const layer = path.join(this.dir, `layer-${names.join('-')}`);
    await mkdir(path.join(layer, 'extensions'), { recursive: true });
    for (const name of names) {
      const launcher = path.join(layer, 'extensions', name);
      await writeFile(launcher, `#!/bin/sh\nexec node "${RECORDER}" "$(basename "$0")"\n`);
      await chmod(launcher, 0o755);
    }
    return layer;
  }

  /** A pool for the definition, with the recorder's output directory and behaviour in its environment. */
  async pool(
    overrides: Partial<FunctionDefinition>,
    behaviour: Record<string, RecorderBehaviour> = {},
  ): Promise<FunctionPool> {
    await mkdir(this.outDir, { recursive: true });
    const def: FunctionDefinition = {
      name: 'conformance',
      codeDir: CUSTOM_RUNTIME_DIR,
      handler: 'index.handler',
      memoryMb: 256,
      timeoutSec: 10,
      layers: [],
      concurrency: 1,
      freeze: true,
      idleTimeoutMs: 60_000,
      region: 'eu-west-1',
      // The recorder writes what it saw to a directory of the test, and the tests call the
      // environment's Lambda APIs from outside: both need the host's filesystem and network.
      // The Lambda view itself is tested in lambda-view.test.ts and unchanged-code.test.ts.
      shareHost: true,
      ...overrides,
      environment: {
        RECORDER_OUT: this.outDir,
        RECORDER_CONFIG: JSON.stringify(behaviour),
        FIXTURE_VAR: 'configured',
        ...overrides.environment,
      },
    };
    const pool = new FunctionPool(def, this.observer);
    this.pools.push(pool);
    return pool;
  }

  /** The recorder's lines for one extension. */
  async recorded(name: string): Promise<RecordedLine[]> {
    const text = await readFile(path.join(this.outDir, `${name}.jsonl`), 'utf8').catch(() => '');
    return text
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as RecordedLine);
  }

  /** Waits until the recorder's lines for `name` satisfy `predicate` (polling its file). */
  recordedUntil(name: string, predicate: (lines: RecordedLine[]) => boolean): Promise<RecordedLine[]> {
    return eventually(() => this.recorded(name), predicate);
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.shutdown()));
    await rm(this.dir, { recursive: true, force: true });
  }
}

/** JSON body of an invoke output. */
// biome-ignore lint/suspicious/noExplicitAny: fixture answers are asserted field by field
export function json(payload: Buffer): any {
  return JSON.parse(payload.toString('utf8'));
}

/** The process state letter from /proc (`T` = stopped), or undefined when the process is gone. */
export async function processState(pid: number): Promise<string | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
  } catch {
    return undefined;
  }
}

/** A sampled caller trace header. */
export const SAMPLED_TRACE = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
