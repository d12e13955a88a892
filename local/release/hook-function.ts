/**
 * The pre-traffic hook as CodeDeploy runs it: the real `dist/functions/deploy-hook` bundle as a
 * second function in real execution environments (its own pool, log group and X-Ray segments),
 * configured as the stack configures it (`TARGET_VERSION_ARN` = the new version's ARN, no layer,
 * 256 MB, one minute) and pointed at the sandbox's Invoke API and the local CodeDeploy endpoint.
 * A fresh function per deployment, as the stack redeploys the hook with each new version's ARN.
 */
import path from 'node:path';
import { pause } from '../../common/deadline';
import { DEFAULTS, PROJECT_ROOT } from '../config';
import { functionArn } from '../environment/environment-variables';
import { FunctionPool } from '../environment/function-pool';
import type { FunctionDefinition, LogEntry, PlatformEvent, SandboxObserver } from '../environment/types';
import { LogSink } from '../logs/log-sink';
import type { MetricStore } from '../logs/metric-store';
import { LambdaSegmentWriter } from '../xray/lambda-segments';
import type { TraceStore } from '../xray/trace-store';
import type { CodeDeployEndpoint } from './codedeploy-endpoint';
import type { HookResult } from './deployment-controller';
import type { ScaledClock } from './scaled-clock';

/** The stack's hook settings (infra/canary-release.ts). */
const HOOK_MEMORY_MB = 256;
const HOOK_TIMEOUT_SEC = 60;
/** CodeDeploy fails a lifecycle event whose hook has not reported within an hour. */
const HOOK_REPORT_DEADLINE_MS = 60 * 60_000;
/**
 * The invocation ended without a report: the status call may still be on the wire, so wait a
 * little before failing the event (CodeDeploy itself would wait out the hour).
 */
const REPORT_GRACE_MS = 2_000;

/** The default hook bundle (`npm run build` writes it). */
export const DEFAULT_HOOK_DIR = path.join(PROJECT_ROOT, 'dist', 'functions', 'deploy-hook');

/** What the hook needs of the running sandbox. */
export interface HookSandbox {
  readonly lambdaUrl: string;
  readonly definition: FunctionDefinition;
  readonly paths: { readonly logs: string };
  readonly metrics: MetricStore;
  readonly traces: TraceStore;
}

export interface HookFunctionOptions {
  readonly sandbox: HookSandbox;
  readonly codeDeploy: CodeDeployEndpoint;
  readonly clock: ScaledClock;
  /** The version the hook smoke-tests. */
  readonly targetVersion: string;
  /** @default {@link DEFAULT_HOOK_DIR} */
  readonly codeDir?: string;
}

/** The failed steps of the hook's `smoke test finished` log line, as `: step (detail); …`. */
function failedSteps(line: string): string | undefined {
  const start = line.indexOf('{');
  if (start < 0 || !line.includes('smoke test finished')) return undefined;
  try {
    const parsed = JSON.parse(line.slice(start)) as {
      steps?: { name: string; passed: boolean; detail: string }[];
    };
    const failed = (parsed.steps ?? []).filter((step) => !step.passed);
    return failed.length === 0
      ? undefined
      : `: ${failed.map((step) => `${step.name} (${step.detail})`).join('; ')}`;
  } catch {
    return undefined;
  }
}

/**
 * Runs the BeforeAllowTraffic hook of a deployment: invokes the hook function with
 * `{DeploymentId, LifecycleEventHookExecutionId}` and waits for the status it reports to the
 * CodeDeploy endpoint.
 */
