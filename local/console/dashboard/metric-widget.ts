/**
 * Metric widgets (graphs, single values, alarm widgets) computed over the local metric store
 * with the code the alarms use: per-period statistics from `metric-series.ts`, metric math from
 * `metric-math.ts`, standalone SEARCH from `metric-search.ts`.
 *
 * Periods: a widget's grid is clock-aligned on the CloudWatch clock and uses the widget's period
 * (else its first line's, else CloudWatch's 300 s), raised as CloudWatch does when the range
 * would hold more than {@link MAX_POINTS} of them. Every line is computed on that one grid.
 * Timestamps in the view are period starts mapped back to the wall clock, so they lie in the
 * requested range even under a time scale; `periodSec` stays in CloudWatch seconds.
 */

import type { ExtractedMetric } from '../../logs/emf';
import type { AlarmDefinition } from '../../release/alarm-definitions';
import {
  alarmSeries,
  type MetricSource,
  type TimeScale,
  toCloudWatchTime,
} from '../../release/alarm-evaluator';
import { evaluateMetricMath, type Series } from '../../release/metric-math';
import { type PeriodGrid, statisticSeries } from '../../release/metric-series';
import type { SeriesView, ThresholdView, TimeRange, Unavailable } from '../console-api';
import { parseSearch, searchMetrics, usesSearch } from './metric-search';
import type { WidgetLine } from './widget-metrics';

/** CloudWatch raises a graph's period so that no line has more points than this. */
const MAX_POINTS = 1440;
/** CloudWatch's period when neither the widget nor its metrics set one. */
const DEFAULT_PERIOD_SEC = 300;
/** CloudWatch's statistic when neither the widget nor the metric sets one. */
const DEFAULT_STAT = 'Average';
/** Periods CloudWatch moves up to when a range holds too many points, in seconds. */
const COARSER_PERIODS = [60, 300, 900, 3600, 21_600, 86_400];

/** What a widget reads the store through; one render shares it so each namespace is read once. */
export interface MetricReader {
  /** One stored datum of every metric (name and dimension set) of the namespace; empty when nothing local writes it. */
  readonly identities: (namespace: string) => Promise<readonly ExtractedMetric[]>;
  /** The stored data of one metric: namespace, name and exact dimension set. */
  readonly metric: (
    namespace: string,
    metricName: string,
    dimensions: Readonly<Record<string, string>>,
  ) => Promise<readonly ExtractedMetric[]>;
  readonly scale: TimeScale;
}

/**
 * A reader for one render. The store is JSON-lines files read in full on every query, one file
 * per namespace, and a dashboard names dozens of metrics in a handful of namespaces: each
 * namespace is read once per render, grouped by metric name, and every metric, search and alarm
 * of the render reads that copy.
 */
export function metricReader(source: MetricSource, scale: TimeScale): MetricReader {
  type Grouped = ReadonlyMap<string, ReadonlyMap<string, readonly ExtractedMetric[]>>;
  const grouped = new Map<string, Promise<Grouped>>();
  const identities = new Map<string, Promise<readonly ExtractedMetric[]>>();
  const empty: readonly ExtractedMetric[] = [];
  // Grouped by metric name and exact dimension set: a line then filters only its own data,
  // which keeps a render proportional to the store rather than to store × lines.
  const byName = (namespace: string): Promise<Grouped> => {
    let data = grouped.get(namespace);
    if (!data) {
      data = Promise.resolve(source({ namespace })).then((stored) => {
        const names = new Map<string, Map<string, ExtractedMetric[]>>();
        for (const datum of stored) {
          let sets = names.get(datum.metricName);
          if (!sets) {
            sets = new Map();
            names.set(datum.metricName, sets);
          }
          const key = dimensionKey(datum.dimensions);
          const list = sets.get(key);
          if (list) list.push(datum);
          else sets.set(key, [datum]);
        }
        return names;
      });
      grouped.set(namespace, data);
    }
    return data;
  };
  return {
    scale,
    identities: (namespace) => {
      let data = identities.get(namespace);
      if (!data) {
        data = byName(namespace).then((names) =>
          [...names.values()].flatMap((sets) => [...sets.values()].flatMap((data) => data[0] ?? [])),
        );
        identities.set(namespace, data);
      }
      return data;
    },
    metric: async (namespace, metricName, dimensions) =>
      (await byName(namespace)).get(metricName)?.get(dimensionKey(dimensions)) ?? empty,
  };
}

