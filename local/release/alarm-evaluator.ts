/**
 * Evaluates a CloudWatch metric alarm over the local metric store the way CloudWatch does.
 *
 * - Periods: a period's buckets are aligned to the clock (a 60 s period starts at whole
 *   minutes); a datum belongs to the bucket of its timestamp; a bucket's value is the statistic
 *   over its data (`alarm-statistics.ts`), metric math combines the buckets (`metric-math.ts`).
 *   Metrics match on namespace, name and the exact dimension set, as in CloudWatch.
 * - Timing: at time T only complete buckets count, the last one ending at or before T.
 *   CloudWatch also evaluates the last complete periods; it waits a little longer for late
 *   data, which the local store, written as the sandbox runs, does not need.
 * - Missing data, as CloudWatch documents it: the evaluation range holds more periods than
 *   `EvaluationPeriods` (see {@link EXTRA_RANGE_PERIODS}). With at least N real datapoints in
 *   it, the N most recent are evaluated and `TreatMissingData` plays no part. With fewer, all
 *   real datapoints count and the rest up to N are filled as `TreatMissingData` says:
 *   `breaching` / `notBreaching` fill breaching / good points; `missing` and `ignore` fill
 *   nothing. With no real datapoint at all, `missing` gives INSUFFICIENT_DATA and `ignore` keeps
 *   the previous state. Alarms on `AWS/DynamoDB` metrics always ignore missing data.
 * - State: ALARM when at least `DatapointsToAlarm` (M) of the evaluated datapoints breach,
 *   OK otherwise.
 * - Time scale: a rehearsal compresses time; CloudWatch time = origin + (wall − origin) × scale,
 *   applied to the metric timestamps and to the evaluation time alike.
 */
import type { ExtractedMetric } from '../logs/emf';
import type { MetricQuery } from '../logs/metric-store';
import {
  type AlarmDefinition,
  type AlarmState,
  alarmPeriod,
  type ComparisonOperator,
  type MetricStat,
  type TreatMissingData,
} from './alarm-definitions';
import { evaluateMetricMath, type Series } from './metric-math';
import { type PeriodGrid, statisticSeries } from './metric-series';

/**
 * Where stored metrics come from: the metric store (`(query) => store.query(query)`) or any
 * function giving datapoints. It may return more than the query asks for; the evaluator keeps
 * exact matches only.
 */
export type MetricSource = (
  query: MetricQuery,
) => Promise<readonly ExtractedMetric[]> | readonly ExtractedMetric[];

/** A compressed clock: CloudWatch time = origin + (wall − origin) × timeScale. */
export interface TimeScale {
  /** CloudWatch milliseconds per wall-clock millisecond; 60 makes a minute pass per second. @default 1 */
  readonly timeScale?: number;
  /** Wall-clock epoch ms where both clocks agree, e.g. the start of the rehearsal. @default 0 */
  readonly origin?: number;
}

/** When and how to evaluate. */
export interface EvaluationOptions extends TimeScale {
  /** Wall-clock epoch ms of the evaluation. */
  readonly at: number;
  /** The alarm's state before this evaluation, kept when missing data is ignored. @default 'INSUFFICIENT_DATA' */
  readonly previousState?: AlarmState;
}

/** One period's value in the evaluation range. */
interface AlarmDatapoint {
  /** Start of the period, CloudWatch time (epoch ms). */
  readonly timestamp: number;
  /** The value, `undefined` when the period has no datapoint. */
  readonly value: number | undefined;
}

/** The outcome of one evaluation. */
export interface AlarmEvaluation {
  readonly alarmName: string;
  readonly logicalId: string;
  readonly state: AlarmState;
  /** Why, worded like CloudWatch's `StateReason`. */
  readonly reason: string;
  /** The evaluation time, CloudWatch time. */
  readonly evaluatedAt: number;
  /** Every period of the evaluation range, oldest first. */
  readonly datapoints: readonly AlarmDatapoint[];
  /** The real datapoints that were evaluated, oldest first. */
  readonly evaluated: readonly AlarmDatapoint[];
}

