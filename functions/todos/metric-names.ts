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
   * Dimension sets: `service` + `route` (the route key, a bounded set of six) and
   * `service` + `route` + `statusClass` (`2xx`…`5xx`). Bounded by construction:
   * unknown paths are reported under the route `$default`.
   */
  dimensions: { service: 'service', route: 'route', statusClass: 'statusClass' },
} as const;
