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
  /** Throttled invocations through the alias in one minute (two minutes of three). @default 1 */
  readonly throttles?: number;
  /** 5xx responses of the new version, in percent of its requests in one minute. @default 10 */
  readonly serverErrorRatePercent?: number;
  /** Requests the new version must serve in a minute before its 5xx rate is judged. @default 20 */
  readonly minRequests?: number;
  /** Spans plus metric documents the new version's extension dropped in one minute. @default 10 */
  readonly telemetryDropped?: number;
}

// The handler turns every known failure into a problem+json response, so an invocation error
// is a crash or a timeout: one is enough to stop the rollout.
const DEFAULT_ERRORS = 1;
// Ten times the handler's typical single-digit-millisecond DynamoDB round trip plus a cold start;
// above it the new version is clearly slower than what it replaces.
const DEFAULT_P99_DURATION_MS = 1000;
// Throttled invocations never execute, so Lambda files them under no ExecutedVersion: a
// Throttles metric of the new version gets no data, ever, and its alarm can never fire. They do
// carry the alias's Resource dimension, so this alarm reads the alias: old and new traffic
// together. Concurrency is shared by every version of the function, so a throttle cannot be
// pinned on one version; what a deployment does is raise the concurrency it needs (requests ×
// duration) for as long as the new version takes traffic, while a burst from outside lasts a
// moment. Hence any throttle, but in two minutes of three: a single burst does not roll back.
const DEFAULT_THROTTLES = 1;
// The handler answers failures with problem+json, so a version failing a third of its requests
// raises no Lambda Errors; its 5xx share of its own requests does. Judged per minute, only in
// minutes with at least DEFAULT_MIN_REQUESTS requests (a 10 % canary reaches that from about 200
// requests a minute in all): a lone early 5xx on a tiny canary is not a 100 % rate. At 20
// requests, 10 % means two 5xx in one minute: a healthy version with a 0.5 % background of 5xx
// (DynamoDB throttling answered 503) does that in under 0.5 % of minutes, twice in three minutes
// practically never, while a version failing 30 % does it in 99 % of minutes. Two breaching
// minutes of three is decided within the five-minute canary and forgives one unlucky minute.
// Below the minimum the expression is 0 (not breaching); a minute without data is missing and
// treated as not breaching, like every rollback alarm: a canary with no traffic is no failure.
const DEFAULT_SERVER_ERROR_RATE_PERCENT = 10;
const DEFAULT_MIN_REQUESTS = 20;
// The extension's buffers are bounded by design and may shed a few items in a burst; ten a
// minute, twice in three minutes, means its export path is broken rather than busy.
const DEFAULT_TELEMETRY_DROPPED = 10;

/** The five rollback alarms, in the order they are created. */
export interface RollbackAlarms {
  readonly errors: Alarm;
  readonly serverErrorRate: Alarm;
  readonly p99Duration: Alarm;
  readonly throttles: Alarm;
  readonly telemetryDropped: Alarm;
}

/**
 * Alarms on the NEW version (`ExecutedVersion`, `FunctionVersion`, `functionVersion` dimensions)
 * wherever the data has a version, one-minute periods, missing data not breaching: a canary with
 * no traffic yet is not a failure. Throttles are the exception (see DEFAULT_THROTTLES). These
 * are what CodeDeploy watches; they never page anyone (the alias and API alarms do).
 */
export class RollbackAlarmSet extends Construct {
  readonly alarms: RollbackAlarms;

  constructor(scope: Construct, id: string, metrics: TodoMetricFactory, thresholds: RollbackThresholds = {}) {
    super(scope, id);
    const serverErrorRate = thresholds.serverErrorRatePercent ?? DEFAULT_SERVER_ERROR_RATE_PERCENT;
    const minRequests = thresholds.minRequests ?? DEFAULT_MIN_REQUESTS;
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
      serverErrorRate: make(
        'ServerErrorRate',
        metrics.serverErrorRateOfNewVersion(minRequests),
        serverErrorRate,
        3,
        2,
        `Rollback: ${serverErrorRate} % or more of the requests the version being deployed served ended in ` +
          `5xx, in two of three minutes with at least ${minRequests} requests. CodeDeploy rolls back on its ` +
          'own. First: compare requests by version and status class on the dashboard, then the errors widget.',
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
        metrics.lambdaOfAlias('Throttles', Stats.SUM),
        thresholds.throttles ?? DEFAULT_THROTTLES,
        3,
        2,
        'Rollback: invocations through the alias were throttled in two of three minutes during the ' +
          'deployment (throttled invocations run no version, so this counts old and new traffic). First: ' +
          "compare duration by version (a slower version needs more concurrency), then the account's " +
          'concurrent executions and any reserved concurrency on the function.',
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
