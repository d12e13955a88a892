/**
 * One execution environment: its loopback address and Lambda APIs, its extension and runtime
 * processes, and the Init / Invoke / Shutdown lifecycle with the rules of the Lambda platform.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { ForbiddenError } from '../apis/api-error';
import {
  type ExtensionEvent,
  type ExtensionEventType,
  MAX_EXTENSIONS,
  missingIdentifier,
  type RegisterResponse,
  type ShutdownReason,
  unknownIdentifier,
} from '../apis/extensions-api';
import {
  closeLambdaApiServer,
  LAMBDA_API_PORT,
  type LambdaApiHost,
  startLambdaApiServer,
} from '../apis/lambda-api-server';
import { invalidRequestId, type RuntimeErrorReport, type RuntimeInvocation } from '../apis/runtime-api';
import {
  type SubscribeRequest,
  TelemetryDelivery,
  type TelemetryEvent,
  type TelemetryType,
} from '../apis/telemetry-api';
import { nodeRuntimeEntry, RUNTIME_DIR } from '../node-runtime/runtime-bundle';
import { EnvironmentProcess, peakResidentKb } from './environment-process';
import {
  type EnvironmentFacts,
  extensionVariables,
  FUNCTION_VERSION,
  functionArn,
  logStreamName,
  runtimeVariables,
} from './environment-variables';
import { findBootstrap, findExtensions } from './layer-extensions';
import { type InvocationTrace, invocationTrace } from './trace-header';
import type { FunctionDefinition, InvokeInput, InvokeOutput, InvokeStatus, SandboxObserver } from './types';

/** Lambda limits Init to 10 s (on-demand). */
export const INIT_LIMIT_MS = 10_000;
/** Shutdown budget with external extensions; 500 ms with only internal ones; none without. */
export const SHUTDOWN_LIMIT_MS = 2_000;
const SHUTDOWN_LIMIT_INTERNAL_MS = 500;
/** The runtime gets this long after SIGTERM before extensions get SHUTDOWN. */
export const RUNTIME_SIGTERM_GRACE_MS = 300;
/** Before freezing, in-flight telemetry deliveries get this long to finish. */
const FREEZE_DELIVERY_GRACE_MS = 500;
/** `X-Amz-Log-Type: Tail` returns the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;
/** Init events retained for subscribers that subscribe later during Init. */
const INIT_EVENT_LIMIT = 2_000;
const RUNTIME_VERSION = 'nodejs:24.v0';

interface Extension {
  readonly identifier: string;
  readonly name: string;
  readonly events: ReadonlySet<ExtensionEventType>;
  readonly external: boolean;
  readonly queue: ExtensionEvent[];
  waiter: ((event: ExtensionEvent) => void) | undefined;
  /** Has called `next` at least once. */
  calledNext: boolean;
  /** Took an event and has not called `next` since. */
  busy: boolean;
  delivery: TelemetryDelivery | undefined;
}

interface Outcome {
  readonly status: InvokeStatus;
  readonly payload: Buffer;
  readonly errorType?: string;
}

interface Invocation {
  readonly requestId: string;
  readonly deadlineMs: number;
  readonly startedAt: number;
  readonly startTime: Date;
  readonly payload: Buffer;
  readonly trace: InvocationTrace;
  readonly clientContext: string | undefined;
  delivered: boolean;
  outcome: Outcome | undefined;
  runtimeDone: boolean;
  producedBytes: number;
  spans: { name: string; start: string; durationMs: number }[];
  readonly resolve: (output: InvokeOutput) => void;
}

interface Fault {
  readonly status: InvokeStatus;
  readonly errorType: string;
  readonly message: string;
  readonly reason: ShutdownReason;
}

interface InitResult {
  readonly ok: boolean;
  readonly status: InvokeStatus;
  readonly errorType?: string;
  readonly payload?: Buffer;
  readonly durationMs: number;
}

type InitPhase = 'init' | 'invoke';

/** Picks a random 127.x.y.z other than 127.0.0.1 (and never a .0 or .255 host part). */
function randomLoopback(): string {
  const [a, b, c] = randomBytes(3);
  return `127.${(a ?? 1) % 255}.${(b ?? 1) % 255}.${((c ?? 0) % 253) + 2}`;
}

