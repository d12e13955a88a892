/**
 * The data points an AWS service publishes about itself (Lambda, API Gateway, DynamoDB), as the
 * sandbox records them in the {@link MetricStore}: one value each, standard resolution, written
 * in batches ({@link WriteBatch}) rather than a dozen writes per request.
 */
import type { MetricStore, StoredMetric } from './metric-store';
import { WriteBatch } from './write-batch';

/** The services' metrics are standard resolution. */
const STORAGE_RESOLUTION = 60;

/** Where a datum came from; a service's own metrics have no log group or stream. */
interface Origin {
  readonly logGroup: string;
  readonly logStream: string;
}

const PUBLISHED_BY_THE_SERVICE: Origin = { logGroup: '', logStream: '' };

/** Batches one namespace's data points into the store. */
export class ServiceMetricWriter {
  // A failed write is the store's to count; what the data describe went on regardless.
  private readonly batch = new WriteBatch<StoredMetric>((metrics) =>
    this.store.add(metrics).catch(() => undefined),
  );

  constructor(
    private readonly store: MetricStore,
    private readonly namespace: string,
  ) {}

  /** One value of `metricName` under each dimension set, at `timestamp` (epoch ms). */
  record(
    timestamp: number,
    metricName: string,
    unit: string,
    value: number,
    dimensionSets: readonly Readonly<Record<string, string>>[],
    origin: Origin = PUBLISHED_BY_THE_SERVICE,
  ): void {
    for (const dimensions of dimensionSets) {
      this.batch.add({
        timestamp,
        namespace: this.namespace,
        metricName,
        dimensions: { ...dimensions },
        unit,
        storageResolution: STORAGE_RESOLUTION,
        values: [value],
        counts: [1],
        ...origin,
      });
    }
  }

  /** Writes the data points not written yet; the store's `flush` then covers them. */
  flush(): Promise<void> {
    return this.batch.flush();
  }
}
