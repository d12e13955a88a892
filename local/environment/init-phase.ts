/**
 * Lambda's Init phase for one execution environment: the layers' extensions start in parallel
 * and register, the runtime starts only once every one of them has (the registration barrier),
 * and Init ends when the runtime and every extension have called `next`, or fails at the first
 * error, crash or at its time limit.
 */
import path from 'node:path';
import { nodeRuntimeEntry } from '../node-runtime/runtime-bundle';
import { type EnvironmentFacts, extensionVariables, runtimeVariables } from './environment-variables';
import { type EnvironmentView, extensionPath } from './environment-view';
import type { ExtensionRegistry } from './extension-registry';
import { errorPayload } from './invocation';
import { findBootstrap, findExtensions } from './layer-extensions';
import type { InitPhase, Lifecycle } from './lifecycle';
import type { PlatformTelemetry } from './platform-telemetry';
import type { ProcessSupervisor } from './process-supervisor';
import type { FunctionDefinition, InvokeStatus } from './types';

/** Lambda limits Init to 10 s (on-demand). */
export const INIT_LIMIT_MS = 10_000;

export interface InitResult {
  readonly ok: boolean;
  readonly status: InvokeStatus;
  readonly errorType?: string;
  /** The error document for the invoker when Init failed. */
  readonly payload?: Buffer;
  readonly durationMs: number;
}

/** What an Init works with. */
export interface InitContext {
  readonly def: FunctionDefinition;
  /** The paths and addresses the environment's processes see. */
  readonly view: EnvironmentView;
  readonly logStreamName: string;
  readonly lifecycle: Lifecycle;
  readonly extensions: ExtensionRegistry;
  readonly supervisor: ProcessSupervisor;
  readonly telemetry: PlatformTelemetry;
}

/**
 * Runs one Init within `limitMs`, with its `platform.init*` events. A failed Init leaves its
 * processes running and the state as it was: the caller stops them at once, before any API
 * request can be served.
 */
export async function runInit(context: InitContext, phase: InitPhase, limitMs: number): Promise<InitResult> {
  const { def, lifecycle, extensions, supervisor, telemetry } = context;
  const startedAt = performance.now();
  const deadline = startedAt + limitMs;
  extensions.clear();
  telemetry.beginInit();
  lifecycle.beginInit(phase);
  telemetry.initStart(phase);

  const { view } = context;
  const facts: EnvironmentFacts = { def, view, logStreamName: context.logStreamName, managedRuntime: false };
  const failed = () => lifecycle.fault !== undefined || lifecycle.initError !== undefined;
  const executables = await findExtensions(def.layers);
  supervisor.startExtensions(
    executables.map((e) => ({ ...e, path: extensionPath(view, e.name, e.path) })),
    { cwd: view.taskRoot, env: extensionVariables(facts) },
  );
  let completed = await lifecycle.waitUntil(
    () => failed() || extensions.allRegistered(supervisor.externalNames),
    deadline - performance.now(),
  );
  if (completed && !failed()) {
    const bootstrap = await findBootstrap(def.codeDir);
    const entry = path.join(view.runtimeDir, path.basename(await nodeRuntimeEntry()));
    supervisor.startRuntime({
      command: bootstrap ? path.join(view.taskRoot, 'bootstrap') : view.nodeBinary,
      args: bootstrap ? [] : [entry],
      cwd: view.taskRoot,
      env: runtimeVariables({ ...facts, managedRuntime: !bootstrap }),
    });
    completed = await lifecycle.waitUntil(
      () => failed() || (lifecycle.state.kind === 'initializing' && extensions.allCalledNext()),
      deadline - performance.now(),
    );
  }
  const durationMs = performance.now() - startedAt;
  const result = initResult(lifecycle, completed, limitMs, durationMs);
  // When the runtime got as far as `next`, its `platform.initRuntimeDone` went out then.
  if (lifecycle.state.kind === 'registering')
    telemetry.initRuntimeDone(phase, result.status, result.errorType);
  telemetry.initReport(phase, result.status, result.errorType, durationMs);
  telemetry.endInit();
  lifecycle.endInit();
  return result;
}

function initResult(
  lifecycle: Lifecycle,
  completed: boolean,
  limitMs: number,
  durationMs: number,
): InitResult {
  const { initError, fault } = lifecycle;
  if (initError) return { ok: false, ...initError, durationMs };
  if (fault) {
    const { status, errorType, message } = fault;
    return { ok: false, status, errorType, payload: errorPayload(errorType, message), durationMs };
  }
  if (!completed) {
    const message = `Init timed out after ${(limitMs / 1000).toFixed(2)} seconds`;
    return {
      ok: false,
      status: 'timeout',
      errorType: 'Sandbox.Timedout',
      payload: errorPayload('Sandbox.Timedout', message),
      durationMs,
    };
  }
  return { ok: true, status: 'success', durationMs };
}