function roundMs(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

function exitDescription(exit: { code: number | null; signal: string | null }): string {
  return exit.signal
    ? `signal: ${exit.signal.replace(/^SIG/, '').toLowerCase()}`
    : `exit status ${exit.code}`;
}

function errorPayload(errorType: string, errorMessage: string): Buffer {
  return Buffer.from(JSON.stringify({ errorType, errorMessage }));
}

/**
 * An execution environment. Created by the pool, which serialises invokes on it: `invoke` is
 * never called again before the previous call's `phaseEnded` promise settled.
 */
export class ExecutionEnvironment implements LambdaApiHost {
  readonly id: string;
  address = '';
  private server: Server | undefined;
  private readonly facts: { logStreamName: string };
  private readonly arn: string;

  private extensions = new Map<string, Extension>();
  private externalNames = new Set<string>();
  private extensionProcesses = new Map<string, EnvironmentProcess>();
  private runtime: EnvironmentProcess | undefined;
  private runtimeWaiter: ((invocation: Invocation) => void) | undefined;
  private runtimeCalledNext = false;
  private registrationOpen = false;

  private initialized = false;
  private initDurationMs: number | undefined;
  private initError: { status: InvokeStatus; errorType: string; payload: Buffer } | undefined;
  private initRuntimeDoneSent = false;
  private initPhase: InitPhase = 'init';
  private initEvents: { category: TelemetryType; event: TelemetryEvent }[] | undefined;

  private current: Invocation | undefined;
  private currentPhase: Promise<void> | undefined;
  private logTail: string[] = [];
  private fault: Fault | undefined;
  private stopping = false;
  private frozen = false;
  /** An invoke (with its Init, if any) is in progress. */
  private phaseRunning = false;
  private peakKb = 0;
  /** True once the environment can serve no more invokes (reset or shut down). */
  dead = false;

  private readonly watchers = new Set<() => void>();

  constructor(
    private readonly def: FunctionDefinition,
    private readonly observer: SandboxObserver,
    /** Called when the environment fails while idle, so the pool can drop it. */
    private readonly onIdleFault: (env: ExecutionEnvironment) => void = () => {},
  ) {
    this.id = randomBytes(16).toString('hex');
    this.facts = { logStreamName: logStreamName(new Date(), this.id) };
    this.arn = functionArn(def);
  }

  /** The log stream name of this environment (`YYYY/MM/DD/[$LATEST]<id>`). */
  get logStreamName(): string {
    return this.facts.logStreamName;
  }

  /** Binds the environment's Lambda APIs on a fresh loopback address. */
  async start(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const address = randomLoopback();
      try {
        this.server = await startLambdaApiServer(this, address, LAMBDA_API_PORT);
        this.address = address;
        return;
      } catch (error) {
        if (attempt >= 20 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      }
    }
  }

  // ---- lifecycle -------------------------------------------------------------------------

  /**
   * Runs one invocation. `output` settles when the caller has its answer (as soon as the
   * runtime responded); `phaseEnded` when the invoke phase is over (runtime and extensions
   * called `next`, report emitted) and the environment is frozen or reset.
   */
  invoke(input: InvokeInput): { output: Promise<InvokeOutput>; phaseEnded: Promise<void> } {
    let resolve!: (output: InvokeOutput) => void;
    const output = new Promise<InvokeOutput>((r) => {
      resolve = r;
    });
    let settled = false;
    const once = (o: InvokeOutput) => {
      if (!settled) {
        settled = true;
        resolve(o);
      }
    };
    this.phaseRunning = true;
    const phaseEnded = this.runInvoke(input, once)
      .finally(() => {
        this.phaseRunning = false;
      })
      .catch((error: unknown) => {
        once({
          requestId: this.current?.requestId ?? randomUUID(),
          status: 'failure',
          payload: errorPayload('Sandbox.Failure', String(error)),
          errorType: 'Sandbox.Failure',
          logTail: '',
          environmentId: this.id,
        });
        this.dead = true;
      });
    this.currentPhase = phaseEnded;
    return { output, phaseEnded };
  }

  /** Stops everything (reason `spindown`): interrupts a running invoke, then the shutdown sequence. */
  async shutdown(): Promise<void> {
    if (this.currentPhase && !this.dead) {
      // An invocation that already answered its caller finishes its phase (extensions still
      // flushing); one still waiting for the runtime is interrupted.
      if (!this.current?.outcome) {
        this.fault ??= {
          status: 'failure',
          errorType: 'Sandbox.Shutdown',
          message: 'The sandbox is shutting down',
          reason: 'spindown',
        };
      }
      this.notify();
      await this.currentPhase;
    }
    if (!this.dead || this.runtime || this.extensionProcesses.size > 0) await this.stopProcesses('spindown');
    this.dead = true;
    if (this.server) await closeLambdaApiServer(this.server);
    this.server = undefined;
  }

  private async runInvoke(input: InvokeInput, resolve: (output: InvokeOutput) => void): Promise<void> {
    this.thaw();
    const requestId = randomUUID();
    const trace = invocationTrace(input.traceHeader);
    const emitStart = () =>
      this.emitPlatform('platform.start', {
        requestId,
        version: FUNCTION_VERSION,
        tracing: { spanId: trace.functionSegmentId, type: 'X-Amzn-Trace-Id', value: trace.header },
      });
    let started = false;
    this.logTail = [];
    if (!this.initialized) {
      let init = await this.runInit('init', INIT_LIMIT_MS);
      if (!init.ok) {
        await this.stopProcesses('failure');
        // Lambda retries a failed Init inside the first invoke (after its START), under the function's timeout.
        emitStart();
        started = true;
        init = await this.runInit('invoke', this.def.timeoutSec * 1000);
      }
      if (!init.ok) {
        await this.failInvokeAtInit(requestId, trace, init, resolve);
        return;
      }
      this.initialized = true;
      this.initDurationMs = init.durationMs;
    }

    const startTime = new Date();
    const invocation: Invocation = {
      requestId,
      deadlineMs: startTime.getTime() + this.def.timeoutSec * 1000,
      startedAt: performance.now(),
      startTime,
      payload: input.payload,
      trace,
      clientContext: input.clientContext,
      delivered: false,
      outcome: undefined,
      runtimeDone: false,
      producedBytes: 0,
      spans: [],
      resolve: (output) => resolve(output),
    };
    this.current = invocation;
    const tracing = { type: 'X-Amzn-Trace-Id' as const, value: invocation.trace.header };
    if (!started) emitStart();
    for (const extension of this.extensions.values()) {
      if (!extension.events.has('INVOKE')) continue;
      this.deliverToExtension(extension, {
        eventType: 'INVOKE',
        deadlineMs: invocation.deadlineMs,
        requestId,
        invokedFunctionArn: this.arn,
        tracing,
      });
    }
    if (this.runtimeWaiter) {
      const waiter = this.runtimeWaiter;
      this.runtimeWaiter = undefined;
      invocation.delivered = true;
      waiter(invocation);
    }

    const ended = await this.waitUntil(
      () =>
        this.fault !== undefined ||
        (invocation.outcome !== undefined &&
          invocation.runtimeDone &&
          [...this.extensions.values()].every((e) => !e.events.has('INVOKE') || !e.busy)),
      invocation.deadlineMs - Date.now(),
    );
    const fault: Fault | undefined =
      this.fault ??
      (ended
        ? undefined
        : {
            status: 'timeout',
            errorType: 'Sandbox.Timedout',
            message: `${new Date().toISOString()} ${requestId} Task timed out after ${this.def.timeoutSec.toFixed(2)} seconds`,
            reason: 'timeout',
          });
    if (fault && !invocation.outcome) {
      const payload =
        fault.status === 'timeout'
          ? Buffer.from(JSON.stringify({ errorMessage: fault.message }))
          : errorPayload(fault.errorType, `RequestId: ${requestId} Error: ${fault.message}`);
      this.settle(invocation, { status: fault.status, payload, errorType: fault.errorType });
    }
    const status = fault?.status ?? invocation.outcome?.status ?? 'failure';
    const errorType = fault?.errorType ?? invocation.outcome?.errorType;
    if (!invocation.runtimeDone) this.emitRuntimeDone(invocation, status, errorType);
    await this.emitReport(invocation, status, errorType);
    this.current = undefined;
    if (fault) {
      await this.stopProcesses(fault.reason);
      this.dead = true;
    } else if (this.def.freeze) {
      await this.freeze();
    }
  }

  private async failInvokeAtInit(
    requestId: string,
    trace: InvocationTrace,
    init: InitResult,
    resolve: (output: InvokeOutput) => void,
  ): Promise<void> {
    const errorType = init.errorType ?? 'Runtime.Unknown';
    resolve({
      requestId,
      status: init.status,
      payload: init.payload ?? errorPayload(errorType, `RequestId: ${requestId} Error: init failed`),
      errorType,
      logTail: this.tail(),
      environmentId: this.id,
    });
    this.emitPlatform('platform.report', {
      requestId,
      status: init.status,
      errorType,
      metrics: {
        durationMs: roundMs(init.durationMs),
        billedDurationMs: Math.ceil(init.durationMs),
        memorySizeMB: this.def.memoryMb,
        maxMemoryUsedMB: Math.max(1, Math.ceil(this.peakKb / 1024)),
      },
      tracing: { spanId: trace.functionSegmentId, type: 'X-Amzn-Trace-Id', value: trace.header },
    });
    await this.stopProcesses('failure');
    this.dead = true;
  }

  /** Init: extensions (in parallel) → registration barrier → runtime → everyone called `next`. */
  private async runInit(phase: InitPhase, limitMs: number): Promise<InitResult> {
    const startedAt = performance.now();
    const deadline = startedAt + limitMs;
    this.initPhase = phase;
    this.fault = undefined;
    this.initError = undefined;
    this.initRuntimeDoneSent = false;
    this.runtimeCalledNext = false;
    this.extensions = new Map();
    this.registrationOpen = true;
    this.initEvents = [];
    this.emitPlatform('platform.initStart', {
      initializationType: 'on-demand',
      phase,
      runtimeVersion: RUNTIME_VERSION,
      runtimeVersionArn: `arn:aws:lambda:${this.def.region}::runtime:local-${RUNTIME_VERSION}`,
      functionName: this.def.name,
      functionVersion: FUNCTION_VERSION,
    });

    const facts: EnvironmentFacts = {
      def: this.def,
      address: this.address,
      apiPort: LAMBDA_API_PORT,
      logStreamName: this.facts.logStreamName,
      runtimeDir: undefined,
    };
    const executables = await findExtensions(this.def.layers);
    this.externalNames = new Set(executables.map((e) => e.name));
    const extensionEnv = extensionVariables(facts);
    for (const executable of executables) {
      const child = new EnvironmentProcess({
        command: executable.path,
        args: [],
        cwd: this.def.codeDir,
        env: extensionEnv,
        onLine: (line) => this.onOutput('extension', line, executable.name),
      });
      this.extensionProcesses.set(executable.name, child);
      void child.exited.then((exit) =>
        this.onProcessExit(`Extension ${executable.name}`, 'Extension.Crash', exit),
      );
    }

    let completed = await this.waitUntil(
      () => this.fault !== undefined || this.initError !== undefined || this.allExternalsRegistered(),
      deadline - performance.now(),
    );
    if (completed && !this.fault && !this.initError) {
      const bootstrap = await findBootstrap(this.def.codeDir);
      const command = bootstrap ?? process.execPath;
      const args = bootstrap ? [] : [await nodeRuntimeEntry()];
      const env = runtimeVariables({ ...facts, runtimeDir: bootstrap ? undefined : RUNTIME_DIR });
      this.runtime = new EnvironmentProcess({
        command,
        args,
        cwd: this.def.codeDir,
        env,
        onLine: (line) => this.onOutput('function', line),
      });
      void this.runtime.exited.then((exit) => this.onProcessExit('Runtime', 'Runtime.ExitError', exit));
      completed = await this.waitUntil(
        () =>
          this.fault !== undefined ||
          this.initError !== undefined ||
          (this.runtimeCalledNext && [...this.extensions.values()].every((e) => e.calledNext)),
        deadline - performance.now(),
      );
    }
    this.registrationOpen = false;
    const durationMs = performance.now() - startedAt;
    // Read through a call: the fields were reset above and changed by API callbacks since.
    const { initError, fault } = this.failures();
    let result: InitResult;
    if (initError) result = { ok: false, ...initError, durationMs };
    else if (fault) {
      result = {
        ok: false,
        status: fault.status,
        errorType: fault.errorType,
        payload: errorPayload(fault.errorType, fault.message),
        durationMs,
      };
    } else if (!completed) {
      const message = `Init timed out after ${(limitMs / 1000).toFixed(2)} seconds`;
      result = {
        ok: false,
        status: 'timeout',
        errorType: 'Sandbox.Timedout',
        payload: errorPayload('Sandbox.Timedout', message),
        durationMs,
      };
    } else result = { ok: true, status: 'success', durationMs };
    if (!this.initRuntimeDoneSent) {
      this.initRuntimeDoneSent = true;
      this.emitPlatform('platform.initRuntimeDone', {
        initializationType: 'on-demand',
        phase,
        status: result.status,
        ...(result.errorType ? { errorType: result.errorType } : {}),
      });
    }
    this.emitPlatform('platform.initReport', {
      initializationType: 'on-demand',
      phase,
      status: result.status,
      ...(result.errorType ? { errorType: result.errorType } : {}),
      metrics: { durationMs: roundMs(durationMs) },
    });
    this.initEvents = undefined;
    this.fault = undefined;
    return result;
  }

  private failures(): { initError: ExecutionEnvironment['initError']; fault: Fault | undefined } {
    return { initError: this.initError, fault: this.fault };
  }

  private allExternalsRegistered(): boolean {
    const registered = new Set([...this.extensions.values()].filter((e) => e.external).map((e) => e.name));
    return [...this.externalNames].every((name) => registered.has(name));
  }

  private onProcessExit(
    who: string,
    errorType: string,
    exit: { code: number | null; signal: string | null },
  ): void {
    if (this.stopping || this.dead) return;
    const verb = who === 'Runtime' ? 'Runtime exited' : `${who} exited`;
    const message = `${verb} with error: ${exitDescription(exit)}`;
    this.fault ??= { status: 'failure', errorType, message, reason: 'failure' };
    if (!this.phaseRunning && this.initialized) {
      // Failed while idle: the next invoke must not land here.
      this.dead = true;
      void this.stopProcesses('failure').finally(() => this.onIdleFault(this));
    }
    this.notify();
  }

  /**
   * The shutdown sequence: SIGTERM to the runtime (300 ms), telemetry flushed, SHUTDOWN to the
   * extensions that asked for it with the deadline, SIGKILL to whatever still runs at it.
   */
  private async stopProcesses(reason: ShutdownReason): Promise<void> {
    this.stopping = true;
    this.thaw();
    const hasExternal = this.extensionProcesses.size > 0;
    const hasInternal = [...this.extensions.values()].some((e) => !e.external);
    const budget = hasExternal ? SHUTDOWN_LIMIT_MS : hasInternal ? SHUTDOWN_LIMIT_INTERNAL_MS : 0;
    const deadlineMs = Date.now() + budget;
    const remaining = () => deadlineMs - Date.now();
    const runtime = this.runtime;
    if (runtime?.alive) {
      if (budget > 0) {
        runtime.signal('SIGTERM');
        await runtime.waitForExit(Math.min(RUNTIME_SIGTERM_GRACE_MS, remaining()));
      }
      if (runtime.alive) await runtime.kill();
    }
    await Promise.race([
      Promise.all([...this.extensions.values()].map((e) => e.delivery?.flush())),
      new Promise((r) => setTimeout(r, Math.max(0, Math.min(FREEZE_DELIVERY_GRACE_MS, remaining() - 100)))),
    ]);
    for (const extension of this.extensions.values()) {
      if (extension.events.has('SHUTDOWN')) {
        this.deliverToExtension(extension, { eventType: 'SHUTDOWN', shutdownReason: reason, deadlineMs });
      }
    }
    const processes = [...this.extensionProcesses.values()];
    await Promise.race([
      Promise.all(processes.map((p) => p.exited)),
      new Promise((r) => setTimeout(r, Math.max(0, remaining()))),
    ]);
    await Promise.all([...processes, ...(runtime ? [runtime] : [])].map((p) => p.kill()));
    for (const extension of this.extensions.values()) extension.delivery?.close();
    this.extensions = new Map();
    this.extensionProcesses = new Map();
    this.runtime = undefined;
    this.runtimeWaiter = undefined;
    this.initialized = false;
    this.stopping = false;
    this.notify();
  }

  private async freeze(): Promise<void> {
    const deliveries = [...this.extensions.values()].flatMap((e) => (e.delivery ? [e.delivery] : []));
    for (const delivery of deliveries) delivery.pause();
    await Promise.race([
      Promise.all(deliveries.map((d) => d.settled())),
      new Promise((r) => setTimeout(r, FREEZE_DELIVERY_GRACE_MS)),
    ]);
    for (const child of this.processes()) child.signal('SIGSTOP');
    this.frozen = true;
  }

  private thaw(): void {
    if (!this.frozen) return;
    for (const child of this.processes()) child.signal('SIGCONT');
    this.frozen = false;
    for (const extension of this.extensions.values()) extension.delivery?.resume();
  }

  private processes(): EnvironmentProcess[] {
    return [...(this.runtime ? [this.runtime] : []), ...this.extensionProcesses.values()];
  }

  /** Process ids of the environment's process groups (for tests and diagnostics). */
  get processIds(): number[] {
    return this.processes().flatMap((p) => (p.pid === undefined ? [] : [p.pid]));
  }

  // ---- telemetry and logs ------------------------------------------------------------------

  private emitPlatform(type: string, record: Record<string, unknown>): void {
    const event: TelemetryEvent = { time: new Date().toISOString(), type, record };
    try {
      this.observer.onPlatformEvent(this.id, event);
    } catch {
      // The observer must not break the environment.
    }
    this.dispatch('platform', event);
  }

  private dispatch(category: TelemetryType, event: TelemetryEvent): void {
    if (this.initEvents && this.initEvents.length < INIT_EVENT_LIMIT)
      this.initEvents.push({ category, event });
    for (const extension of this.extensions.values()) {
      if (extension.delivery?.accepts(category)) extension.delivery.push(event);
    }
  }

  private onOutput(stream: 'function' | 'extension', line: string, source?: string): void {
    const time = new Date();
    try {
      this.observer.onLog({ environmentId: this.id, stream, line, time, ...(source ? { source } : {}) });
    } catch {
      // The observer must not break the environment.
    }
    if (this.phaseRunning) this.logTail.push(line);
    this.dispatch(stream, { time: time.toISOString(), type: stream, record: line });
  }

  private tail(): string {
    const text = this.logTail.length > 0 ? `${this.logTail.join('\n')}\n` : '';
    const bytes = Buffer.from(text);
    return bytes.length <= LOG_TAIL_BYTES
      ? text
      : bytes.subarray(bytes.length - LOG_TAIL_BYTES).toString('utf8');
  }

  private settle(invocation: Invocation, outcome: Outcome): void {
    invocation.outcome = outcome;
    invocation.resolve({
      requestId: invocation.requestId,
      status: outcome.status,
      payload: outcome.payload,
      ...(outcome.errorType ? { errorType: outcome.errorType } : {}),
      logTail: this.tail(),
      environmentId: this.id,
    });
    this.notify();
  }

  private emitRuntimeDone(invocation: Invocation, status: InvokeStatus, errorType: string | undefined): void {
    invocation.runtimeDone = true;
    this.emitPlatform('platform.runtimeDone', {
      requestId: invocation.requestId,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: {
        durationMs: roundMs(performance.now() - invocation.startedAt),
        producedBytes: invocation.producedBytes,
      },
      spans: invocation.spans,
      tracing: {
        spanId: invocation.trace.functionSegmentId,
        type: 'X-Amzn-Trace-Id',
        value: invocation.trace.header,
      },
    });
    this.notify();
  }

  private async emitReport(
    invocation: Invocation,
    status: InvokeStatus,
    errorType: string | undefined,
  ): Promise<void> {
    const durationMs = performance.now() - invocation.startedAt;
    this.peakKb = Math.max(this.peakKb, await peakResidentKb(this.processIds));
    const firstInvoke = this.initDurationMs !== undefined;
    this.emitPlatform('platform.report', {
      requestId: invocation.requestId,
      status,
      ...(errorType ? { errorType } : {}),
      metrics: {
        durationMs: roundMs(durationMs),
        billedDurationMs: Math.ceil(durationMs),
        memorySizeMB: this.def.memoryMb,
        maxMemoryUsedMB: Math.max(1, Math.ceil(this.peakKb / 1024)),
        ...(firstInvoke ? { initDurationMs: roundMs(this.initDurationMs!) } : {}),
      },
      tracing: {
        spanId: invocation.trace.functionSegmentId,
        type: 'X-Amzn-Trace-Id',
        value: invocation.trace.header,
      },
    });
    this.initDurationMs = undefined;
  }

  // ---- waiting -----------------------------------------------------------------------------

  private notify(): void {
    for (const check of [...this.watchers]) check();
  }

  /** Resolves true as soon as `predicate` holds, false if it still does not after `ms`. */
  private waitUntil(predicate: () => boolean, ms: number): Promise<boolean> {
    if (predicate()) return Promise.resolve(true);
    if (ms <= 0) return Promise.resolve(false);
    return new Promise((resolve) => {
      const check = () => {
        if (!predicate()) return;
        clearTimeout(timer);
        this.watchers.delete(check);
        resolve(true);
      };
      const timer = setTimeout(() => {
        this.watchers.delete(check);
        resolve(predicate());
      }, ms);
      this.watchers.add(check);
    });
  }

  private deliverToExtension(extension: Extension, event: ExtensionEvent): void {
    extension.busy = true;
    if (extension.waiter) {
      const waiter = extension.waiter;
      extension.waiter = undefined;
      waiter(event);
    } else {
      extension.queue.push(event);
    }
    this.notify();
  }

  // ---- Runtime API ---------------------------------------------------------------------------

  nextInvocation(signal: AbortSignal): Promise<RuntimeInvocation> {
    if (!this.runtimeCalledNext) {
      // The runtime's first `next` closes registration and subscriptions and ends runtime init.
      this.runtimeCalledNext = true;
      this.registrationOpen = false;
      if (!this.initRuntimeDoneSent) {
        this.initRuntimeDoneSent = true;
        this.emitPlatform('platform.initRuntimeDone', {
          initializationType: 'on-demand',
          phase: this.initPhase,
          status: 'success',
        });
      }
    }
    const current = this.current;
    if (current?.outcome && !current.runtimeDone) {
      this.emitRuntimeDone(current, current.outcome.status, current.outcome.errorType);
    }
    this.notify();
    const toRuntime = (invocation: Invocation): RuntimeInvocation => ({
      requestId: invocation.requestId,
      deadlineMs: invocation.deadlineMs,
      invokedFunctionArn: this.arn,
      traceId: invocation.trace.header,
      ...(invocation.clientContext ? { clientContext: invocation.clientContext } : {}),
      payload: invocation.payload,
    });
    if (current && !current.delivered) {
      current.delivered = true;
      return Promise.resolve(toRuntime(current));
    }
    return new Promise((resolve) => {
      const waiter = (invocation: Invocation) => resolve(toRuntime(invocation));
      this.runtimeWaiter = waiter;
      signal.addEventListener('abort', () => {
        if (this.runtimeWaiter === waiter) this.runtimeWaiter = undefined;
      });
    });
  }

  checkResponse(requestId: string): void {
    const current = this.current;
    if (!current || current.requestId !== requestId || !current.delivered) throw invalidRequestId(requestId);
    if (current.outcome) {
      throw new ForbiddenError('InvalidStateTransition', `Invocation ${requestId} already has a response`);
    }
  }

  postResponse(requestId: string, body: Buffer, firstByteAt: number, lastByteAt: number): void {
    this.checkResponse(requestId);
    const invocation = this.current!;
    invocation.producedBytes = body.length;
    const firstByteTime = new Date(invocation.startTime.getTime() + (firstByteAt - invocation.startedAt));
    invocation.spans = [
      {
        name: 'responseLatency',
        start: invocation.startTime.toISOString(),
        durationMs: roundMs(firstByteAt - invocation.startedAt),
      },
      {
        name: 'responseDuration',
        start: firstByteTime.toISOString(),
        durationMs: roundMs(lastByteAt - firstByteAt),
      },
    ];
    this.settle(invocation, { status: 'success', payload: body });
  }

  responseTooLarge(requestId: string, size: string): void {
    this.checkResponse(requestId);
    const errorType = 'Function.ResponseSizeTooLarge';
    const message = `Response payload size (${size} bytes) exceeded maximum allowed payload size (6291556 bytes).`;
    this.settle(this.current!, { status: 'error', payload: errorPayload(errorType, message), errorType });
  }

  postInvocationError(requestId: string, report: RuntimeErrorReport): void {
    this.checkResponse(requestId);
    this.settle(this.current!, {
      status: 'error',
      payload: this.errorBody(report),
      errorType: report.errorType,
    });
  }

  postInitError(report: RuntimeErrorReport): void {
    if (this.initialized || this.runtimeCalledNext) {
      throw new ForbiddenError('InvalidStateTransition', 'Init error reported outside of Init');
    }
    this.initError ??= { status: 'error', errorType: report.errorType, payload: this.errorBody(report) };
    this.notify();
  }

  private errorBody(report: RuntimeErrorReport): Buffer {
    if (report.parsed) return report.body;
    return errorPayload(report.errorType, report.body.toString('utf8'));
  }

  // ---- Extensions API --------------------------------------------------------------------

  register(name: string, events: ExtensionEventType[], acceptAccountId: boolean) {
    if (!this.registrationOpen)
      throw new ForbiddenError('Extension.RegistrationClosed', 'Extension registration is closed');
    // A name among the layers' executables is that external extension; anything else registers
    // from inside the runtime process and is internal.
    const external =
      this.externalNames.has(name) &&
      ![...this.extensions.values()].some((e) => e.external && e.name === name);
    if (!external && this.runtime === undefined) {
      throw new ForbiddenError('Extension.InvalidExtensionName', `No extension executable named ${name}`);
    }
    if (!external && events.includes('SHUTDOWN')) {
      throw new ForbiddenError(
        'Extension.InvalidEventType',
        'SHUTDOWN: ShutdownEventNotSupportedForInternalExtension',
      );
    }
    if (this.extensions.size >= MAX_EXTENSIONS) {
      throw new ForbiddenError(
        'Extension.TooManyExtensions',
        `At most ${MAX_EXTENSIONS} extensions can register`,
      );
    }
    const identifier = randomUUID();
    this.extensions.set(identifier, {
      identifier,
      name,
      events: new Set(events),
      external,
      queue: [],
      waiter: undefined,
      calledNext: false,
      busy: false,
      delivery: undefined,
    });
    this.emitPlatform('platform.extension', { name, state: 'Ready', events });
    this.notify();
    const body: RegisterResponse = {
      functionName: this.def.name,
      functionVersion: FUNCTION_VERSION,
      handler: this.def.handler,
      ...(acceptAccountId ? { accountId: '123456789012' } : {}),
    };
    return { identifier, body };
  }

  checkIdentifier(identifier: string | undefined): string {
    if (!identifier) throw missingIdentifier();
    if (!this.extensions.has(identifier)) throw unknownIdentifier(identifier);
    return identifier;
  }

  nextEvent(identifier: string, signal: AbortSignal): Promise<ExtensionEvent> {
    const extension = this.extensions.get(this.checkIdentifier(identifier))!;
    extension.calledNext = true;
    const queued = extension.queue.shift();
    if (queued) {
      this.notify();
      return Promise.resolve(queued);
    }
    extension.busy = false;
    this.notify();
    return new Promise((resolve) => {
      const waiter = (event: ExtensionEvent) => resolve(event);
      extension.waiter = waiter;
      signal.addEventListener('abort', () => {
        if (extension.waiter === waiter) extension.waiter = undefined;
      });
    });
  }

  reportError(identifier: string, phase: 'init' | 'exit', errorType: string, body: Buffer): void {
    const extension = this.extensions.get(this.checkIdentifier(identifier))!;
    const message = `Extension ${extension.name} reported ${errorType}: ${body.toString('utf8').slice(0, 1024)}`;
    if (phase === 'init' && !this.initialized) {
      this.initError ??= { status: 'failure', errorType, payload: errorPayload(errorType, message) };
    } else {
      this.fault ??= { status: 'failure', errorType, message, reason: 'failure' };
    }
    this.notify();
  }

  // ---- Telemetry API ---------------------------------------------------------------------

  subscribe(identifier: string, request: SubscribeRequest): void {
    const extension = this.extensions.get(identifier)!;
    if (!this.registrationOpen) {
      throw new ForbiddenError(
        'Telemetry.SubscriptionClosed',
        'Telemetry API subscriptions are closed once Init has ended',
      );
    }
    extension.delivery?.close();
    const delivery = new TelemetryDelivery(request, this.address);
    // Events of this Init that happened before the subscription are delivered too.
    for (const { category, event } of this.initEvents ?? []) {
      if (delivery.accepts(category)) delivery.push(event);
    }
    extension.delivery = delivery;
    this.emitPlatform('platform.telemetrySubscription', {
      name: extension.name,
      state: 'Subscribed',
      types: request.types,
    });
  }
}
