import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { EXTENSION_METRICS } from '../extension/src/metric-names';
import type { TodoMetricFactory } from './todo-metrics';

/** Thresholds of the alarms that roll a canary back. */
export interface RollbackThresholds {
  /** Invocation errors (crashes, timeouts) of the new version in one minute. @default 1 */
  readonly errors?: number;
  /** p99 duration of the new version, in milliseconds. @default 1000 */
  readonly p99DurationMs?: number;
  /** Throttled invocations of the new version in one minute. @default 1 */
  readonly throttles?: number;
  /** Spans plus metric documents the new version's extension dropped in one minute. @default 10 */
  readonly telemetryDropped?: number;
}

// The handler turns every known failure into a problem+json response, so an invocation error
// is a crash or a timeout: one is enough to stop the rollout.
const DEFAULT_ERRORS = 1;
// Ten times the handler's typical single-digit-millisecond DynamoDB round trip plus a cold start;
// above it the new version is clearly slower than what it replaces.
const DEFAULT_P99_DURATION_MS = 1000;
const DEFAULT_THROTTLES = 1;
// The extension's buffers are bounded by design and may shed a few items in a burst; ten a
// minute, twice in three minutes, means its export path is broken rather than busy.
const DEFAULT_TELEMETRY_DROPPED = 10;

/** The four rollback alarms, in the order they are created. */
export interface RollbackAlarms {
  readonly errors: Alarm;
  readonly p99Duration: Alarm;
  readonly throttles: Alarm;
  readonly telemetryDropped: Alarm;
}

/**
 * Alarms on the NEW version only (`ExecutedVersion` / `FunctionVersion` dimensions), one-minute
 * periods, missing data not breaching: a canary with no traffic yet is not a failure. These are
 * what CodeDeploy watches; they never page anyone (the alias and API alarms do).
 */
export class RollbackAlarmSet extends Construct {
  readonly alarms: RollbackAlarms;

  constructor(scope: Construct, id: string, metrics: TodoMetricFactory, thresholds: RollbackThresholds = {}) {
    super(scope, id);
    const make = (
      alarmId: string,
      metric: IMetric,
      threshold: number,
      evaluationPeriods: number,
      datapointsToAlarm: number,
      description: string,
    ): Alarm =>
      new Alarm(this, alarmId, {
        metric,
        threshold,
        evaluationPeriods,
        datapointsToAlarm,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });

    this.alarms = {
      errors: make(
        'Errors',
        metrics.lambdaOfNewVersion('Errors', Stats.SUM),
        thresholds.errors ?? DEFAULT_ERRORS,
        1,
        1,
        'Rollback: the version being deployed crashed or timed out. CodeDeploy shifts traffic back to ' +
          'the previous version on its own. First: read the Logs Insights errors widget for that version.',
      ),
      p99Duration: make(
        'P99Duration',
        metrics.lambdaOfNewVersion('Duration', Stats.p(99)),
        thresholds.p99DurationMs ?? DEFAULT_P99_DURATION_MS,
        // p99 over a 10 % canary rests on few requests: two slow minutes out of three, not one.
        3,
        2,
        'Rollback: the version being deployed is slow at p99. CodeDeploy rolls back on its own. ' +
          'First: compare duration by version on the dashboard and open a slow trace in X-Ray.',
      ),
      throttles: make(
        'Throttles',
        metrics.lambdaOfNewVersion('Throttles', Stats.SUM),
        thresholds.throttles ?? DEFAULT_THROTTLES,
        1,
        1,
        'Rollback: invocations of the version being deployed were throttled. First: check the ' +
          "account's concurrent executions and any reserved concurrency on the function.",
      ),
      telemetryDropped: make(
        'TelemetryDropped',
        metrics.telemetryDropped(),
        thresholds.telemetryDropped ?? DEFAULT_TELEMETRY_DROPPED,
        3,
        2,
        `Rollback: the telemetry extension of the version being deployed dropped spans or metric ` +
          `documents (${EXTENSION_METRICS.spansDropped} + ${EXTENSION_METRICS.metricDocumentsDropped}). ` +
          'First: read the extension health widgets and the extension log lines for that version.',
      ),
    };
  }

  /** The alarms as a list, for the deployment group (which takes at most 10). */
  get all(): Alarm[] {
    return Object.values(this.alarms);
  }
}