// CloudWatch fetches more periods than EvaluationPeriods (the "evaluation range") so that a
// few missing datapoints do not decide the state, and says the number depends on the period
// without publishing it. Two extra periods: a one-minute rollback alarm keeps looking at its
// last real datapoint for two minutes after its metric goes quiet, as CloudWatch's do.
const EXTRA_RANGE_PERIODS = 2;

const COMPARISONS: Record<
  ComparisonOperator,
  { test: (value: number, threshold: number) => boolean; words: string }
> = {
  GreaterThanOrEqualToThreshold: {
    test: (value, threshold) => value >= threshold,
    words: 'greater than or equal to',
  },
  GreaterThanThreshold: { test: (value, threshold) => value > threshold, words: 'greater than' },
  LessThanThreshold: { test: (value, threshold) => value < threshold, words: 'less than' },
  LessThanOrEqualToThreshold: {
    test: (value, threshold) => value <= threshold,
    words: 'less than or equal to',
  },
};

/** CloudWatch time of a wall-clock instant under `scale`. */
export const toCloudWatchTime = (wall: number, scale: TimeScale = {}): number => {
  const origin = scale.origin ?? 0;
  return origin + (wall - origin) * (scale.timeScale ?? 1);
};

/** The statistic of `stat` per period of the grid that starts at `rangeStart`. */
async function seriesOf(
  stat: MetricStat,
  source: MetricSource,
  grid: PeriodGrid,
  scale: TimeScale,
): Promise<Series> {
  const { metric } = stat;
  const stored = await source({
    namespace: metric.namespace,
    metricName: metric.metricName,
    dimensions: metric.dimensions,
  });
  return statisticSeries(stat, stored, grid, (timestamp) => toCloudWatchTime(timestamp, scale));
}

/** The series the alarm compares with its threshold, over the grid (also what a dashboard draws for it). */
export async function alarmSeries(
  alarm: AlarmDefinition,
  source: MetricSource,
  grid: PeriodGrid,
  scale: TimeScale,
): Promise<Series> {
  if (alarm.metric.kind === 'metric') return seriesOf(alarm.metric.metricStat, source, grid, scale);
  const { queries } = alarm.metric;
  const metrics = new Map<string, Series>();
  for (const query of queries) {
    if (query.metricStat) metrics.set(query.id, await seriesOf(query.metricStat, source, grid, scale));
  }
  const computing = new Set<string>();
  const series = (id: string): Series | undefined => {
    const known = metrics.get(id);
    if (known) return known;
    const query = queries.find((candidate) => candidate.id === id);
    if (query?.expression === undefined) return undefined;
    if (computing.has(id)) throw new Error(`alarm ${alarm.alarmName}: expression ${id} refers to itself`);
    computing.add(id);
    const result = evaluateMetricMath(query.expression, {
      series,
      size: grid.size,
      period: grid.periodMs / 1000,
    });
    metrics.set(id, result);
    return result;
  };
  const returned = queries.find((query) => query.returnData);
  return (returned && series(returned.id)) ?? [];
}

/** `12.5`, `1.0`: numbers as CloudWatch's state reasons print them. */
const formatValue = (value: number): string => (Number.isInteger(value) ? value.toFixed(1) : String(value));

