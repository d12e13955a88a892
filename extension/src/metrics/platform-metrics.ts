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

/**
 * The metrics one Telemetry API event (or one post-runtime measurement) yields, before they are
 * written as a document: {@link platformMetricDocuments} serializes them, and
 * `PlatformMetricRecorder` hands them to the aggregator without a serialize-and-parse round trip.
 */
export interface PlatformSample {
  readonly timestamp: number;
  /** At least one metric, each with one value. */
  readonly metrics: readonly EmfMetricInput[];
  /** Members kept as log content only (`requestId`, `traceId`, …). */
  readonly properties: Readonly<Json>;
}

/** Serializes one sample as the EMF document CloudWatch receives. */
export function platformDocument(sample: PlatformSample, context: PlatformMetricsContext): string {
  return buildEmfDocument({
    timestamp: sample.timestamp,
    namespace: context.namespace,
    dimensions: {
      [NAMES.dimensions.functionName]: context.functionName,
      [NAMES.dimensions.functionVersion]: context.functionVersion,
    },
    dimensionSets: DIMENSION_SET,
    metrics: sample.metrics,
    properties: sample.properties,
  });
}

function sample(timestamp: number, metrics: EmfMetricInput[], properties: Json): PlatformSample[] {
  return metrics.length === 0 ? [] : [{ timestamp, metrics, properties }];
}

function ms(name: string, value: number | undefined): EmfMetricInput[] {
  return value === undefined ? [] : [{ name, unit: 'Milliseconds', value }];
}

/**
 * The metrics of one Telemetry API event; `[]` for event types that carry no metric.
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
export function platformSamples(event: TelemetryApiEvent, now: () => number = Date.now): PlatformSample[] {
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
      return sample(
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
      return sample(timestamp, ms(NAMES.initDuration, measure(metrics.durationMs)), properties);
    }
    case 'platform.runtimeDone': {
      const spans = Array.isArray(record.spans) ? record.spans : [];
      const latency = spans.find((span) => isObject(span) && span.name === 'responseLatency') as
        | Json
        | undefined;
      const producedBytes = measure(metrics.producedBytes);
      return sample(
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

/** EMF documents for one Telemetry API event (see {@link platformSamples}). */
export function platformMetricDocuments(
  event: TelemetryApiEvent,
  context: PlatformMetricsContext,
  now: () => number = Date.now,
): string[] {
  return platformSamples(event, now).map((item) => platformDocument(item, context));
}

/**
 * The PostRuntimeExtensionDuration metric of one invocation. The caller measures the phase (it
 * alone knows when it called `next`) and passes the measurement.
 */
export function postRuntimeSamples(measurement: PostRuntimeMeasurement): PlatformSample[] {
  const properties: Json = { requestId: measurement.requestId };
  if (measurement.traceId !== undefined) properties.traceId = measurement.traceId;
  return sample(
    measurement.endedAt,
    ms(NAMES.postRuntimeDuration, measure(measurement.durationMs)),
    properties,
  );
}

/** The PostRuntimeExtensionDuration document of one invocation (see {@link postRuntimeSamples}). */
export function postRuntimeDurationDocument(
  measurement: PostRuntimeMeasurement,
  context: PlatformMetricsContext,
): string[] {
  return postRuntimeSamples(measurement).map((item) => platformDocument(item, context));
}
