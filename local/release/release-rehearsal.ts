/**
 * One release rehearsed end to end on a running sandbox: the new code is published as a version,
 * customers' traffic flows through the HTTP API front door, and the deployment controller does
 * CodeDeploy's job on the `live` alias with the real pre-traffic hook and the stack's rollback
 * alarms. Traffic runs a minute before the deployment and a minute after its verdict, so the
 * timeline shows the old version alone, the shift, and where traffic settled.
 */
import { pause } from '../../common/deadline';
import type { SynthesizedTemplate } from './alarm-template';
import { type CodeDeployEndpoint, startCodeDeployEndpoint } from './codedeploy-endpoint';
import type { DeploymentConfig } from './deployment-config';
import {
  type AliasControl,
  type DeploymentEvent,
  type DeploymentOutcome,
  runDeployment,
} from './deployment-controller';
import { rollbackAlarmWatch } from './deployment-group';
import { type HookSandbox, runBeforeAllowTrafficHook } from './hook-function';
import { buildTimeline, type TimelineMinute } from './release-timeline';
import { ScaledClock } from './scaled-clock';
import { type CustomerResponse, TrafficDriver } from './traffic-driver';
import { readVersionMetrics } from './version-metrics';

const MINUTE_MS = 60_000;
/** The telemetry extension's default periodic flush (`TELEMETRY_FLUSH_INTERVAL_MS`, extension/src/config.ts). */
const EXTENSION_FLUSH_INTERVAL_MS = 10_000;
/** How often the extension reports its own counters (`TELEMETRY_SELF_METRICS_INTERVAL_MS`). */
const EXTENSION_SELF_METRICS_INTERVAL_MS = 60_000;

/**
 * The function variables a rehearsal's sandbox starts with. The extension delivers the handler's
 * EMF (what the 5xx-rate alarm reads) on its flush, every 10 s of wall-clock time when busy:
 * under a fast clock that would be minutes of CloudWatch time, and the alarms would judge
 * minutes whose data is still in the extension's buffer. The interval is scaled with the clock,
 * so it stays 10 s of CloudWatch time; so is the extension's once-a-minute report of its own
 * counters, so its health graphs get a point per CloudWatch minute.
 *
 * @example
 * const sandbox = await startSandbox({ environment: rehearsalEnvironment(4), inMemory: true });
 */
export const rehearsalEnvironment = (timeScale: number): Record<string, string> => {
  const scaled = (ms: number): string => String(Math.max(1, Math.round(ms / timeScale)));
  return {
    TELEMETRY_FLUSH_INTERVAL_MS: scaled(EXTENSION_FLUSH_INTERVAL_MS),
    TELEMETRY_SELF_METRICS_INTERVAL_MS: scaled(EXTENSION_SELF_METRICS_INTERVAL_MS),
  };
};

/** The sandbox as the rehearsal uses it. */
interface RehearsalSandbox extends HookSandbox {
  readonly apiUrl: string;
  /** The alias the front door integrates and the deployment shifts. */
  readonly alias: string;
  readonly versions: AliasControl & {
    publish(options?: { readonly codeDir?: string; readonly description?: string }): Promise<string>;
  };
}

export interface RehearsalOptions {
  readonly sandbox: RehearsalSandbox;
  /** The new version's code directory. */
  readonly toDir: string;
  readonly config: DeploymentConfig;
  /** CloudWatch minutes per wall-clock minute. */
  readonly timeScale: number;
  /** Customer requests per wall-clock second. */
  readonly rps: number;
  /** The synthesized stack: its deployment group's rollback alarms judge the new version. */
  readonly template: SynthesizedTemplate;
  /** Called once the new version is published, before traffic shifts. */
  readonly onPublished?: (stableVersion: string, targetVersion: string) => void;
  /** CloudWatch minutes of traffic before the deployment and after its verdict. @default 1 */
  readonly settleMinutes?: number;
  /** @default the real bundle in dist/functions/deploy-hook */
  readonly hookDir?: string;
  /** Stops the deployment (which rolls it back). */
  readonly signal?: AbortSignal;
  /** Each event as it happens. */
  readonly onEvent?: (event: DeploymentEvent, clock: ScaledClock) => void;
  /** Each CloudWatch minute once it is over. */
  readonly onMinute?: (minute: TimelineMinute) => void;
}

/** What a rehearsal came to. */
export interface RehearsalResult {
  readonly stableVersion: string;
  readonly targetVersion: string;
  readonly outcome: DeploymentOutcome;
  readonly timeline: readonly TimelineMinute[];
  /** Every answer customers got, oldest first. */
  readonly responses: readonly CustomerResponse[];
  /** Wall-clock time at which the verdict's alias update was made. */
  readonly settledAtWall: number;
  readonly clock: ScaledClock;
}

