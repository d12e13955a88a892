/**
 * CodeDeploy's Lambda deployment configurations as traffic plans. The predefined names
 * (`LambdaAllAtOnce`, `LambdaCanary10Percent5Minutes`, `LambdaLinear10PercentEvery1Minute`…)
 * and custom time-based canary or linear configurations written the same way
 * (`Canary25Percent3Minutes`, `Linear20PercentEvery2Minutes`, with or without the `Lambda`
 * prefix) all parse into one shape.
 */

/** Custom configurations take 1–99 % and an interval of 1–2,880 minutes (two days). */
const MAX_INTERVAL_MINUTES = 2880;

/** How traffic moves from the old version to the new one. */
export type DeploymentConfig =
  | { readonly name: string; readonly type: 'AllAtOnce' }
  | {
      readonly name: string;
      readonly type: 'TimeBasedCanary' | 'TimeBasedLinear';
      /** Percent of traffic moved by the canary step, or by each linear step. */
      readonly percentage: number;
      readonly intervalMinutes: number;
    };

/** The new version's share from a point of the deployment on (minutes after the shift began). */
interface TrafficStep {
  readonly atMinute: number;
  /** Percent of traffic on the new version, 0–100. */
  readonly newVersionPercent: number;
}

/** Names the predefined configurations, for help text. */
export const PREDEFINED_CONFIGS = [
  'LambdaAllAtOnce',
  'LambdaCanary10Percent5Minutes',
  'LambdaCanary10Percent10Minutes',
  'LambdaCanary10Percent15Minutes',
  'LambdaCanary10Percent30Minutes',
  'LambdaLinear10PercentEvery1Minute',
  'LambdaLinear10PercentEvery2Minutes',
  'LambdaLinear10PercentEvery3Minutes',
  'LambdaLinear10PercentEvery10Minutes',
] as const;

/** A name that is neither predefined nor a well-formed custom configuration. */
export class UnknownDeploymentConfigError extends Error {
  override readonly name = 'UnknownDeploymentConfigError';
}

const CANARY = /^(?:Lambda)?Canary(\d+)Percent(\d+)Minutes?$/;
const LINEAR = /^(?:Lambda)?Linear(\d+)PercentEvery(\d+)Minutes?$/;

/**
 * Parses a configuration name.
 *
 * @example
 * parseDeploymentConfig('LambdaCanary10Percent5Minutes');
 * // { name, type: 'TimeBasedCanary', percentage: 10, intervalMinutes: 5 }
 * @throws UnknownDeploymentConfigError naming the accepted forms
 */
export function parseDeploymentConfig(configName: string): DeploymentConfig {
  const name = configName.replace(/^CodeDeployDefault\./, '');
  if (name === 'LambdaAllAtOnce' || name === 'AllAtOnce') return { name, type: 'AllAtOnce' };
  const canary = CANARY.exec(name);
  const linear = LINEAR.exec(name);
  const match = canary ?? linear;
  if (match) {
    const percentage = Number(match[1]);
    const intervalMinutes = Number(match[2]);
    if (percentage < 1 || percentage > 99 || intervalMinutes < 1 || intervalMinutes > MAX_INTERVAL_MINUTES) {
      throw new UnknownDeploymentConfigError(
        `deployment configuration ${name}: the percentage must be 1–99 and the interval 1–${MAX_INTERVAL_MINUTES} minutes`,
      );
    }
    return { name, type: canary ? 'TimeBasedCanary' : 'TimeBasedLinear', percentage, intervalMinutes };
  }
  throw new UnknownDeploymentConfigError(
    `unknown deployment configuration "${name}": use LambdaAllAtOnce, ` +
      'Lambda|CanaryNPercentMMinutes or Lambda|LinearNPercentEveryMMinutes (e.g. LambdaCanary10Percent5Minutes)',
  );
}

/**
 * The traffic plan of a configuration: a canary moves `percentage` at once and the rest after the
 * interval; a linear configuration adds `percentage` every interval until all traffic has moved.
 *
 * @example
 * trafficSteps(parseDeploymentConfig('LambdaLinear10PercentEvery1Minute'));
 * // [{ atMinute: 0, newVersionPercent: 10 }, { atMinute: 1, newVersionPercent: 20 }, … { atMinute: 9, newVersionPercent: 100 }]
 */
export function trafficSteps(config: DeploymentConfig): TrafficStep[] {
  if (config.type === 'AllAtOnce') return [{ atMinute: 0, newVersionPercent: 100 }];
  if (config.type === 'TimeBasedCanary') {
    return [
      { atMinute: 0, newVersionPercent: config.percentage },
      { atMinute: config.intervalMinutes, newVersionPercent: 100 },
    ];
  }
  const steps: TrafficStep[] = [];
  for (let step = 0; ; step++) {
    const percent = Math.min(100, (step + 1) * config.percentage);
    steps.push({ atMinute: step * config.intervalMinutes, newVersionPercent: percent });
    if (percent === 100) return steps;
  }
}
