/**
 * Names of the metrics the todo handler emits (EMF through Powertools Metrics).
 * The dashboards and alarms refer to these same constants, so a rename cannot
 * leave a widget pointing at a metric nobody writes.
 */
export const TODO_METRICS = {
  /** Default namespace when `POWERTOOLS_METRICS_NAMESPACE` is not set. */
  defaultNamespace: 'TodoApi',
  /** Default service when `POWERTOOLS_SERVICE_NAME` is not set. */
  defaultService: 'todos',
  /** Request body size in bytes (after base64 decoding). Unit: Bytes. */
  requestSize: 'RequestPayloadSize',
  /** Response body size in bytes. Unit: Bytes. */
  responseSize: 'ResponsePayloadSize',
  /** Powertools' own cold-start count (dimension `function_name`). */
  coldStart: 'ColdStart',
  /**
   * Requests, one data point of value 1 per invocation whatever the trace sampling, in a
   * directive of its own (in the invocation's one document). Unit: Count. Sum = requests;
   * what the rollback alarm reads. A handler
   * that threw counts under `5xx` (API Gateway answers 502); a timeout or crash emits nothing
   * (Lambda's `Errors` covers those). Dimension sets, each with `service`:
   * - `functionVersion`: all requests of one version (the alarm's denominator);
   * - `functionVersion` + `statusClass`: its 2xx / 4xx / 5xx (the alarm's numerator);
   * - `route` + `statusClass`: outcomes per route, all versions together.
   * Cardinality: versions that take traffic (stable and canary; a retired one stops emitting) ×
   * status classes (a handful) + route keys (six and `$default`) × status classes.
   */
  requests: 'Requests',
  /**
   * Dimension sets of the size metrics: `service` + `route` (the route key, a bounded set of six)
   * and `service` + `route` + `statusClass` (`2xx`…`5xx`). Bounded by construction: unknown
   * paths are reported under the route `$default`. `functionVersion` is
   * `AWS_LAMBDA_FUNCTION_VERSION` (the number CodeDeploy deploys, `$LATEST` when unpublished).
   */
  dimensions: {
    service: 'service',
    route: 'route',
    statusClass: 'statusClass',
    functionVersion: 'functionVersion',
  },
} as const;

/** How the todo handler's telemetry records these metrics: the payload sizes and the outcome count. */
export const TODO_PAYLOAD_METRICS = {
  defaultNamespace: TODO_METRICS.defaultNamespace,
  defaultService: TODO_METRICS.defaultService,
  requestSizeMetric: TODO_METRICS.requestSize,
  responseSizeMetric: TODO_METRICS.responseSize,
  coldStartMetric: TODO_METRICS.coldStart,
  dimensionSets: [['route'], ['route', 'statusClass']],
  outcome: {
    metric: TODO_METRICS.requests,
    dimensionSets: [['functionVersion'], ['functionVersion', 'statusClass'], ['route', 'statusClass']],
  },
  dimensionNames: TODO_METRICS.dimensions,
} as const;
