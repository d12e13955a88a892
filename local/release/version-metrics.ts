/**
 * Reads what each version did from the metric store, for the timeline: the `AWS/Lambda` data of
 * invocations through the alias (they carry `ExecutedVersion`) and the handler's own count of
 * the 5xx it answered per version (`Requests` by `functionVersion` + `statusClass`).
 */
import { TODO_METRICS } from '../../functions/todos/metric-names';
import type { MetricStore, StoredMetric } from '../logs/metric-store';
import type { VersionMetrics } from './release-timeline';

const { functionVersion, statusClass, service } = TODO_METRICS.dimensions;

const total = (metric: StoredMetric): number =>
  metric.values.reduce((sum, value, index) => sum + value * (metric.counts[index] ?? 1), 0);

/** Reads the per-version metrics of `functionName` invoked through `alias`, from `sinceWall` (epoch ms) on. */
export async function readVersionMetrics(
  store: MetricStore,
  functionName: string,
  alias: string,
  sinceWall = 0,
): Promise<VersionMetrics> {
  const all = (await store.query()).filter((metric) => metric.timestamp >= sinceWall);
  const resource = `${functionName}:${alias}`;
  const lambda = all.filter(
    (metric) =>
      metric.namespace === 'AWS/Lambda' &&
      metric.dimensions.FunctionName === functionName &&
      metric.dimensions.Resource === resource &&
      metric.dimensions.ExecutedVersion !== undefined,
  );
  const serverErrors = all.flatMap((metric) => {
    const dimensions = Object.keys(metric.dimensions);
    const version = metric.dimensions[functionVersion];
    // The version + status class set only: each request is counted once in it.
    if (
      metric.metricName !== TODO_METRICS.requests ||
      metric.dimensions[statusClass] !== '5xx' ||
      version === undefined ||
      dimensions.length !== 3 ||
      !dimensions.includes(service)
    ) {
      return [];
    }
    return [{ timestamp: metric.timestamp, version, count: total(metric) }];
  });
  return { lambda, serverErrors };
}
