/**
 * Request and response payload sizes, the request's outcome and the cold start
 * as EMF documents, serialized by Powertools Metrics (`serializeMetrics()`)
 * instead of printed, so the caller decides where they go: to the extension,
 * or to stdout when it is away.
 *
 * The outcome is one data point of value 1 per invocation, made whatever the
 * trace sampling decision, so Sum counts requests exactly. It needs the
 * function version where the sizes do not, and a Powertools document has one
 * directive (one list of dimension sets for all its metrics), so Powertools
 * serializes the two apart; the invocation's document then carries both
 * directives, which the EMF specification allows (`CloudWatchMetrics` is a
 * list, each directive with its own dimension sets and metrics) and which
 * CloudWatch extracts exactly as it would the two documents.
 *
 * Powertools' per-call work (validation, dimension bookkeeping, environment
 * reads in its stores) depends only on the invocation's labels, a bounded set.
 * So Powertools serializes each distinct set of labels once, and every later
 * invocation with those labels reuses that document's text with its own
 * timestamp, values, trace id and request id written in.
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
   * its own directive. With the sets `[['functionVersion'],
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

/**
 * The text of one label set's document around its per-invocation parts, as Powertools
 * serialized it: `{"_aws":{"Timestamp":` + time + `directives` + metadata + `dimensions` +
 * the metric values.
 */
interface DocumentTemplate {
  /** `,"CloudWatchMetrics":[…]}`: every directive, closing `_aws`. */
  readonly directives: string;
  /** `,"service":"…",…`: every dimension member. */
  readonly dimensions: string;
}

// Distinct label sets are bounded by the options' contract (routes, status classes, one
// version per process); the cap keeps memory bounded even if a caller breaks it.
const MAX_TEMPLATES = 256;

/** Makes the EMF documents of each invocation; the Powertools instance is created on first use. */
export class PayloadMetrics {
  #metrics?: Metrics;
  readonly #templates = new Map<string, DocumentTemplate>();
  readonly #requestSize: string;
  readonly #responseSize: string;
  readonly #outcome: string;

  constructor(
    private readonly options: PayloadMetricsOptions,
    private readonly environment: {
      readonly namespace?: string;
      readonly service?: string;
      readonly disabled?: boolean;
    },
  ) {
    this.#requestSize = `,${JSON.stringify(options.requestSizeMetric)}:`;
    this.#responseSize = `,${JSON.stringify(options.responseSizeMetric)}:`;
    this.#outcome = options.outcome ? `,${JSON.stringify(options.outcome.metric)}:1` : '';
  }

  /** The EMF documents (JSON text, one per document) for one invocation. */
  documents(sample: PayloadSample): string[] {
    if (this.environment.disabled) return [];
    const documents: string[] = [];
    if (sample.coldStart) documents.push(this.#coldStart(sample));
    documents.push(this.#invocation(sample));
    return documents;
  }

  #powertools(): Metrics {
    this.#metrics ??= new Metrics({
      namespace: this.environment.namespace ?? this.options.defaultNamespace,
      serviceName: this.environment.service ?? this.options.defaultService,
      logger: powertoolsLogger,
    });
    return this.#metrics;
  }

  /** Powertools' own cold-start document shape: its own dimension set (service + function_name), so it does not multiply the size metrics. */
  #coldStart(sample: PayloadSample): string {
    const metrics = this.#powertools();
    if (sample.functionName) metrics.addDimension('function_name', sample.functionName);
    metrics.addMetric(this.options.coldStartMetric ?? 'ColdStart', MetricUnit.Count, 1);
    return JSON.stringify(this.#serialize(metrics, sample));
  }

  /** Sizes and outcome of one invocation, in one document with a directive each. */
  #invocation(sample: PayloadSample): string {
    const { requestBytes, responseBytes } = sample;
    // Values are written into the text as they are, so only what JSON and CloudWatch can hold.
    if (!Number.isFinite(requestBytes) || (responseBytes !== undefined && !Number.isFinite(responseBytes))) {
      throw new RangeError(`payload sizes must be finite numbers, got ${requestBytes} and ${responseBytes}`);
    }
    const key = `${sample.route}\u0000${sample.statusClass}\u0000${sample.functionVersion}\u0000${responseBytes === undefined}`;
    let template = this.#templates.get(key);
    if (!template) {
      template = this.#template(sample);
      if (this.#templates.size >= MAX_TEMPLATES) this.#templates.clear();
      this.#templates.set(key, template);
    }
    const metadata = !sample.traceId
      ? `,"requestId":${JSON.stringify(sample.requestId)}`
      : `,"traceId":${JSON.stringify(sample.traceId)},"requestId":${JSON.stringify(sample.requestId)}`;
    const sizes =
      responseBytes === undefined
        ? `${this.#requestSize}${requestBytes}`
        : `${this.#requestSize}${requestBytes}${this.#responseSize}${responseBytes}`;
    return `{"_aws":{"Timestamp":${Date.now()}${template.directives}${metadata}${template.dimensions}${sizes}${this.#outcome}}`;
  }

  /** Has Powertools serialize the sizes and the outcome of `sample`, and keeps the parts every invocation with its labels shares. */
  #template(sample: PayloadSample): DocumentTemplate {
    const metrics = this.#powertools();
    this.#addDimensionSets(metrics, this.options.dimensionSets, sample);
    metrics.addMetric(this.options.requestSizeMetric, MetricUnit.Bytes, sample.requestBytes);
    if (sample.responseBytes !== undefined) {
      metrics.addMetric(this.options.responseSizeMetric, MetricUnit.Bytes, sample.responseBytes);
    }
    const serialized = [this.#serialize(metrics)];
    const outcome = this.options.outcome;
    if (outcome) {
      this.#addDimensionSets(metrics, outcome.dimensionSets, sample);
      metrics.addMetric(outcome.metric, MetricUnit.Count, 1);
      serialized.push(this.#serialize(metrics));
    }
    const directives: unknown[] = [];
    const metricNames = new Set<string>();
    const dimensions = new Map<string, unknown>();
    for (const { _aws, ...members } of serialized) {
      for (const directive of _aws.CloudWatchMetrics) {
        directives.push(directive);
        for (const metric of directive.Metrics) metricNames.add(metric.Name);
      }
      for (const [name, value] of Object.entries(members))
        if (!dimensions.has(name)) dimensions.set(name, value);
    }
    let members = '';
    for (const [name, value] of dimensions) {
      if (!metricNames.has(name)) members += `,${JSON.stringify(name)}:${JSON.stringify(value)}`;
    }
    return { directives: `,"CloudWatchMetrics":${JSON.stringify(directives)}}`, dimensions: members };
  }

  #addDimensionSets(metrics: Metrics, sets: DimensionSets, sample: PayloadSample): void {
    for (const labels of sets) {
      const dimensions: Record<string, string> = {};
      for (const label of labels) dimensions[this.options.dimensionNames?.[label] ?? label] = sample[label];
      metrics.addDimensions(dimensions);
    }
  }

  /** Powertools' document of what `metrics` holds, with `sample`'s trace and request ids when given; clears `metrics`. */
  #serialize(metrics: Metrics, sample?: PayloadSample): ReturnType<Metrics['serializeMetrics']> {
    try {
      if (sample?.traceId) metrics.addMetadata('traceId', sample.traceId);
      if (sample) metrics.addMetadata('requestId', sample.requestId);
      return metrics.serializeMetrics();
    } finally {
      metrics.clearMetrics();
      metrics.clearDimensions();
      metrics.clearMetadata();
    }
  }
}