/** The reader as the alarm evaluator's {@link MetricSource}: it always asks for one metric, dimensions exact. */
export const readerSource =
  (reader: MetricReader): MetricSource =>
  (query) =>
    reader.metric(query.namespace ?? '', query.metricName ?? '', query.dimensions ?? {});

/** A computed widget grid. */
export interface WidgetGrid extends PeriodGrid {
  readonly periodSec: number;
  /** Period starts, wall clock. */
  readonly timestamps: readonly number[];
}

const toWall = (cloudWatch: number, scale: TimeScale): number => {
  const origin = scale.origin ?? 0;
  return origin + (cloudWatch - origin) / (scale.timeScale ?? 1);
};

/** The clock-aligned grid over `range` for `periodSec`, raised to keep at most {@link MAX_POINTS}. */
export function widgetGrid(range: TimeRange, periodSec: number, scale: TimeScale): WidgetGrid {
  const from = toCloudWatchTime(range.from, scale);
  const to = toCloudWatchTime(range.to, scale);
  const points = (period: number): number =>
    Math.floor(to / (period * 1000)) - Math.floor(from / (period * 1000)) + 1;
  let period = periodSec;
  if (points(period) > MAX_POINTS) {
    period =
      COARSER_PERIODS.find((candidate) => candidate > periodSec && points(candidate) <= MAX_POINTS) ??
      Math.ceil((to - from) / 1000 / MAX_POINTS / 86_400 + 1) * 86_400;
  }
  const periodMs = period * 1000;
  const rangeStart = Math.floor(from / periodMs) * periodMs;
  const size = Math.max(1, points(period));
  return {
    rangeStart,
    size,
    periodMs,
    periodSec: period,
    timestamps: Array.from({ length: size }, (_, index) => toWall(rangeStart + index * periodMs, scale)),
  };
}

/** One key per dimension set, whatever the order of its names. */
const dimensionKey = (dimensions: Readonly<Record<string, string>>): string => {
  const names = Object.keys(dimensions);
  if (names.length > 1) names.sort();
  // NUL and SOH cannot appear in CloudWatch dimension names or values.
  return names.map((name) => `${name}\u0000${dimensions[name]}`).join('\u0001');
};

const view = (series: Series): (number | null)[] => series.map((value) => value ?? null);

const NOT_LOCAL =
  'no datum of this namespace is in the local metric store: nothing running locally writes it';

