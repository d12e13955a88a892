/**
 * Platform metrics: what only the Telemetry API knows about an invocation, as EMF documents
 * in the extension's namespace with `FunctionName` and `FunctionVersion` dimensions.
 */
import { parseLambdaTraceHeader, toXRayTraceId } from '../../../contracts/lambda-trace-header';
import { EXTENSION_METRICS } from '../metric-names';
import { buildEmfDocument, type EmfMetricInput } from './emf-builder';
import { isAcceptedMetricNumber } from './emf-document';

/** Where platform metrics are filed. */
export interface PlatformMetricsContext {
  /** `TELEMETRY_METRICS_NAMESPACE`, default `EXTENSION_METRICS.defaultNamespace`. */
  readonly namespace: string;
  readonly functionName: string;
  readonly functionVersion: string;
}

/** One Telemetry API event as delivered to the listener (`{time, type, record}`). */
export interface TelemetryApiEvent {
  /** ISO 8601 time of the event. */
  readonly time: string;
  readonly type: string;
  readonly record: unknown;
}

/** A measured post-runtime phase: from `platform.runtimeDone` to the extension's next `next` call. */
export interface PostRuntimeMeasurement {
  readonly requestId: string;
  /** Milliseconds the extension spent after `platform.runtimeDone` before calling `next`. */
  readonly durationMs: number;
  /** Epoch ms when the phase ended (the `next` call). */
  readonly endedAt: number;
  /** X-Ray trace id (`1-…-…`) of the invocation, when known. */
  readonly traceId?: string;
}

const NAMES = EXTENSION_METRICS;
const DIMENSION_SET = [[NAMES.dimensions.functionName, NAMES.dimensions.functionVersion]] as const;

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function measure(value: unknown): number | undefined {
  return isAcceptedMetricNumber(value) && value >= 0 ? value : undefined;
}

/** The X-Ray trace id (`1-…-…`) of a record's `tracing` (`{type, value: <trace header>}`). */
function traceIdOf(tracing: unknown): string | undefined {
  if (!isObject(tracing) || typeof tracing.value !== 'string') return undefined;
  const { traceId } = parseLambdaTraceHeader(tracing.value);
  return traceId && toXRayTraceId(traceId);
}

function document(
  context: PlatformMetricsContext,
  timestamp: number,
  metrics: EmfMetricInput[],
  properties: Json,
): string[] {
  if (metrics.length === 0) return [];
  return [
    buildEmfDocument({
      timestamp,
      namespace: context.namespace,
      dimensions: {
        [NAMES.dimensions.functionName]: context.functionName,
        [NAMES.dimensions.functionVersion]: context.functionVersion,
      },
      dimensionSets: DIMENSION_SET,
      metrics,
      properties,
    }),
  ];
}

function ms(name: string, value: number | undefined): EmfMetricInput[] {
  return value === undefined ? [] : [{ name, unit: 'Milliseconds', value }];
}

/**
 * EMF documents for one Telemetry API event; `[]` for event types that carry no metric.
 *
 * - `platform.report`: Duration, BilledDuration (ms), MaxMemoryUsed (MB), and Timeouts and
 *   Crashes as 0/1 counts (status `timeout`; status `error` or `failure`), written on every
 *   invocation so that their Average is the rate.
 * - `platform.initReport`: InitDuration (ms). The report's `initDurationMs` is not used: it
 *   repeats the same init for on-demand starts only, while `initReport` also covers
 *   provisioned concurrency and SnapStart, and one source cannot count an init twice.
 * - `platform.runtimeDone`: ResponseLatency (ms, its `responseLatency` span) and ProducedBytes.
 *
 * Each document carries `requestId` and `traceId` (when known) as properties.
 */
export function platformMetricDocuments(
  event: TelemetryApiEvent,
  context: PlatformMetricsContext,
  now: () => number = Date.now,
): string[] {
  const record = event.record;
  if (!isObject(record)) return [];
  const parsedTime = Date.parse(event.time);
  const timestamp = Number.isFinite(parsedTime) ? parsedTime : now();
  const properties: Json = {};
  if (typeof record.requestId === 'string') properties.requestId = record.requestId;
  const traceId = traceIdOf(record.tracing);
  if (traceId !== undefined) properties.traceId = traceId;
  const metrics = isObject(record.metrics) ? record.metrics : {};

  switch (event.type) {
    case 'platform.report': {
      const status = record.status;
      if (typeof record.errorType === 'string') properties.errorType = record.errorType;
      const maxMemory = measure(metrics.maxMemoryUsedMB);
      return document(
        context,
        timestamp,
        [
          ...ms(NAMES.duration, measure(metrics.durationMs)),
          ...ms(NAMES.billedDuration, measure(metrics.billedDurationMs)),
          ...(maxMemory === undefined
            ? []
            : [{ name: NAMES.maxMemoryUsed, unit: 'Megabytes' as const, value: maxMemory }]),
          { name: NAMES.timeouts, unit: 'Count', value: status === 'timeout' ? 1 : 0 },
          { name: NAMES.crashes, unit: 'Count', value: status === 'error' || status === 'failure' ? 1 : 0 },
        ],
        properties,
      );
    }
    case 'platform.initReport': {
      if (typeof record.initializationType === 'string')
        properties.initializationType = record.initializationType;
      if (typeof record.phase === 'string') properties.phase = record.phase;
      return document(context, timestamp, ms(NAMES.initDuration, measure(metrics.durationMs)), properties);
    }
    case 'platform.runtimeDone': {
      const spans = Array.isArray(record.spans) ? record.spans : [];
      const latency = spans.find((span) => isObject(span) && span.name === 'responseLatency') as
        | Json
        | undefined;
      const producedBytes = measure(metrics.producedBytes);
      return document(
        context,
        timestamp,
        [
          ...ms(NAMES.responseLatency, measure(latency?.durationMs)),
          ...(producedBytes === undefined
            ? []
            : [{ name: NAMES.producedBytes, unit: 'Bytes' as const, value: producedBytes }]),
        ],
        properties,
      );
    }
    default:
      return [];
  }
}

/**
 * The PostRuntimeExtensionDuration document for one invocation. The caller measures the
 * phase (it alone knows when it called `next`) and passes the measurement.
 */
export function postRuntimeDurationDocument(
  measurement: PostRuntimeMeasurement,
  context: PlatformMetricsContext,
): string[] {
  const properties: Json = { requestId: measurement.requestId };
  if (measurement.traceId !== undefined) properties.traceId = measurement.traceId;
  return document(
    context,
    measurement.endedAt,
    ms(NAMES.postRuntimeDuration, measure(measurement.durationMs)),
    properties,
  );
}