/** Most a cold sandbox may take to answer its first requests. */
const WARM_UP_LIMIT_MS = 60_000;

/** Waits until a second's worth of requests has been answered (or the limit passed). */
async function warmUp(traffic: TrafficDriver, rps: number, signal: AbortSignal | undefined): Promise<void> {
  const until = Date.now() + WARM_UP_LIMIT_MS;
  while (traffic.answered < rps && Date.now() < until && !signal?.aborted) await pause(50, signal);
}

/**
 * Runs the rehearsal. The sandbox's `live` alias must send all traffic to one version (the
 * stable one) when it starts.
 */
export async function rehearseRelease(options: RehearsalOptions): Promise<RehearsalResult> {
  const { sandbox } = options;
  const stableVersion = sandbox.versions.alias(sandbox.alias)?.functionVersion;
  if (stableVersion === undefined) throw new Error(`the sandbox has no ${sandbox.alias} alias`);
  const targetVersion = await sandbox.versions.publish({
    codeDir: options.toDir,
    description: `release rehearsal of ${options.toDir}`,
  });
  const codeDeploy: CodeDeployEndpoint = await startCodeDeployEndpoint();
  const traffic = new TrafficDriver({ apiUrl: sandbox.apiUrl, rps: options.rps });
  const events: DeploymentEvent[] = [];
  let settledAtWall = Date.now();
  let reported = Number.NEGATIVE_INFINITY;
  let ticker: NodeJS.Timeout | undefined;

  try {
    // Cold starts take wall-clock seconds, which a scaled clock would stretch into minutes of
    // errors-free but slow traffic: the clock starts once the stable version answers.
    traffic.start();
    await warmUp(traffic, options.rps, options.signal);
    const clock = new ScaledClock(options.timeScale);
    const settle = (options.settleMinutes ?? 1) * MINUTE_MS;
    options.onPublished?.(stableVersion, targetVersion);
    const names = { functionName: sandbox.definition.name, version: targetVersion, aliasName: sandbox.alias };
    const alarms = rollbackAlarmWatch(options.template, names, sandbox.metrics, clock);
    const timeline = async () =>
      buildTimeline({
        clock,
        startedAt: events[0]?.at ?? clock.now(),
        // Warm-up traffic precedes the clock: it would fold into minutes before the rehearsal.
        responses: traffic.observed().filter((response) => response.sentAt >= clock.origin),
        metrics: await readVersionMetrics(
          sandbox.metrics,
          sandbox.definition.name,
          sandbox.alias,
          clock.origin,
        ),
        events,
      });
    /** Reports the minutes whose requests have all been answered, once the deployment has started. */
    const reportMinutes = async (final: boolean) => {
      if (!options.onMinute || events.length === 0) return;
      const oldest = traffic.oldestUnanswered();
      const complete = Math.min(
        clock.now(),
        oldest === undefined ? Number.POSITIVE_INFINITY : clock.toCloudWatch(oldest),
      );
      for (const minute of await timeline()) {
        if (minute.periodStart <= reported || (!final && minute.periodStart + MINUTE_MS > complete)) continue;
        options.onMinute(minute);
        reported = minute.periodStart;
      }
    };
    ticker = setInterval(
      () => void reportMinutes(false).catch(() => undefined),
      MINUTE_MS / options.timeScale,
    );

    await clock.sleep(settle, options.signal).catch(() => undefined);
    const outcome = await runDeployment(
      { aliasName: sandbox.alias, currentVersion: stableVersion, targetVersion, config: options.config },
      {
        versions: sandbox.versions,
        clock,
        alarms,
        createDeployment: () => codeDeploy.createDeployment(),
        beforeAllowTraffic: (deploymentId, signal) =>
          runBeforeAllowTrafficHook(
            {
              sandbox,
              codeDeploy,
              clock,
              targetVersion,
              ...(options.hookDir ? { codeDir: options.hookDir } : {}),
            },
            deploymentId,
            signal,
          ),
        onEvent: (event) => {
          events.push(event);
          if (event.type === 'finished') settledAtWall = Date.now();
          options.onEvent?.(event, clock);
        },
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    codeDeploy.completeDeployment(outcome.deploymentId);
    // A stopped rehearsal ends at once; otherwise traffic shows where it settled.
    if (!options.signal?.aborted) await clock.sleep(settle, options.signal).catch(() => undefined);
    await traffic.stop();
    clearInterval(ticker);
    await sandbox.metrics.flush();
    await reportMinutes(true);
    return {
      stableVersion,
      targetVersion,
      outcome,
      timeline: await timeline(),
      responses: traffic.observed(),
      settledAtWall,
      clock,
    };
  } finally {
    clearInterval(ticker);
    await traffic.stop();
    await codeDeploy.close();
  }
}
