/**
 * CodeDeploy's job for a Lambda deployment, done locally: run the BeforeAllowTraffic hook, shift
 * the alias's weights per the deployment configuration, watch the rollback alarms every
 * evaluation period while traffic moves, and roll back (all traffic to the old version) on an
 * alarm in ALARM, a failed hook or a stop; otherwise finish with all traffic on the new version.
 *
 * The flow decides; the sandbox, the hook and the alarms are reached through the small
 * interfaces below, so the controller runs the same over the sandbox and in a unit test.
 */
import type { AliasRouting } from '../versions/function-versions';
import type { AlarmState } from './alarm-definitions';
import type { HookStatus } from './codedeploy-endpoint';
import type { DeploymentConfig } from './deployment-config';
import { trafficSteps } from './deployment-config';
import { type ScaledClock, StoppedError } from './scaled-clock';

/** The part of the sandbox's versions the controller drives (CodeDeploy calls `UpdateAlias`). */
export interface AliasControl {
  alias(name: string): AliasRouting | undefined;
  updateAlias(name: string, routing: AliasRouting): void;
}

/** One alarm's state at an evaluation. */
interface AlarmReading {
  readonly name: string;
  readonly state: AlarmState;
  readonly reason: string;
}

/** The deployment group's rollback alarms, read at a CloudWatch time. */
export interface AlarmWatch {
  /** One evaluation period in CloudWatch milliseconds: the grid the alarms are read on. */
  readonly periodMs: number;
  evaluate(atCloudWatchMs: number): Promise<readonly AlarmReading[]>;
}

/** What running a lifecycle hook came to. */
export interface HookResult {
  readonly status: HookStatus;
  /** Why, in a line: the hook's report, or what kept it from reporting. */
  readonly reason: string;
}

/** Runs the BeforeAllowTraffic hook of a deployment and waits for its report. */
type RunHook = (deploymentId: string, signal: AbortSignal) => Promise<HookResult>;

/** Something that happened during the deployment; `at` is CloudWatch time (epoch ms). */
export type DeploymentEvent =
  | { readonly type: 'started'; readonly at: number; readonly deploymentId: string; readonly config: string }
  | { readonly type: 'hook'; readonly at: number; readonly status: HookStatus; readonly reason: string }
  | { readonly type: 'traffic'; readonly at: number; readonly newVersionPercent: number }
  | {
      readonly type: 'alarm';
      readonly at: number;
      readonly name: string;
      readonly state: AlarmState;
      readonly previous: AlarmState | undefined;
      readonly reason: string;
    }
  | { readonly type: 'finished'; readonly at: number; readonly verdict: Verdict; readonly reason: string };

/** `Succeeded`: all traffic on the new version. `RolledBack`: all traffic back on the old one. */
export type Verdict = 'Succeeded' | 'RolledBack';

export interface DeploymentRequest {
  /** The alias CodeDeploy shifts. @default 'live' */
  readonly aliasName?: string;
  /** The version serving now; the alias must point at it alone. */
  readonly currentVersion: string;
  readonly targetVersion: string;
  readonly config: DeploymentConfig;
}

export interface ControllerDependencies {
  readonly versions: AliasControl;
  readonly clock: ScaledClock;
  readonly alarms: AlarmWatch;
  /** Makes the deployment's id (CodeDeploy's `d-XXXXXXXXX`). */
  readonly createDeployment: () => string;
  /** The BeforeAllowTraffic hook; none when the group has no hook. */
  readonly beforeAllowTraffic?: RunHook;
  /** Told about every event as it happens. Must not throw. */
  readonly onEvent?: (event: DeploymentEvent) => void;
  /** Aborting stops the deployment, which rolls it back (`autoRollback.stoppedDeployment`). */
  readonly signal?: AbortSignal;
}

/** The deployment's end: the verdict and every event, in order. */
export interface DeploymentOutcome {
  readonly deploymentId: string;
  readonly verdict: Verdict;
  readonly reason: string;
  /** CloudWatch time the deployment started and ended. */
  readonly startedAt: number;
  readonly endedAt: number;
  readonly events: readonly DeploymentEvent[];
}

/** Why the shift ended early. */
class RollbackTrigger extends Error {}

const MINUTE_MS = 60_000;