export async function runBeforeAllowTrafficHook(
  options: HookFunctionOptions,
  deploymentId: string,
  signal: AbortSignal,
): Promise<HookResult> {
  const { sandbox } = options;
  const name = `${sandbox.definition.name}-pre-traffic-hook`;
  const definition: FunctionDefinition = {
    name,
    codeDir: path.resolve(options.codeDir ?? DEFAULT_HOOK_DIR),
    handler: DEFAULTS.handler,
    memoryMb: HOOK_MEMORY_MB,
    timeoutSec: HOOK_TIMEOUT_SEC,
    layers: [],
    environment: {
      // The sandbox's stand-ins (logs, X-Ray), then the hook's own configuration.
      ...Object.fromEntries(
        Object.entries(sandbox.definition.environment).filter(([key]) => key.startsWith('AWS_ENDPOINT_URL_')),
      ),
      AWS_XRAY_DAEMON_ADDRESS: sandbox.definition.environment.AWS_XRAY_DAEMON_ADDRESS ?? '',
      TARGET_VERSION_ARN: `${functionArn(sandbox.definition)}:${options.targetVersion}`,
      AWS_ENDPOINT_URL_LAMBDA: sandbox.lambdaUrl,
      AWS_ENDPOINT_URL_CODEDEPLOY: options.codeDeploy.url,
    },
    // Every endpoint the hook gets is one of the sandbox's.
    sandboxEndpoints: [
      ...Object.keys(sandbox.definition.environment).filter((key) => key.startsWith('AWS_ENDPOINT_URL_')),
      'AWS_XRAY_DAEMON_ADDRESS',
      'AWS_ENDPOINT_URL_LAMBDA',
      'AWS_ENDPOINT_URL_CODEDEPLOY',
    ],
    ...(sandbox.definition.shareHost ? { shareHost: true } : {}),
    concurrency: 1,
    freeze: sandbox.definition.freeze,
    idleTimeoutMs: sandbox.definition.idleTimeoutMs,
    region: sandbox.definition.region,
  };
  const logs = new LogSink({
    functionName: name,
    timeoutSec: HOOK_TIMEOUT_SEC,
    directory: sandbox.paths.logs,
    metrics: sandbox.metrics,
  });
  const segments = new LambdaSegmentWriter(sandbox.traces, name, definition.region);
  let smokeTest: string | undefined;
  const observer: SandboxObserver = {
    onLog(entry: LogEntry) {
      logs.onLog(entry);
      smokeTest ??= failedSteps(entry.line);
    },
    onPlatformEvent(environmentId: string, event: PlatformEvent) {
      logs.onPlatformEvent(environmentId, event);
      segments.onPlatformEvent(environmentId, event);
    },
  };
  const pool = new FunctionPool(definition, observer);
  const execution = options.codeDeploy.openHookExecution(deploymentId, 'BeforeAllowTraffic');
  try {
    const invocation = segments.begin(undefined);
    const invoked = pool
      .invoke({
        payload: Buffer.from(
          JSON.stringify({
            DeploymentId: deploymentId,
            LifecycleEventHookExecutionId: execution.lifecycleEventHookExecutionId,
          }),
        ),
        traceHeader: invocation.traceHeader,
      })
      .then((output) => {
        segments.complete(invocation, output);
        return output;
      });
    const stopped = new Promise<never>((_, reject) => {
      if (signal.aborted) reject(signal.reason);
      signal.addEventListener('abort', () => reject(signal.reason), { once: true });
    });
    const reported = execution.status.then(
      (status): HookResult => ({
        status,
        reason: status === 'Succeeded' ? 'the smoke test passed' : `the smoke test failed${smokeTest ?? ''}`,
      }),
    );
    const unreported = invoked.then(async (output): Promise<HookResult> => {
      await pause(REPORT_GRACE_MS);
      const error = output.status === 'success' ? '' : ` (${output.errorType ?? output.status})`;
      return { status: 'Failed', reason: `the hook ended without reporting a status${error}` };
    });
    const deadline = options.clock
      .sleep(HOOK_REPORT_DEADLINE_MS, signal)
      .then((): HookResult => ({ status: 'Failed', reason: 'the hook did not report within an hour' }));
    stopped.catch(() => undefined);
    deadline.catch(() => undefined);
    return await Promise.race([reported, unreported, deadline, stopped]);
  } finally {
    await pool.shutdown().catch(() => undefined);
    segments.close();
    await logs.flush();
  }
}
