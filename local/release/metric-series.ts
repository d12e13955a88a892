/**
 * One metric's statistic per period of a clock-aligned grid, as CloudWatch computes it for
 * alarms and graphs alike: a datum belongs to the period of its timestamp, a metric matches on
 * namespace, name and the exact dimension set, and a period's value is the statistic over its
 * data (`alarm-statistics.ts`), `undefined` when the period holds none.
 */
import type { ExtractedMetric } from '../logs/emf';
import type { MetricStat } from './alarm-definitions';
import { parseStatistic } from './alarm-statistics';
import type { Series } from './metric-math';

/** Periods of `periodMs` starting at `rangeStart` (CloudWatch time, epoch ms). */
export interface PeriodGrid {
  readonly rangeStart: number;
  readonly size: number;
  readonly periodMs: number;
}

/** Whether two dimension sets are the same set with the same values. */
const sameDimensions = (
  a: Readonly<Record<string, string>>,
  b: Readonly<Record<string, string>>,
): boolean => {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => a[key] === b[key]);
};

/**
 * The statistic of `stat` per period of `grid` over `stored` (which may hold other metrics:
 * only exact matches count). `cloudWatchTime` maps a stored timestamp to the grid's clock.
 */
export function statisticSeries(
  stat: MetricStat,
  stored: readonly ExtractedMetric[],
  grid: PeriodGrid,
  cloudWatchTime: (timestamp: number) => number,
): Series {
  const { metric } = stat;
  const statistic = parseStatistic(stat.stat);
  const buckets: ExtractedMetric[][] = Array.from({ length: grid.size }, () => []);
  for (const datum of stored) {
    if (datum.namespace !== metric.namespace || datum.metricName !== metric.metricName) continue;
    if (!sameDimensions(datum.dimensions, metric.dimensions)) continue;
    if (stat.unit !== undefined && datum.unit !== stat.unit) continue;
    const index = Math.floor((cloudWatchTime(datum.timestamp) - grid.rangeStart) / grid.periodMs);
    buckets[index]?.push(datum);
  }
  return buckets.map((data) => (data.length === 0 ? undefined : statistic(data)));
}
