/**
 * What CloudWatch stores from a set of EMF documents, written independently of the
 * extension's parser so that it can judge it: every directive × dimension set × metric
 * definition yields one sample per value, filed under (namespace, metric name, unit,
 * storage resolution, dimension name/value pairs) and the period of the document's
 * timestamp (a minute, or a second for `StorageResolution: 1`).
 */

/** The statistics of one metric in one period, plus its values for percentiles. */
export interface PeriodStatistics {
  readonly sampleCount: number;
  readonly sum: number;
  readonly min: number;
  readonly max: number;
  /** Sorted ascending: equal multisets give equal arrays, and so equal percentiles. */
  readonly values: readonly number[];
}

interface Directive {
  Namespace: string;
  Dimensions: string[][];
  Metrics: { Name: string; Unit?: string; StorageResolution?: number }[];
}

/** Statistics per series key (a JSON string naming metric, dimensions and period start). */
export function cloudWatchStatistics(lines: readonly string[]): Map<string, PeriodStatistics> {
  const samples = new Map<string, number[]>();
  for (const line of lines) {
    const document = JSON.parse(line) as Record<string, unknown> & {
      _aws: { Timestamp: number; CloudWatchMetrics: Directive[] };
    };
    for (const directive of document._aws.CloudWatchMetrics) {
      for (const dimensionSet of directive.Dimensions) {
        const dimensions = dimensionSet
          .map((name) => [name, document[name] as string] as const)
          .sort((a, b) => (a[0] < b[0] ? -1 : 1));
        for (const metric of directive.Metrics) {
          const resolution = metric.StorageResolution ?? 60;
          const periodMs = resolution === 1 ? 1_000 : 60_000;
          const periodStart = Math.floor(document._aws.Timestamp / periodMs) * periodMs;
          const key = JSON.stringify([
            directive.Namespace,
            metric.Name,
            metric.Unit ?? 'None',
            resolution,
            dimensions,
            periodStart,
          ]);
          const target = document[metric.Name] as number | number[];
          const values = Array.isArray(target) ? target : [target];
          let list = samples.get(key);
          if (list === undefined) {
            list = [];
            samples.set(key, list);
          }
          // -0 and 0 are the same sample to CloudWatch (and JSON writes -0 as 0).
          for (const value of values) list.push(value === 0 ? 0 : value);
        }
      }
    }
  }
  const statistics = new Map<string, PeriodStatistics>();
  for (const [key, values] of samples) {
    const sorted = [...values].sort((a, b) => a - b);
    // Summing the sorted multiset makes the sum independent of arrival order, so that two
    // equal multisets give bit-identical sums.
    statistics.set(key, {
      sampleCount: sorted.length,
      sum: sorted.reduce((total, value) => total + value, 0),
      min: sorted[0]!,
      max: sorted[sorted.length - 1]!,
      values: sorted,
    });
  }
  return statistics;
}