/** `01/01/26 00:03:00` (dd/MM/yy HH:mm:ss, UTC), the date format of CloudWatch's state reasons. */
const formatTime = (timestamp: number): string => {
  const date = new Date(timestamp);
  const two = (value: number): string => String(value).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}/${two(date.getUTCMonth() + 1)}/${two(date.getUTCFullYear() % 100)} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}:${two(date.getUTCSeconds())}`
  );
};

const listed = (points: readonly AlarmDatapoint[]): string =>
  `[${[...points]
    .reverse()
    .map((point) => `${formatValue(point.value as number)} (${formatTime(point.timestamp)})`)
    .join(', ')}]`;

const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;

/** The state and reason from the datapoints of the evaluation range. */
function decide(
  alarm: AlarmDefinition,
  datapoints: readonly AlarmDatapoint[],
  previousState: AlarmState,
): Pick<AlarmEvaluation, 'state' | 'reason' | 'evaluated'> {
  const { evaluationPeriods: n, datapointsToAlarm: m, threshold } = alarm;
  const comparison = COMPARISONS[alarm.comparisonOperator];
  const namespaces =
    alarm.metric.kind === 'metric'
      ? [alarm.metric.metricStat.metric.namespace]
      : alarm.metric.queries.flatMap((query) => query.metricStat?.metric.namespace ?? []);
  const treatment: TreatMissingData = namespaces.includes('AWS/DynamoDB') ? 'ignore' : alarm.treatMissingData;

  const real = datapoints.filter((point) => point.value !== undefined);
  const evaluated = real.slice(-n);
  const filled = Math.max(0, n - evaluated.length);
  const thresholdText = `the threshold (${formatValue(threshold)})`;

  if (evaluated.length === 0 && (treatment === 'missing' || treatment === 'ignore')) {
    const none = `no datapoints were received for the last ${plural(datapoints.length, 'period')}`;
    return treatment === 'missing'
      ? { state: 'INSUFFICIENT_DATA', reason: `Insufficient Data: ${none}.`, evaluated }
      : { state: previousState, reason: `Unchanged: ${none} and missing data is ignored.`, evaluated };
  }
  const breaching = evaluated.filter((point) => comparison.test(point.value as number, threshold));
  const filledBreaching = treatment === 'breaching' ? filled : 0;
  const fills =
    filled > 0 && (treatment === 'breaching' || treatment === 'notBreaching')
      ? ` and ${plural(filled, 'missing datapoint')} ${filled === 1 ? 'was' : 'were'} treated as [${treatment === 'breaching' ? 'Breaching' : 'NonBreaching'}]`
      : '';
  const considered = evaluated.length + (fills ? filled : 0);
  const count = breaching.length + filledBreaching;
  const state: AlarmState = count >= m ? 'ALARM' : 'OK';

  if (evaluated.length === 0) {
    return {
      state,
      reason: `Threshold Crossed: no datapoints were received for ${plural(n, 'period')}${fills}.`,
      evaluated,
    };
  }
  const shown = breaching.length > 0 ? breaching : evaluated;
  const verb = shown.length === 1 ? 'was' : 'were';
  const words = breaching.length > 0 ? comparison.words : `not ${comparison.words}`;
  const subject =
    breaching.length > 0
      ? `${breaching.length} out of the last ${considered} datapoints`
      : plural(evaluated.length, 'datapoint');
  const needed =
    state === 'ALARM'
      ? ` (minimum ${plural(m, 'datapoint')} for OK -> ALARM transition)`
      : breaching.length > 0
        ? ` (minimum ${plural(m, 'datapoint')} for ALARM)`
        : '';
  return {
    state,
    reason: `Threshold Crossed: ${subject} ${listed(shown)} ${verb} ${words} ${thresholdText}${fills}${needed}.`,
    evaluated,
  };
}

/**
 * The alarm's state at `options.at` over the metrics `source` gives.
 *
 * @example
 * const alarms = readRollbackAlarms(template, sandboxResolver(template, { functionName: 'todos', version: '2', aliasName: 'live' }));
 * const result = await evaluateAlarm(alarms[0], (query) => store.query(query), { at: Date.now(), timeScale: 60, origin: start });
 * if (result.state === 'ALARM') console.log(result.reason);
 */
export async function evaluateAlarm(
  alarm: AlarmDefinition,
  source: MetricSource,
  options: EvaluationOptions,
): Promise<AlarmEvaluation> {
  const periodMs = alarmPeriod(alarm) * 1000;
  const evaluatedAt = toCloudWatchTime(options.at, options);
  const rangeEnd = Math.floor(evaluatedAt / periodMs) * periodMs;
  const size = alarm.evaluationPeriods + EXTRA_RANGE_PERIODS;
  const rangeStart = rangeEnd - size * periodMs;
  const series = await alarmSeries(alarm, source, { rangeStart, size, periodMs }, options);
  const datapoints = Array.from({ length: size }, (_, index) => ({
    timestamp: rangeStart + index * periodMs,
    value: series[index],
  }));
  const decision = decide(alarm, datapoints, options.previousState ?? 'INSUFFICIENT_DATA');
  return { alarmName: alarm.alarmName, logicalId: alarm.logicalId, evaluatedAt, datapoints, ...decision };
}
