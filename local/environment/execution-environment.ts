/**
 * One execution environment: its view of the machine and Lambda APIs, and the Invoke and Shutdown
 * sequences with the rules of the Lambda platform. The pieces it is made of:
 * - `environment-view.ts`, `isolation/`: where namespaces are available, the environment's own
 *   filesystem and network, as Lambda's (else the host's, with a loopback address of its own);
 * - `lifecycle.ts`: the one state the environment is in and the failures of the current phase;
 * - `init-phase.ts`: Init, with its registration barrier and time limit;
 * - `runtime-api-host.ts`, `extensions-api-host.ts`, `telemetry-api-host.ts` (joined in
 *   `lambda-api-host.ts`): what each API request means in the current state;
 * - `process-supervisor.ts`: the runtime and extension processes (start, freeze, thaw, stop);
 * - `environment-cgroup.ts`: where cgroups are available, the environment's CPU and memory
 *   limits, its memory measure and its freezer;
 * - `extension-registry.ts`, `platform-telemetry.ts`, `log-tail.ts`: who registered, the
 *   Telemetry API stream, the tail of the invocation's log.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import type { ShutdownReason } from '../apis/extensions-api';
import {
  closeLambdaApiServer,
  LAMBDA_API_PORT,
  type LambdaApiHost,
  startLambdaApiServer,
} from '../apis/lambda-api-server';
import type { EnvironmentLoopback } from '../apis/telemetry-api';
import { nodeRuntimeEntry, RUNTIME_DIR } from '../node-runtime/runtime-bundle';
import { cgroupSupport } from './cgroup-probe';
import { EnvironmentCgroup } from './environment-cgroup';
import { functionArn, functionVersion, logStreamName } from './environment-variables';
import { type EnvironmentView, lambdaView, sandboxEndpoints, sharedView } from './environment-view';
import { ExtensionRegistry } from './extension-registry';
import { EnvironmentExtensionsApi } from './extensions-api-host';
import { INIT_LIMIT_MS, type InitResult, runInit } from './init-phase';
import { errorPayload, faultOutcome, newInvocation, type Outcome, timeoutFault } from './invocation';
import { EnvironmentNamespace } from './isolation/environment-namespace';
import { isolationSupport } from './isolation/isolation-probe';
import { lambdaApiHost } from './lambda-api-host';
import { type InitPhase, Lifecycle } from './lifecycle';
import { LogTail } from './log-tail';
import { PlatformTelemetry } from './platform-telemetry';
import { type ProcessFault, ProcessSupervisor } from './process-supervisor';
import { EnvironmentRuntimeApi } from './runtime-api-host';
import { runtimeNode } from './runtime-node';
import { EnvironmentTelemetryApi } from './telemetry-api-host';
import { type InvocationTrace, invocationTrace } from './trace-header';
import type { FunctionDefinition, InvokeInput, InvokeOutput, SandboxObserver } from './types';

/** Picks a random 127.x.y.z other than 127.0.0.1 (and never a .0 or .255 host part). */
function randomLoopback(): string {
  const [a, b, c] = randomBytes(3);
  return `127.${(a ?? 1) % 255}.${(b ?? 1) % 255}.${((c ?? 0) % 253) + 2}`;
}

/**
 * An execution environment. Created by the pool, which serialises invokes on it: `invoke` is
 * never called again before the previous call's `phaseEnded` promise settled.
 */
export class ExecutionEnvironment {
  readonly id: string;
  readonly logStreamName: string;
  private readonly arn: string;
  private server: Server | undefined;

  private readonly lifecycle: Lifecycle;
  private readonly telemetry: PlatformTelemetry;
  private readonly extensions: ExtensionRegistry;
  private readonly supervisor: ProcessSupervisor;
  private readonly runtimeApi: EnvironmentRuntimeApi;
  private readonly apiHost: LambdaApiHost;
  private readonly logTail = new LogTail();
  /** The environment's cgroups, where they are available and not turned off. */
  private cgroup: EnvironmentCgroup | undefined;
  /** The environment's namespaces, where they are available and not turned off. */
  private namespace: EnvironmentNamespace | undefined;
  /** What the processes see; set by `start`. */
  private view: EnvironmentView | undefined;
  /** The environment's own loopback, for Telemetry API deliveries; set by `start`. */
  private loopback: EnvironmentLoopback = () => {
    throw new Error('the environment has not started');
  };