/** The lines of a metric widget, hidden ones computed for the expressions that use them. */
export async function metricLines(
  lines: readonly WidgetLine[],
  defaults: { readonly stat?: string },
  grid: WidgetGrid,
  reader: MetricReader,
): Promise<{ series: SeriesView[]; unavailable: Unavailable[] }> {
  const unavailable: Unavailable[] = [];
  const byId = new Map<string, Series>();
  const expressions = new Map<string, string>();
  const shown: {
    line: WidgetLine;
    id: string;
    compute: () => Promise<{ label: string; points: Series }[]>;
  }[] = [];
  const toGrid = (timestamp: number): number => toCloudWatchTime(timestamp, reader.scale);

  const metricSeries = async (line: Extract<WidgetLine, { kind: 'metric' }>): Promise<Series> => {
    if ((await reader.identities(line.namespace)).length === 0)
      unavailable.push({ what: `${line.namespace} ${line.metricName}`, reason: NOT_LOCAL });
    const stored = await reader.metric(line.namespace, line.metricName, line.dimensions);
    const stat = {
      metric: line,
      period: grid.periodSec,
      stat: line.options.stat ?? defaults.stat ?? DEFAULT_STAT,
    };
    return statisticSeries(stat, stored, grid, toGrid);
  };
  const computing = new Set<string>();
  const expressionSeries = (id: string): Series | undefined => {
    const known = byId.get(id);
    if (known) return known;
    const expression = expressions.get(id);
    if (expression === undefined || usesSearch(expression) || computing.has(id)) return undefined;
    computing.add(id);
    const result = evaluateMetricMath(expression, {
      series: expressionSeries,
      size: grid.size,
      period: grid.periodSec,
    });
    byId.set(id, result);
    return result;
  };

  for (const [index, line] of lines.entries()) {
    const id = line.options.id ?? `line${index}`;
    if (line.kind === 'metric') {
      const points = await metricSeries(line);
      byId.set(id, points);
      if (line.options.visible)
        shown.push({
          line,
          id,
          compute: async () => [{ label: line.options.label ?? line.metricName, points }],
        });
      continue;
    }
    expressions.set(id, line.expression);
    if (!line.options.visible) continue;
    const label = line.options.label ?? line.options.id ?? line.expression;
    shown.push({
      line,
      id,
      compute: async () => {
        if (!usesSearch(line.expression)) return [{ label, points: expressionSeries(id) ?? [] }];
        const search = parseSearch(line.expression);
        const stored = await reader.identities(search.namespace);
        if (stored.length === 0) unavailable.push({ what: line.expression, reason: NOT_LOCAL });
        const prefix = line.options.label ? `${line.options.label} ` : '';
        return Promise.all(
          searchMetrics(search, stored).map(async (found) => ({
            label: `${prefix}${found.label}`,
            points: statisticSeries(
              {
                metric: { namespace: search.namespace, ...found },
                period: grid.periodSec,
                stat: search.stat,
              },
              await reader.metric(search.namespace, found.metricName, found.dimensions),
              grid,
              toGrid,
            ),
          })),
        );
      },
    });
  }

  const series: SeriesView[] = [];
  for (const { line, compute } of shown) {
    try {
      for (const { label, points } of await compute()) {
        series.push({
          label,
          values: view(
            points.length === grid.size ? points : Array.from({ length: grid.size }, () => undefined),
          ),
          ...(line.options.color ? { color: line.options.color } : {}),
          ...(line.options.yAxis ? { yAxis: line.options.yAxis } : {}),
        });
      }
    } catch (error) {
      unavailable.push({
        what: line.kind === 'expression' ? line.expression : `${line.namespace} ${line.metricName}`,
        reason: (error as Error).message,
      });
    }
  }
  return { series, unavailable };
}

/** The period of a widget: its own, else its first line's, else CloudWatch's default. */
export const widgetPeriod = (
  properties: Readonly<Record<string, unknown>>,
  lines: readonly WidgetLine[],
): number => {
  if (typeof properties.period === 'number') return properties.period;
  return lines.find((line) => line.options.period !== undefined)?.options.period ?? DEFAULT_PERIOD_SEC;
};

/** `annotations.horizontal` of a body: single lines and both ends of bands. */
export const horizontalAnnotations = (annotations: unknown): ThresholdView[] => {
  const horizontal = (annotations as { horizontal?: unknown } | undefined)?.horizontal;
  if (!Array.isArray(horizontal)) return [];
  return horizontal.flatMap((entry: unknown) =>
    (Array.isArray(entry) ? entry : [entry]).flatMap((item: { value?: unknown; label?: unknown }) =>
      typeof item?.value === 'number'
        ? [{ label: typeof item.label === 'string' ? item.label : '', value: item.value }]
        : [],
    ),
  );
};

/** The series an alarm compares with its threshold, over the widget's range, on the alarm's period. */
export async function alarmLine(
  alarm: AlarmDefinition,
  range: TimeRange,
  periodSec: number,
  reader: MetricReader,
): Promise<{ grid: WidgetGrid; series: SeriesView; unavailable: Unavailable[] }> {
  const grid = widgetGrid(range, periodSec, reader.scale);
  const namespaces =
    alarm.metric.kind === 'metric'
      ? [alarm.metric.metricStat.metric.namespace]
      : alarm.metric.queries.flatMap((query) => query.metricStat?.metric.namespace ?? []);
  const unavailable: Unavailable[] = [];
  for (const namespace of new Set(namespaces)) {
    if ((await reader.identities(namespace)).length === 0)
      unavailable.push({ what: namespace, reason: NOT_LOCAL });
  }
  const points = await alarmSeries(alarm, readerSource(reader), grid, reader.scale);
  const returned =
    alarm.metric.kind === 'math' ? alarm.metric.queries.find((query) => query.returnData) : undefined;
  const label =
    returned?.label ??
    (alarm.metric.kind === 'metric' ? alarm.metric.metricStat.metric.metricName : alarm.alarmName);
  return { grid, series: { label, values: view(points) }, unavailable };
}
