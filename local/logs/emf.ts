/**
 * Extraction of CloudWatch metrics from embedded-metric-format (EMF) log events, following the
 * EMF specification as CloudWatch Logs applies it: a log event that is a JSON object with an
 * `_aws` member holding `Timestamp` and `CloudWatchMetrics` directives becomes one metric datum
 * per (directive, dimension set, metric). Anything invalid stays an ordinary log line.
 */

/** One metric datum as CloudWatch would store it (the shape of `PutMetricData`'s `Values`/`Counts`). */
export interface ExtractedMetric {
  /** `_aws.Timestamp`, epoch milliseconds. */
  timestamp: number;
  namespace: string;
  metricName: string;
  /** Dimension name → value, for one dimension set of the directive. */
  dimensions: Record<string, string>;
  unit: string;
  /** 1 (high resolution) or 60. */
  storageResolution: number;
  /** Distinct values, in order of first appearance. */
  values: number[];
  /** How often each of `values` occurred. */
  counts: number[];
}

// Limits of the EMF specification.
const MAX_DIMENSIONS_PER_SET = 30;
const MAX_METRICS_PER_DIRECTIVE = 100;
const MAX_VALUES_PER_METRIC = 100;
// CloudWatch drops data points more than two weeks old or more than two hours in the future.
const MAX_AGE_MS = 14 * 24 * 3600 * 1000;
const MAX_FUTURE_MS = 2 * 3600 * 1000;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Parses a log event into an EMF document; `undefined` when it is not one. */
export function parseEmfDocument(message: string): Record<string, unknown> | undefined {
  const text = message.trim();
  if (!text.startsWith('{') || !text.includes('"_aws"')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return isRecord(value) && isRecord(value._aws) ? value : undefined;
  } catch {
    return undefined;
  }
}

function metricValues(value: unknown): number[] | undefined {
  const values = Array.isArray(value) ? value : [value];
  if (values.length === 0 || values.length > MAX_VALUES_PER_METRIC) return undefined;
  return values.every((item) => typeof item === 'number' && Number.isFinite(item))
    ? (values as number[])
    : undefined;
}

function valuesAndCounts(values: readonly number[]): { values: number[]; counts: number[] } {
  const counts = new Map<number, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return { values: [...counts.keys()], counts: [...counts.values()] };
}

/**
 * The metrics CloudWatch would extract from one log event: empty when the event is not EMF or
 * breaks the specification (CloudWatch then keeps it as a log line only).
 */
export function extractEmfMetrics(message: string, now: number = Date.now()): ExtractedMetric[] {
  const document = parseEmfDocument(message);
  if (!document) return [];
  const aws = document._aws as Record<string, unknown>;
  const timestamp = aws.Timestamp;
  if (typeof timestamp !== 'number' || !Number.isFinite(timestamp)) return [];
  if (timestamp < now - MAX_AGE_MS || timestamp > now + MAX_FUTURE_MS) return [];
  const directives = aws.CloudWatchMetrics;
  if (!Array.isArray(directives)) return [];

  const extracted: ExtractedMetric[] = [];
  for (const directive of directives) {
    if (!isRecord(directive)) return [];
    const { Namespace: namespace, Dimensions: dimensionSets, Metrics: metrics } = directive;
    if (typeof namespace !== 'string' || namespace.length === 0) return [];
    if (!Array.isArray(dimensionSets) || !Array.isArray(metrics)) return [];
    if (metrics.length > MAX_METRICS_PER_DIRECTIVE) return [];

    const sets: Record<string, string>[] = [];
    for (const set of dimensionSets.length === 0 ? [[]] : dimensionSets) {
      if (!Array.isArray(set) || set.length > MAX_DIMENSIONS_PER_SET) return [];
      const dimensions: Record<string, string> = {};
      for (const name of set) {
        const value = typeof name === 'string' ? document[name] : undefined;
        if (typeof value !== 'string') return [];
        dimensions[name as string] = value;
      }
      sets.push(dimensions);
    }

    for (const metric of metrics) {
      if (!isRecord(metric) || typeof metric.Name !== 'string') return [];
      const values = metricValues(document[metric.Name]);
      if (!values) return [];
      const unit = typeof metric.Unit === 'string' ? metric.Unit : 'None';
      const storageResolution = metric.StorageResolution === 1 ? 1 : 60;
      for (const dimensions of sets) {
        extracted.push({
          timestamp,
          namespace,
          metricName: metric.Name,
          dimensions,
          unit,
          storageResolution,
          ...valuesAndCounts(values),
        });
      }
    }
  }
  return extracted;
}
