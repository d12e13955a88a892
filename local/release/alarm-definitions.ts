/**
 * CloudWatch metric alarms as plain values, named after the `AWS::CloudWatch::Alarm` properties
 * (and the `PutMetricAlarm` API) with every CloudFormation expression already resolved. Read
 * from the synthesized template by `alarm-template.ts`, evaluated by `alarm-evaluator.ts`.
 */

/** The three states of a CloudWatch alarm. */
export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

/** `ComparisonOperator` of a static-threshold alarm. */
export type ComparisonOperator =
  | 'GreaterThanOrEqualToThreshold'
  | 'GreaterThanThreshold'
  | 'LessThanThreshold'
  | 'LessThanOrEqualToThreshold';

/** `TreatMissingData`; CloudWatch's default is `missing`. */
export type TreatMissingData = 'missing' | 'notBreaching' | 'breaching' | 'ignore';

/** A metric's identity: CloudWatch matches the namespace, the name and the exact dimension set. */
interface MetricIdentity {
  readonly namespace: string;
  readonly metricName: string;
  /** Dimension name → value. */
  readonly dimensions: Readonly<Record<string, string>>;
}

/** A metric, a statistic and a period: one time series (`MetricStat`). */
export interface MetricStat {
  readonly metric: MetricIdentity;
  /** Period in seconds: 10, 30 or a multiple of 60. */
  readonly period: number;
  /** `Sum`, `Average`, `Minimum`, `Maximum`, `SampleCount`, `p99`, `p99.9`, `tm90`, `wm99`, `TM(10%:90%)`, `IQM`… */
  readonly stat: string;
  /** Only data stored with this unit counts. @default any unit */
  readonly unit?: string;
}

/** One `MetricDataQuery` of a metric-math alarm: a metric (`metricStat`) or an `expression`. */
export interface MetricDataQuery {
  readonly id: string;
  readonly metricStat?: MetricStat;
  readonly expression?: string;
  /** Exactly one query of an alarm returns data: the series compared with the threshold. */
  readonly returnData: boolean;
  readonly label?: string;
  /** Period of an expression query, in seconds (alarms usually leave it to the metrics). */
  readonly period?: number;
}

/** What an alarm watches: one metric with a statistic, or metric math over several. */
export type AlarmMetric =
  | { readonly kind: 'metric'; readonly metricStat: MetricStat }
  | { readonly kind: 'math'; readonly queries: readonly MetricDataQuery[] };

/** A static-threshold metric alarm. */
export interface AlarmDefinition {
  /** Logical id of the `AWS::CloudWatch::Alarm` resource. */
  readonly logicalId: string;
  /** `AlarmName` when the template sets one, else the logical id (CloudFormation generates the real name). */
  readonly alarmName: string;
  readonly alarmDescription?: string;
  readonly metric: AlarmMetric;
  /** The number of most recent periods evaluated (N of "M out of N"). */
  readonly evaluationPeriods: number;
  /** Breaching datapoints among them that put the alarm in ALARM (M); CloudWatch's default is N. */
  readonly datapointsToAlarm: number;
  readonly comparisonOperator: ComparisonOperator;
  readonly threshold: number;
  readonly treatMissingData: TreatMissingData;
}

/** The period of the series an alarm compares: the metric's, or the math's (all its metrics share one). */
export const alarmPeriod = (alarm: AlarmDefinition): number => {
  if (alarm.metric.kind === 'metric') return alarm.metric.metricStat.period;
  const periods = alarm.metric.queries.flatMap((query) => query.period ?? query.metricStat?.period ?? []);
  const [first] = periods;
  if (first === undefined) throw new Error(`alarm ${alarm.alarmName}: no query has a period`);
  return first;
};
