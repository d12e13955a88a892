/**
 * Request and response payload sizes, the request's outcome and the cold start
 * as EMF documents, serialized by Powertools Metrics (`serializeMetrics()`)
 * instead of printed, so the caller decides where they go: to the extension,
 * or to stdout when it is away.
 *
 * The outcome document is one data point of value 1 per invocation, made
 * whatever the trace sampling decision, so Sum counts requests exactly; it has
 * a document of its own because a Powertools document has one set of
 * dimension sets for all its metrics, and the outcome needs the function
 * version where the sizes do not.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';

/** Labels of one invocation that dimension sets may use. */
export interface PayloadLabels {
  /** The route (e.g. the API Gateway route key `GET /todos/{id}`, `$default` for unmatched paths). */
  readonly route: string;
  /** `2xx`…`5xx`. */
  readonly statusClass: string;
  /** The function version that served the request (`AWS_LAMBDA_FUNCTION_VERSION`, `$LATEST` when unset). */
  readonly functionVersion: string;
}

/** Dimension sets as lists of labels; Powertools adds `service` to each. */
type DimensionSets = readonly (readonly (keyof PayloadLabels)[])[];

/** What to emit and under which names. */
export interface PayloadMetricsOptions {
  /** Namespace when `POWERTOOLS_METRICS_NAMESPACE` is not set. */
  readonly defaultNamespace: string;
  /** Service dimension when `POWERTOOLS_SERVICE_NAME` is not set. */
  readonly defaultService: string;
  /** Metric name of the request body size in bytes. */
  readonly requestSizeMetric: string;
  /** Metric name of the response body size in bytes. */
  readonly responseSizeMetric: string;
  /** Metric name of the cold-start count. @default 'ColdStart' (as Powertools names it) */
  readonly coldStartMetric?: string;
  /**
   * The labels that make each dimension set of the size metrics (Powertools
   * adds `service` to each), e.g. `[['route'], ['route', 'statusClass']]`.
   * Both labels are bounded (route keys, status classes), so the sets cannot
   * explode CloudWatch's per-metric billing.
   */
  readonly dimensionSets: DimensionSets;
  /**
   * The request-outcome count: one data point of value 1 per invocation, in
   * its own document. With the sets `[['functionVersion'],
   * ['functionVersion', 'statusClass']]` an alarm selects all requests of one
   * version, and its 5xx, by dimensions alone. Versions are bounded by what
   * takes traffic (the stable one and a canary).
   * @default none
   */
  readonly outcome?: { readonly metric: string; readonly dimensionSets: DimensionSets };
  /** Dimension names of the labels. @default the label names: `route`, `statusClass`, `functionVersion` */
  readonly dimensionNames?: Readonly<Partial<Record<keyof PayloadLabels, string>>>;
}

/** One invocation's measurements. */
export interface PayloadSample extends PayloadLabels {
  readonly requestBytes: number;
  /** Absent when the handler threw and no response was formed. */
  readonly responseBytes?: number;
  readonly coldStart: boolean;
  /** X-Ray form of the trace id, so a metric can be followed to its trace. */
  readonly traceId?: string;
  readonly requestId: string;
  readonly functionName?: string;
}

// Overlapping dimension sets (`route` in both) are the point of the design, and
// their values are equal by construction; Powertools warns about each overlap on
// every invocation, which would only add a log line per request.
const OVERLAP_WARNING = /defined as both a dimension set and dimension set/;

const powertoolsLogger = {
  debug: (...content: unknown[]) => console.debug(...content),
  info: (...content: unknown[]) => console.info(...content),
  warn: (...content: unknown[]) => {
    if (!(typeof content[0] === 'string' && OVERLAP_WARNING.test(content[0]))) console.warn(...content);
  },
  error: (...content: unknown[]) => console.error(...content),
};

/** Makes the EMF documents of each invocation; the Powertools instance is created on first use. */
export class PayloadMetrics {
  #metrics?: Metrics;

  constructor(
    private readonly options: PayloadMetricsOptions,
    private readonly environment: {
      readonly namespace?: string;
      readonly service?: string;
      readonly disabled?: boolean;
    },
  ) {}

  /** The EMF documents (JSON text, one per document) for one invocation. */
  documents(sample: PayloadSample): string[] {
    if (this.environment.disabled) return [];
    this.#metrics ??= new Metrics({
      namespace: this.environment.namespace ?? this.options.defaultNamespace,
      serviceName: this.environment.service ?? this.options.defaultService,
      logger: powertoolsLogger,
    });
    const metrics = this.#metrics;
    const documents: string[] = [];
    if (sample.coldStart) {
      // Powertools' own cold-start document shape: its own dimension set
      // (service + function_name), so it does not multiply the size metrics.
      if (sample.functionName) metrics.addDimension('function_name', sample.functionName);
      metrics.addMetric(this.options.coldStartMetric ?? 'ColdStart', MetricUnit.Count, 1);
      documents.push(this.#serialize(metrics, sample));
    }
    this.#addDimensionSets(metrics, this.options.dimensionSets, sample);
    metrics.addMetric(this.options.requestSizeMetric, MetricUnit.Bytes, sample.requestBytes);
    if (sample.responseBytes !== undefined) {
      metrics.addMetric(this.options.responseSizeMetric, MetricUnit.Bytes, sample.responseBytes);
    }
    documents.push(this.#serialize(metrics, sample));
    const outcome = this.options.outcome;
    if (outcome) {
      this.#addDimensionSets(metrics, outcome.dimensionSets, sample);
      metrics.addMetric(outcome.metric, MetricUnit.Count, 1);
      documents.push(this.#serialize(metrics, sample));
    }
    return documents;
  }

  #addDimensionSets(metrics: Metrics, sets: DimensionSets, sample: PayloadSample): void {
    for (const labels of sets) {
      const dimensions: Record<string, string> = {};
      for (const label of labels) dimensions[this.options.dimensionNames?.[label] ?? label] = sample[label];
      metrics.addDimensions(dimensions);
    }
  }

  #serialize(metrics: Metrics, sample: PayloadSample): string {
    try {
      if (sample.traceId) metrics.addMetadata('traceId', sample.traceId);
      metrics.addMetadata('requestId', sample.requestId);
      return JSON.stringify(metrics.serializeMetrics());
    } finally {
      metrics.clearMetrics();
      metrics.clearDimensions();
      metrics.clearMetadata();
    }
  }
}
