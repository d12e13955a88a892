/**
 * The stack's deployment group as the rehearsal needs it, read from the synthesized template
 * (never a second copy): its deployment configuration and its rollback alarms, evaluated over
 * the sandbox's metric store on the rehearsal's scaled clock.
 */
import type { MetricStore } from '../logs/metric-store';
import { type AlarmState, alarmPeriod } from './alarm-definitions';
import { evaluateAlarm } from './alarm-evaluator';
import { readRollbackAlarms, type SynthesizedTemplate, sandboxResolver } from './alarm-template';
import type { AlarmWatch } from './deployment-controller';
import type { ScaledClock } from './scaled-clock';

const DEPLOYMENT_GROUP = 'AWS::CodeDeploy::DeploymentGroup';
const DEPLOYMENT_CONFIG = 'AWS::CodeDeploy::DeploymentConfig';
const PREDEFINED_PREFIX = 'CodeDeployDefault.';

type Resources = Record<string, { Type?: string; Properties?: Record<string, unknown> }>;

/**
 * The deployment group's configuration as a name {@link parseDeploymentConfig} reads: a
 * predefined one (`CodeDeployDefault.LambdaCanary10Percent5Minutes` → without the prefix) or the
 * template's custom `AWS::CodeDeploy::DeploymentConfig` written as `CanaryNPercentMMinutes` /
 * `LinearNPercentEveryMMinutes`.
 */
export function deploymentConfigName(template: SynthesizedTemplate): string {
  const resources = (template.Resources ?? {}) as Resources;
  const group = Object.values(resources).find((resource) => resource.Type === DEPLOYMENT_GROUP);
  const name = group?.Properties?.DeploymentConfigName;
  if (typeof name === 'string')
    return name.startsWith(PREDEFINED_PREFIX) ? name.slice(PREDEFINED_PREFIX.length) : name;
  const ref = (name as { Ref?: unknown } | undefined)?.Ref;
  const config = typeof ref === 'string' ? resources[ref] : undefined;
  if (config?.Type !== DEPLOYMENT_CONFIG) {
    throw new Error(
      'the template has no deployment group with a deployment configuration the rehearsal can read',
    );
  }
  const routing = config.Properties?.TrafficRoutingConfig as
    | {
        Type?: string;
        TimeBasedCanary?: { CanaryPercentage: number; CanaryInterval: number };
        TimeBasedLinear?: { LinearPercentage: number; LinearInterval: number };
      }
    | undefined;
  if (routing?.Type === 'TimeBasedCanary' && routing.TimeBasedCanary) {
    return `Canary${routing.TimeBasedCanary.CanaryPercentage}Percent${routing.TimeBasedCanary.CanaryInterval}Minutes`;
  }
  if (routing?.Type === 'TimeBasedLinear' && routing.TimeBasedLinear) {
    return `Linear${routing.TimeBasedLinear.LinearPercentage}PercentEvery${routing.TimeBasedLinear.LinearInterval}Minutes`;
  }
  return 'LambdaAllAtOnce';
}

/**
 * The group's rollback alarms on the version being deployed, as the controller watches them.
 *
 * @example
 * const alarms = rollbackAlarmWatch(template, { functionName: 'todos', version: '2', aliasName: 'live' }, sandbox.metrics, clock);
 * const readings = await alarms.evaluate(clock.now());
 */
export function rollbackAlarmWatch(
  template: SynthesizedTemplate,
  names: { readonly functionName: string; readonly version: string; readonly aliasName: string },
  metrics: MetricStore,
  clock: ScaledClock,
): AlarmWatch {
  const alarms = readRollbackAlarms(template, sandboxResolver(template, names));
  const states = new Map<string, AlarmState>();
  const periods = alarms.map((alarm) => alarmPeriod(alarm) * 1000);
  return {
    // CodeDeploy reads the alarms' states; they change at most once per period of the shortest.
    periodMs: Math.min(60_000, ...periods),
    async evaluate(atCloudWatchMs) {
      const at = clock.origin + (atCloudWatchMs - clock.origin) / clock.timeScale;
      // One read of the store for all alarms; the evaluator keeps each alarm's exact matches.
      const stored = await metrics.query();
      return Promise.all(
        alarms.map(async (alarm) => {
          const result = await evaluateAlarm(alarm, () => stored, {
            at,
            timeScale: clock.timeScale,
            origin: clock.origin,
            previousState: states.get(alarm.alarmName) ?? 'INSUFFICIENT_DATA',
          });
          states.set(alarm.alarmName, result.state);
          return { name: alarm.alarmName, state: result.state, reason: result.reason };
        }),
      );
    },
  };
}