  /** The running invoke phase (with its Init, if any), until it settles. */
  private phase: Promise<void> | undefined;
  /** Init duration, reported with the first invoke's `platform.report` only. */
  private initDurationMs: number | undefined;

  constructor(
    private readonly def: FunctionDefinition,
    observer: SandboxObserver,
    /** Called when the environment fails while idle, so the pool can drop it. */
    private readonly onIdleFault: (env: ExecutionEnvironment) => void = () => {},
  ) {
    this.id = randomBytes(16).toString('hex');
    this.logStreamName = logStreamName(new Date(), this.id, functionVersion(def));
    this.arn = functionArn(def);
    this.extensions = new ExtensionRegistry(() => this.lifecycle.notify());
    this.telemetry = new PlatformTelemetry(this.id, def, observer, () => this.extensions.deliveries());
    this.lifecycle = new Lifecycle(this.telemetry);
    this.supervisor = new ProcessSupervisor({
      onLine: (stream, line, source) => {
        this.logTail.push(line);
        this.telemetry.log(stream, line, source);
      },
      onExit: (fault) => this.onProcessExit(fault),
    });
    this.runtimeApi = new EnvironmentRuntimeApi(this.lifecycle, this.telemetry);
    const extensionsApi = new EnvironmentExtensionsApi(
      def,
      this.lifecycle,
      this.extensions,
      this.supervisor,
      this.telemetry,
    );
    const telemetryApi = new EnvironmentTelemetryApi(this.lifecycle, extensionsApi, this.telemetry, (port) =>
      this.loopback(port),
    );
    this.apiHost = lambdaApiHost(this.runtimeApi, extensionsApi, telemetryApi);
  }

  /** True once the environment can serve no more invokes (reset or shut down). */
  get dead(): boolean {
    return this.lifecycle.dead;
  }

  /** Process ids of the environment's process groups (for tests and diagnostics). */
  get processIds(): number[] {
    return this.supervisor.processIds;
  }

  /**
   * Gives the environment its namespaces (or else a fresh loopback address), serves its Lambda
   * APIs and makes its cgroups.
   */
  async start(): Promise<void> {
    const isolation = this.def.shareHost ? undefined : await isolationSupport();
    // The runtime is ready before Init starts, so no Init measures its preparation (and
    // /var/runtime, its directory, must exist before it is mounted).
    await nodeRuntimeEntry();
    try {
      if (isolation?.available) await this.startIsolated();
      else await this.startShared();
      if (this.def.unconstrained) return;
      const support = await cgroupSupport();
      if (!support.available) return;
      this.cgroup = await EnvironmentCgroup.create(support.parents, this.id, this.def.memoryMb);
      this.supervisor.constrain(this.cgroup);
    } catch (error) {
      if (this.server) await closeLambdaApiServer(this.server);
      this.server = undefined;
      await this.namespace?.remove();
      this.namespace = undefined;
      throw error;
    }
  }

  private async startIsolated(): Promise<void> {
    const endpoints = sandboxEndpoints(this.def);
    const namespace = await EnvironmentNamespace.create({
      id: this.id,
      codeDir: this.def.codeDir,
      layers: this.def.layers,
      runtimeDir: RUNTIME_DIR,
      nodeBinary: runtimeNode().path,
      egressPorts: endpoints.ports,
      ...(endpoints.xrayDaemon ? { xrayDaemon: endpoints.xrayDaemon } : {}),
    });
    this.namespace = namespace;
    this.server = await startLambdaApiServer(this.apiHost, { socketPath: namespace.lambdaApiSocket });
    this.supervisor.enter(namespace);
    this.view = lambdaView(endpoints);
    this.loopback = (port) => namespace.connect(port);
  }