/**
 * Runs one deployment to its end.
 *
 * @example
 * const outcome = await runDeployment(
 *   { currentVersion: '1', targetVersion: '2', config: parseDeploymentConfig('LambdaCanary10Percent5Minutes') },
 *   { versions: sandbox.versions, clock, alarms, createDeployment: codeDeploy.createDeployment, beforeAllowTraffic },
 * );
 */
export async function runDeployment(
  request: DeploymentRequest,
  deps: ControllerDependencies,
): Promise<DeploymentOutcome> {
  const aliasName = request.aliasName ?? 'live';
  const { clock, versions } = deps;
  const signal = deps.signal ?? new AbortController().signal;
  const events: DeploymentEvent[] = [];
  const emit = (event: DeploymentEvent) => {
    events.push(event);
    try {
      deps.onEvent?.(event);
    } catch {
      // A failing printer must not decide the deployment.
    }
  };
  const current = versions.alias(aliasName);
  if (current?.functionVersion !== request.currentVersion || current.additionalVersionWeights) {
    throw new Error(
      `alias ${aliasName} must send all traffic to version ${request.currentVersion} before a deployment, ` +
        `it routes ${JSON.stringify(current)}`,
    );
  }
  const deploymentId = deps.createDeployment();
  const startedAt = clock.now();
  emit({ type: 'started', at: startedAt, deploymentId, config: request.config.name });

  const shift = (percent: number) => {
    versions.updateAlias(
      aliasName,
      percent >= 100
        ? { functionVersion: request.targetVersion }
        : percent <= 0
          ? { functionVersion: request.currentVersion }
          : {
              functionVersion: request.currentVersion,
              additionalVersionWeights: { [request.targetVersion]: percent / 100 },
            },
    );
    emit({ type: 'traffic', at: clock.now(), newVersionPercent: percent });
  };

  const states = new Map<string, AlarmState>();
  const checkAlarms = async () => {
    const at = clock.now();
    const readings = await deps.alarms.evaluate(at);
    for (const reading of readings) {
      const previous = states.get(reading.name);
      if (previous !== reading.state) {
        states.set(reading.name, reading.state);
        emit({
          type: 'alarm',
          at,
          name: reading.name,
          state: reading.state,
          previous,
          reason: reading.reason,
        });
      }
    }
    const firing = readings.find((reading) => reading.state === 'ALARM');
    if (firing) throw new RollbackTrigger(`alarm ${firing.name} is in ALARM: ${firing.reason}`);
  };

  /**
   * Reads the alarms once per period until `until` (CloudWatch time), as CloudWatch evaluates
   * them: on the period grid, each period once it is complete. Half a period of delay lets the
   * period's last invocations land in the store, as CloudWatch waits for late data. The alarms
   * are read once more at `until`, before the next shift.
   */
  const watchUntil = async (until: number) => {
    const period = deps.alarms.periodMs;
    const delay = period / 2;
    for (;;) {
      const next = Math.floor((clock.now() - delay) / period) * period + period + delay;
      if (next >= until) {
        await clock.sleepUntil(until, signal);
        await checkAlarms();
        return;
      }
      await clock.sleepUntil(next, signal);
      await checkAlarms();
    }
  };

  const finish = (verdict: Verdict, reason: string): DeploymentOutcome => {
    const endedAt = clock.now();
    emit({ type: 'finished', at: endedAt, verdict, reason });
    return { deploymentId, verdict, reason, startedAt, endedAt, events };
  };

  try {
    // CodeDeploy refuses to start while a watched alarm is already in ALARM.
    await checkAlarms();
    if (deps.beforeAllowTraffic) {
      const hook = await deps.beforeAllowTraffic(deploymentId, signal);
      emit({ type: 'hook', at: clock.now(), status: hook.status, reason: hook.reason });
      if (hook.status !== 'Succeeded')
        throw new RollbackTrigger(`BeforeAllowTraffic hook failed: ${hook.reason}`);
    }
    const shiftStarted = clock.now();
    for (const step of trafficSteps(request.config)) {
      const at = shiftStarted + step.atMinute * MINUTE_MS;
      if (clock.now() < at) await watchUntil(at);
      shift(step.newVersionPercent);
    }
    return finish('Succeeded', `all traffic is on version ${request.targetVersion}`);
  } catch (error) {
    const reason =
      error instanceof RollbackTrigger
        ? error.message
        : error instanceof StoppedError || signal.aborted
          ? 'the deployment was stopped'
          : `the deployment failed: ${(error as Error).message}`;
    shift(0);
    return finish('RolledBack', reason);
  }
}
