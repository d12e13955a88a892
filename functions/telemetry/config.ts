/**
 * The one place where handler telemetry reads the environment. Static values
 * are read once, at the first invocation (not at import: cold start), into a
 * typed object; the per-invocation trace header is read through
 * {@link invocationTraceHeader} because the runtime rewrites it for every
 * invocation.
 */
import { DEFAULT_RECEIVER_ADDRESS, RECEIVER_ADDRESS_VARIABLE } from '../../contracts/telemetry-receiver';
import { TelemetryConfigError } from './errors';

/** Settings of handler telemetry, as read from the function's environment. */
export interface TelemetryConfig {
  /** `host:port` of the extension's OTLP/EMF receiver (`TELEMETRY_RECEIVER_ADDRESS`). */
  readonly receiverAddress: string;
  /** `service.name` of the spans (`OTEL_SERVICE_NAME`, else `POWERTOOLS_SERVICE_NAME`, else the function name). */
  readonly serviceName: string;
  /** Metrics service dimension (`POWERTOOLS_SERVICE_NAME`), when set. */
  readonly metricsService?: string;
  /** Metrics namespace (`POWERTOOLS_METRICS_NAMESPACE`), when set. */
  readonly metricsNamespace?: string;
  /** `POWERTOOLS_METRICS_DISABLED` is true: no EMF at all, as Powertools itself would do. */
  readonly metricsDisabled: boolean;
  /** `AWS_REGION`. */
  readonly region?: string;
  /** `AWS_LAMBDA_FUNCTION_NAME`. */
  readonly functionName?: string;
  /** `AWS_LAMBDA_FUNCTION_VERSION`. */
  readonly functionVersion?: string;
  /** `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` in MiB. */
  readonly memorySizeMb?: number;
  /** `AWS_LAMBDA_LOG_STREAM_NAME`: identifies the execution environment (`faas.instance`). */
  readonly logStreamName?: string;
  /** `AWS_LAMBDA_INITIALIZATION_TYPE`: a provisioned-concurrency or SnapStart init is no cold start for the caller. */
  readonly initializationType?: string;
  /** Extra resource attributes from `OTEL_RESOURCE_ATTRIBUTES` (`k=v,k2=v2`, values percent-decoded). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
}

type Environment = Readonly<Record<string, string | undefined>>;

const nonEmpty = (value: string | undefined): string | undefined =>
  value === undefined || value.trim() === '' ? undefined : value.trim();

function parseAddress(value: string | undefined): string {
  const address = nonEmpty(value) ?? DEFAULT_RECEIVER_ADDRESS;
  const match = /^(\[[0-9a-fA-F:]+\]|[^:/\s]+):(\d{1,5})$/.exec(address);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65_535) {
    throw new TelemetryConfigError(
      RECEIVER_ADDRESS_VARIABLE,
      `"${address}" is not host:port (e.g. ${DEFAULT_RECEIVER_ADDRESS})`,
    );
  }
  return address;
}

function parseResourceAttributes(value: string | undefined): Record<string, string> {
  const attributes: Record<string, string> = {};
  for (const pair of nonEmpty(value)?.split(',') ?? []) {
    const separator = pair.indexOf('=');
    if (separator <= 0) {
      throw new TelemetryConfigError('OTEL_RESOURCE_ATTRIBUTES', `"${pair}" is not key=value`);
    }
    attributes[decodeURIComponent(pair.slice(0, separator).trim())] = decodeURIComponent(
      pair.slice(separator + 1).trim(),
    );
  }
  return attributes;
}

/**
 * Reads the telemetry settings from an environment (the process's by default).
 * Throws {@link TelemetryConfigError} naming the variable when a value is malformed.
 */
export function readTelemetryConfig(env: Environment = process.env): TelemetryConfig {
  const functionName = nonEmpty(env.AWS_LAMBDA_FUNCTION_NAME);
  const memory = Number(nonEmpty(env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE));
  return {
    receiverAddress: parseAddress(env[RECEIVER_ADDRESS_VARIABLE]),
    serviceName:
      nonEmpty(env.OTEL_SERVICE_NAME) ??
      nonEmpty(env.POWERTOOLS_SERVICE_NAME) ??
      functionName ??
      'unknown_service:node',
    metricsService: nonEmpty(env.POWERTOOLS_SERVICE_NAME),
    metricsNamespace: nonEmpty(env.POWERTOOLS_METRICS_NAMESPACE),
    metricsDisabled: ['1', 'true', 'yes', 'on'].includes(
      nonEmpty(env.POWERTOOLS_METRICS_DISABLED)?.toLowerCase() ?? '',
    ),
    region: nonEmpty(env.AWS_REGION) ?? nonEmpty(env.AWS_DEFAULT_REGION),
    functionName,
    functionVersion: nonEmpty(env.AWS_LAMBDA_FUNCTION_VERSION),
    memorySizeMb: Number.isFinite(memory) && memory > 0 ? memory : undefined,
    logStreamName: nonEmpty(env.AWS_LAMBDA_LOG_STREAM_NAME),
    initializationType: nonEmpty(env.AWS_LAMBDA_INITIALIZATION_TYPE),
    resourceAttributes: parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES),
  };
}

/**
 * The Lambda trace header of the current invocation. The runtime copies the
 * `Lambda-Runtime-Trace-Id` of each `next` response into `_X_AMZN_TRACE_ID`
 * (and deletes it when absent), so it is read per invocation, never cached.
 * The event's own `x-amzn-trace-id` header is not used: its `Parent` is API
 * Gateway's segment, while the runtime's names the function segment that the
 * handler's spans belong under.
 */
export function invocationTraceHeader(env: Environment = process.env): string | undefined {
  return nonEmpty(env._X_AMZN_TRACE_ID);
}