  private async startShared(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const address = randomLoopback();
      try {
        this.server = await startLambdaApiServer(this.apiHost, { address, port: LAMBDA_API_PORT });
        this.view = sharedView(this.def, address);
        this.loopback = (port) => connect(port, address);
        return;
      } catch (error) {
        if (attempt >= 20 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      }
    }
  }

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
    const phaseEnded = this.runInvoke(input, once)
      .catch((error: unknown) => {
        once({
          requestId: this.lifecycle.invocation?.requestId ?? input.requestId ?? randomUUID(),
          status: 'failure',
          payload: errorPayload('Sandbox.Failure', String(error)),
          errorType: 'Sandbox.Failure',
          logTail: '',
          environmentId: this.id,
        });
        this.lifecycle.enter({ kind: 'stopped' });
      })
      .finally(() => {
        this.phase = undefined;
      });
    this.phase = phaseEnded;
    return { output, phaseEnded };
  }

  /** Stops everything (reason `spindown`): interrupts a running invoke, then the shutdown sequence. */
  async shutdown(): Promise<void> {
    if (this.phase) {
      // An invocation that already answered its caller finishes its phase (extensions still
      // flushing); one still waiting for the runtime is interrupted.
      if (!this.lifecycle.invocation?.outcome) {
        this.lifecycle.fail({
          status: 'failure',
          errorType: 'Sandbox.Shutdown',
          message: 'The sandbox is shutting down',
          reason: 'spindown',
        });
      }
      await this.phase;
    }
    const { state } = this.lifecycle;
    // An environment that failed while idle is being stopped already.
    if (state.kind === 'shuttingDown') await state.done;
    if (this.lifecycle.state.kind !== 'stopped' || this.supervisor.hasProcesses) {
      await this.stopProcesses('spindown', 'stopped');
    }
    await this.cgroup?.remove();
    if (this.server) await closeLambdaApiServer(this.server);
    this.server = undefined;
    await this.namespace?.remove();
    this.namespace = undefined;
  }

  private async runInvoke(input: InvokeInput, answer: (output: InvokeOutput) => void): Promise<void> {
    await this.thaw();
    this.logTail.clear();
    const requestId = input.requestId ?? randomUUID();
    const trace = invocationTrace(input.traceHeader);
    let started = false;
    if (this.lifecycle.state.kind === 'cold') {
      let init = await this.runInit('init', INIT_LIMIT_MS);
      if (!init.ok) {
        await this.stopProcesses('failure', 'cold');
        // Lambda retries a failed Init inside the first invoke (after its START), under the function's timeout.
        this.telemetry.start(requestId, trace);
        started = true;
        init = await this.runInit('invoke', this.def.timeoutSec * 1000);
      }
      if (!init.ok) {
        await this.failInvokeAtInit(requestId, trace, init, answer);
        return;
      }
      this.initDurationMs = init.durationMs;
    }

    const invocation = newInvocation(
      requestId,
      { ...input, invokedFunctionArn: input.invokedFunctionArn ?? this.arn },
      trace,
      this.def.timeoutSec,
      (outcome) => answer(this.output(requestId, outcome)),
    );
    this.lifecycle.invocation = invocation;
    this.lifecycle.enter({ kind: 'invoking' });
    if (!started) this.telemetry.start(requestId, trace);
    this.extensions.broadcast({
      eventType: 'INVOKE',
      deadlineMs: invocation.deadlineMs,
      requestId,
      invokedFunctionArn: invocation.invokedFunctionArn,
      tracing: { type: 'X-Amzn-Trace-Id', value: trace.header },
    });
    this.runtimeApi.offer(invocation);

    const ended = await this.lifecycle.waitUntil(
      () =>
        this.lifecycle.fault !== undefined ||
        (invocation.outcome !== undefined &&
          invocation.runtimeDone &&
          this.extensions.invokeSubscribersDone()),
      invocation.deadlineMs - Date.now(),
    );
    const fault = this.lifecycle.fault ?? (ended ? undefined : timeoutFault(requestId, this.def.timeoutSec));
    if (fault && !invocation.outcome) this.lifecycle.settle(invocation, faultOutcome(fault, requestId));
    const status = fault?.status ?? invocation.outcome?.status ?? 'failure';
    const errorType = fault?.errorType ?? invocation.outcome?.errorType;
    if (!invocation.runtimeDone) this.lifecycle.runtimeDone(invocation, status, errorType);
    const durationMs = performance.now() - invocation.startedAt;
    await this.supervisor.measureMemory();
    this.telemetry.report(requestId, trace, status, errorType, {
      durationMs,
      maxMemoryUsedMB: this.supervisor.maxMemoryUsedMB,
      ...(this.initDurationMs !== undefined ? { initDurationMs: this.initDurationMs } : {}),
    });
    this.initDurationMs = undefined;
    this.lifecycle.invocation = undefined;
    if (fault) {
      await this.stopProcesses(fault.reason, 'stopped');
    } else if (this.def.freeze) {
      await this.supervisor.freeze(this.extensions);
      this.lifecycle.enter({ kind: 'frozen' });
    } else {
      this.lifecycle.enter({ kind: 'ready' });
    }
  }

  private async runInit(phase: InitPhase, limitMs: number): Promise<InitResult> {
    // Managed runtimes get burst CPU during Init; an Init retried inside an invoke is part of it.
    await this.supervisor.cpu(phase === 'init' ? 'burst' : 'throttled');
    try {
      return await this.initPhase(phase, limitMs);
    } finally {
      await this.supervisor.cpu('throttled');
    }
  }

  private startedView(): EnvironmentView {
    if (!this.view) throw new Error('the environment has not started');
    return this.view;
  }

  private initPhase(phase: InitPhase, limitMs: number): Promise<InitResult> {
    return runInit(
      {
        def: this.def,
        view: this.startedView(),
        logStreamName: this.logStreamName,
        lifecycle: this.lifecycle,
        extensions: this.extensions,
        supervisor: this.supervisor,
        telemetry: this.telemetry,
      },
      phase,
      limitMs,
    );
  }

  private async failInvokeAtInit(
    requestId: string,
    trace: InvocationTrace,
    init: InitResult,
    answer: (output: InvokeOutput) => void,
  ): Promise<void> {
    const errorType = init.errorType ?? 'Runtime.Unknown';
    const payload = init.payload ?? errorPayload(errorType, `RequestId: ${requestId} Error: init failed`);
    answer(this.output(requestId, { status: init.status, payload, errorType }));
    this.telemetry.report(requestId, trace, init.status, errorType, {
      durationMs: init.durationMs,
      maxMemoryUsedMB: this.supervisor.maxMemoryUsedMB,
    });
    await this.stopProcesses('failure', 'stopped');
  }

  /**
   * Runs the shutdown sequence and leaves the environment `cold` (Init is retried next) or
   * `stopped`. Exits and errors of the processes meanwhile are expected and ignored.
   */
  private async stopProcesses(reason: ShutdownReason, then: 'cold' | 'stopped'): Promise<void> {
    const interrupted = this.lifecycle.state.kind;
    let finished = () => {};
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    this.lifecycle.enter({ kind: 'shuttingDown', interrupted, then, done });
    try {
      if (interrupted === 'frozen') await this.supervisor.thaw(this.extensions);
      await this.supervisor.stop(reason, this.extensions);
      this.extensions.clear();
      this.runtimeApi.forgetWaiter();
      this.lifecycle.enter({ kind: then });
    } finally {
      finished();
    }
  }

  private async thaw(): Promise<void> {
    if (this.lifecycle.state.kind !== 'frozen') return;
    await this.supervisor.thaw(this.extensions);
    this.lifecycle.enter({ kind: 'ready' });
  }

  private onProcessExit(fault: ProcessFault): void {
    if (this.lifecycle.stopping) return;
    const idle = this.lifecycle.idle;
    this.lifecycle.fail({ ...fault, reason: 'failure' });
    if (idle) {
      // Failed while idle: the next invoke must not land here.
      void this.stopProcesses('failure', 'stopped').finally(() => this.onIdleFault(this));
    }
  }

  private output(requestId: string, outcome: Outcome): InvokeOutput {
    return {
      requestId,
      status: outcome.status,
      payload: outcome.payload,
      ...(outcome.errorType ? { errorType: outcome.errorType } : {}),
      logTail: this.logTail.text(),
      environmentId: this.id,
    };
  }
}
