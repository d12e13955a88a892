/**
 * The data points an AWS service publishes about itself (Lambda, API Gateway, DynamoDB), as the
 * sandbox records them in the {@link MetricStore}: one value each, standard resolution, written
 * in batches. One write per burst instead of a dozen per request keeps the store off the front
 * door's event loop, and 50 ms is far below any alarm period, time-scaled ones included.
 */
import type { MetricStore, StoredMetric } from './metric-store';

/** The services' metrics are standard resolution. */
const STORAGE_RESOLUTION = 60;
const WRITE_BATCH_MS = 50;

/** Where a datum came from; a service's own metrics have no log group or stream. */
interface Origin {
  readonly logGroup: string;
  readonly logStream: string;
}

const PUBLISHED_BY_THE_SERVICE: Origin = { logGroup: '', logStream: '' };

/** Batches one namespace's data points into the store. */
export class ServiceMetricWriter {
  private batch: StoredMetric[] = [];
  private batchTimer: NodeJS.Timeout | undefined;

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
      this.batch.push({
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
    if (this.batchTimer) return;
    this.batchTimer = setTimeout(() => void this.flush(), WRITE_BATCH_MS);
    this.batchTimer.unref();
  }

  /** Writes the data points not written yet; the store's `flush` then covers them. */
  flush(): Promise<void> {
    clearTimeout(this.batchTimer);
    this.batchTimer = undefined;
    const batch = this.batch;
    this.batch = [];
    // A failed write is the store's to count; what the data describe went on regardless.
    return this.store.add(batch).catch(() => undefined);
  }
}
