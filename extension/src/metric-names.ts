/**
 * Names of the metrics the telemetry extension emits as EMF. Dashboards and
 * alarms refer to these same constants.
 */
export const EXTENSION_METRICS = {
  /** Default namespace when `TELEMETRY_METRICS_NAMESPACE` is not set. */
  defaultNamespace: 'LambdaTelemetry',
  dimensions: {
    functionName: 'FunctionName',
    functionVersion: 'FunctionVersion',
    reason: 'Reason',
    /** Which buffer a `QueueDepth` value is of: `spans` or `metricDocuments`. */
    queue: 'Queue',
  },
  // Platform metrics, from the Telemetry API.
  duration: 'Duration',
  billedDuration: 'BilledDuration',
  initDuration: 'InitDuration',
  maxMemoryUsed: 'MaxMemoryUsed',
  responseLatency: 'ResponseLatency',
  producedBytes: 'ProducedBytes',
  postRuntimeDuration: 'PostRuntimeExtensionDuration',
  timeouts: 'Timeouts',
  crashes: 'Crashes',
  // Self-metrics of the extension's pipeline.
  spansReceived: 'SpansReceived',
  spansExported: 'SpansExported',
  spansDropped: 'SpansDropped',
  metricDocumentsReceived: 'MetricDocumentsReceived',
  metricDocumentsExported: 'MetricDocumentsExported',
  metricDocumentsDropped: 'MetricDocumentsDropped',
  exportLatency: 'ExportLatency',
  queueDepth: 'QueueDepth',
} as const;
