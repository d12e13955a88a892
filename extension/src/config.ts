import { DEFAULT_RECEIVER_ADDRESS, RECEIVER_ADDRESS_VARIABLE } from '../../contracts/telemetry-receiver';
import { ConfigError } from './errors';
import type { RegisterResponse } from './extensions-api';
import { EXTENSION_METRICS } from './metric-names';
import { DEFAULT_LISTENER_PORT } from './telemetry-subscription';

/** A `host:port` pair. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Which backend receives the spans. */
type TracesExporterKind = 'xray' | 'otlp' | 'none';

/** How the X-Ray exporter delivers segment documents. */
type XRayMode = 'api' | 'udp';

/** AWS credentials as Lambda hands them to every process of the environment. */
export interface AwsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string | undefined;
}

/** When the extension exports: see `flush-policy.ts`. */
type FlushMode = 'invocation' | 'periodic' | 'adaptive';

/** Everything the extension reads from its environment, read once at start. */
export interface ExtensionConfig {
  /** `AWS_LAMBDA_RUNTIME_API`: host:port of the Extensions and Telemetry APIs. */
  readonly runtimeApi: string;
  /** Name sent in `Lambda-Extension-Name`; must equal the launcher's file name. */
  readonly extensionName: string;
  /** What the launcher did before Node started; undefined when Node registers itself. */
  readonly launcher: LauncherHandover | undefined;
  readonly receiverAddress: HostPort;
  readonly listenerAddress: HostPort;
  readonly region: string;
  readonly credentials: AwsCredentials | undefined;
  readonly functionName: string | undefined;
  readonly functionVersion: string | undefined;
  readonly traces: {
    readonly exporter: TracesExporterKind;
    readonly xrayMode: XRayMode;
    /** Base URL for PutTraceSegments (`AWS_ENDPOINT_URL_XRAY`, `AWS_ENDPOINT_URL`, or the regional endpoint). */
    readonly xrayEndpoint: string;
    readonly xrayDaemonAddress: HostPort;
    /** Full URL spans are POSTed to by the OTLP exporter. */
    readonly otlpEndpoint: string;
    readonly otlpHeaders: Readonly<Record<string, string>>;
  };
  readonly metrics: {
    /** EMF namespace of the platform and self metrics. */
    readonly namespace: string;
    /** When set, EMF goes to this log group with PutLogEvents instead of stdout. */
    readonly logGroupName: string | undefined;
    readonly logStreamName: string;
    /** Base URL for PutLogEvents (`AWS_ENDPOINT_URL_LOGS`, `AWS_ENDPOINT_URL`, or undefined for the regional one). */
    readonly logsEndpointOverride: string | undefined;
    /** `TELEMETRY_SELF_METRICS_INTERVAL_MS`: how often the extension's own counters are reported. */
    readonly selfMetricsIntervalMs: number;
  };
  readonly buffer: {
    readonly maxSpans: number;
    readonly maxBytes: number;
    readonly maxBatchSpans: number;
  };
  readonly receiver: {
    readonly maxBodyBytes: number;
  };
  readonly flush: {
    /** `TELEMETRY_FLUSH`: after each invocation, periodically, or switching between the two by load. */
    readonly mode: FlushMode;
    /** `TELEMETRY_FLUSH_INTERVAL_MS`: how often the periodic mode flushes (while an invocation runs). */
    readonly intervalMs: number;
    /** Longest wait after `platform.runtimeDone` for the invocation's spans still in flight. */
    readonly spanWaitMs: number;
    /** Hard cap on the time spent after `platform.runtimeDone` before calling `next`. */
    readonly postRuntimeBudgetMs: number;
    /** Kept free before the SHUTDOWN deadline so the process exits before SIGKILL. */
    readonly shutdownMarginMs: number;
    /**
     * vCPUs the environment gets during invokes, from `AWS_LAMBDA_FUNCTION_MEMORY_SIZE`
     * (1,769 MB = one vCPU; 1 when unknown): the budget is aimed earlier when CPU is scarce.
     */
    readonly cpuShare: number;
    readonly maxRetries: number;
    readonly retryBaseDelayMs: number;
    /** Longest single export request before it is abandoned (and retried if budget remains). */
    readonly exportTimeoutMs: number;
    /** Consecutive failed export attempts that open the exporter's circuit. */
    readonly circuitFailures: number;
    /** How long an open circuit stops export attempts. */
    readonly circuitCooldownMs: number;
  };
}

/** The process-wide environment shape this module reads; injectable for tests. */
export type Environment = Readonly<Record<string, string | undefined>>;

/** Lambda's extension name, the launcher's file name in `/opt/extensions/`. */
const DEFAULT_EXTENSION_NAME = 'telemetry-extension';

// Every interface of the execution environment, as the Telemetry API delivers to sandbox.localdomain.
const DEFAULT_LISTENER_ADDRESS = `0.0.0.0:${DEFAULT_LISTENER_PORT}`;
// In Lambda the daemon listens here, but extensions are not given AWS_XRAY_DAEMON_ADDRESS.
const DEFAULT_XRAY_DAEMON_ADDRESS = '169.254.79.129:2000';
// 10,000 spans is the Telemetry API's own maxItems default and one OTLP request's cap at X-Ray;
// 4 MiB of encoded spans keeps the decoded buffer well under 32 MB in a 128 MB function.
const DEFAULT_MAX_SPANS = 10_000;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;
// PutTraceSegments: the X-Ray daemon sends 50 documents per call.
const DEFAULT_MAX_BATCH_SPANS = 50;
// The handler posts once per invocation; 4 MiB is far above any sane span batch and still bounded.
const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;
// The handler sends during its last milliseconds; a loopback send needs no network round trip,
// so this is slack for a busy scheduler, not for the wire.
const DEFAULT_SPAN_WAIT_MS = 20;
// The budget is spent only in per-invocation flushes, i.e. by rarely called functions, whose
// keep-alive socket has usually been closed during the freeze: their flush pays a new TCP and
// TLS 1.3 handshake before the call itself, two more round trips to the regional endpoint. The
// budget must cover that, or the flush would be cut off mid-handshake every time and spans would
// leave only at SHUTDOWN; busy functions flush periodically and pay nearly nothing. Whatever
// does not fit stays buffered for the next flush. README's variable table gives the figures.
const DEFAULT_POST_RUNTIME_BUDGET_MS = 100;
// Spans of a busy function reach X-Ray within about this long; one flush per 10 s instead of
// one per invocation is what makes a busy function's telemetry nearly free.
const DEFAULT_FLUSH_INTERVAL_MS = 10_000;
// Self-metrics are a health signal, not per-request data: once a minute (CloudWatch's finest
// standard resolution) plus once at SHUTDOWN keeps them to a few log lines an hour per environment.
const DEFAULT_SELF_METRICS_INTERVAL_MS = 60_000;
// Five failed requests in a row (at least two flushes' worth of retries) is an outage, not a blip.
const DEFAULT_CIRCUIT_FAILURES = 5;
// Long enough that a dead backend costs one trial request per 30 s, short enough that spans
// buffered during a brief outage still go out long before the buffer fills.
const DEFAULT_CIRCUIT_COOLDOWN_MS = 30_000;
// Lambda gives extensions 2,000 ms at SHUTDOWN and then SIGKILLs; exiting takes a few ms.
const DEFAULT_SHUTDOWN_MARGIN_MS = 200;
const DEFAULT_MAX_RETRIES = 3;
const DEFAULT_RETRY_BASE_DELAY_MS = 10;
const DEFAULT_EXPORT_TIMEOUT_MS = 1_000;

/**
 * What the layer's launcher hands to Node when it registered, and possibly subscribed to the
 * Telemetry API, before Node started (see extension/src/launcher.sh).
 */
interface LauncherHandover {
  /** `TELEMETRY_EXTENSION_ID`: the `Lambda-Extension-Identifier` that `register` returned. */
  readonly identifier: string;
  /** `TELEMETRY_EXTENSION_REGISTRATION`: the body `register` returned. */
  readonly registration: RegisterResponse;
  /**
   * `TELEMETRY_EXTENSION_SUBSCRIBED_PORT`: the listener port the launcher subscribed the
   * Telemetry API to; undefined when it left subscribing to Node.
   */
  readonly subscribedPort: number | undefined;
}

/** What registration needs; read before anything else so a bad variable elsewhere can be reported. */
export interface RegistrationConfig {
  readonly runtimeApi: string;
  readonly extensionName: string;
  /** Set when the launcher already registered: Node adopts that registration instead. */
  readonly launcher: LauncherHandover | undefined;
}

const ID_VARIABLE = 'TELEMETRY_EXTENSION_ID';
const REGISTRATION_VARIABLE = 'TELEMETRY_EXTENSION_REGISTRATION';
const SUBSCRIBED_PORT_VARIABLE = 'TELEMETRY_EXTENSION_SUBSCRIBED_PORT';
// The identifier goes back in a header on every call: visible ASCII only (Lambda's are UUIDs).
const IDENTIFIER_PATTERN = /^[\x21-\x7e]{1,256}$/;

/**
 * Reads what registration needs. Throws {@link ConfigError} when `AWS_LAMBDA_RUNTIME_API` is
 * missing or the launcher's hand-over variables are malformed.
 */
export function readRegistrationConfig(env: Environment = process.env): RegistrationConfig {
  const runtimeApi = env.AWS_LAMBDA_RUNTIME_API;
  if (!runtimeApi) {
    throw new ConfigError(
      'AWS_LAMBDA_RUNTIME_API is not set; the extension only runs inside Lambda or the sandbox',
    );
  }
  return {
    runtimeApi,
    extensionName: env.TELEMETRY_EXTENSION_NAME || DEFAULT_EXTENSION_NAME,
    launcher: launcherHandover(env),
  };
}

function launcherHandover(env: Environment): LauncherHandover | undefined {
  const identifier = env[ID_VARIABLE];
  if (!identifier) {
    for (const name of [REGISTRATION_VARIABLE, SUBSCRIBED_PORT_VARIABLE]) {
      if (env[name]) {
        throw new ConfigError(`${name} is set without ${ID_VARIABLE}; the launcher sets them together`);
      }
    }
    return undefined;
  }
  if (!IDENTIFIER_PATTERN.test(identifier)) {
    throw new ConfigError(
      `${ID_VARIABLE}="${identifier}" is not an extension identifier (visible ASCII, no spaces)`,
    );
  }
  const rawPort = env[SUBSCRIBED_PORT_VARIABLE];
  let subscribedPort: number | undefined;
  if (rawPort) {
    subscribedPort = Number(rawPort);
    if (!/^\d+$/.test(rawPort) || subscribedPort < 1 || subscribedPort > 65_535) {
      throw new ConfigError(`${SUBSCRIBED_PORT_VARIABLE}="${rawPort}" is not a port (1 to 65535)`);
    }
  }
  return { identifier, registration: registerResponse(env[REGISTRATION_VARIABLE]), subscribedPort };
}

function registerResponse(raw: string | undefined): RegisterResponse {
  if (!raw) throw new ConfigError(`${REGISTRATION_VARIABLE} is not set although ${ID_VARIABLE} is`);
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    value = undefined;
  }
  const fields = value as Record<string, unknown> | undefined;
  const wellFormed =
    typeof fields === 'object' &&
    fields !== null &&
    !Array.isArray(fields) &&
    ['functionName', 'functionVersion', 'handler'].every(
      (key) => fields[key] === undefined || typeof fields[key] === 'string',
    );
  if (!wellFormed) {
    throw new ConfigError(
      `${REGISTRATION_VARIABLE}="${raw.slice(0, 200)}" is not the JSON object register answers with`,
    );
  }
  return fields as RegisterResponse;
}

/**
 * Reads the extension's configuration from `env` (the process environment by default).
 * Throws {@link ConfigError} naming the variable when one is missing or malformed.
 */
export function readConfig(env: Environment = process.env): ExtensionConfig {
  const { runtimeApi, extensionName, launcher } = readRegistrationConfig(env);
  const listenerAddress = hostPort(env, 'TELEMETRY_LISTENER_ADDRESS', DEFAULT_LISTENER_ADDRESS);
  if (launcher?.subscribedPort !== undefined && launcher.subscribedPort !== listenerAddress.port) {
    throw new ConfigError(
      `${SUBSCRIBED_PORT_VARIABLE}="${launcher.subscribedPort}" differs from the port of TELEMETRY_LISTENER_ADDRESS ` +
        `(${listenerAddress.port}): the Telemetry API would deliver where nothing listens`,
    );
  }
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? 'us-east-1';
  const exporter = oneOf(env, 'TELEMETRY_TRACES_EXPORTER', ['xray', 'otlp', 'none'], 'xray');
  const otlpBase = env.OTEL_EXPORTER_OTLP_ENDPOINT?.replace(/\/+$/, '');
  const otlpEndpoint =
    env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
    (otlpBase ? `${otlpBase}/v1/traces` : 'http://127.0.0.1:4318/v1/traces');
  const otlpEndpointVariable = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT
    ? 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'
    : 'OTEL_EXPORTER_OTLP_ENDPOINT';
  const receiverAddress = hostPort(env, RECEIVER_ADDRESS_VARIABLE, DEFAULT_RECEIVER_ADDRESS);
  if (exporter === 'otlp') assertNotOwnReceiver(otlpEndpoint, otlpEndpointVariable, receiverAddress);
  const accessKeyId = env.AWS_ACCESS_KEY_ID;
  const secretAccessKey = env.AWS_SECRET_ACCESS_KEY;
  return {
    runtimeApi,
    extensionName,
    launcher,
    receiverAddress,
    listenerAddress,
    region,
    credentials:
      accessKeyId && secretAccessKey
        ? { accessKeyId, secretAccessKey, sessionToken: env.AWS_SESSION_TOKEN || undefined }
        : undefined,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    traces: {
      exporter,
      xrayMode: oneOf(env, 'TELEMETRY_XRAY_MODE', ['api', 'udp'], 'api'),
      xrayEndpoint: (
        env.AWS_ENDPOINT_URL_XRAY ??
        env.AWS_ENDPOINT_URL ??
        `https://xray.${region}.amazonaws.com`
      ).replace(/\/+$/, ''),
      xrayDaemonAddress: hostPort(env, 'AWS_XRAY_DAEMON_ADDRESS', DEFAULT_XRAY_DAEMON_ADDRESS),
      otlpEndpoint: url(otlpEndpoint, otlpEndpointVariable),
      otlpHeaders: {
        ...otlpHeaders(env, 'OTEL_EXPORTER_OTLP_HEADERS'),
        ...otlpHeaders(env, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS'),
      },
    },
    metrics: {
      namespace: env.TELEMETRY_METRICS_NAMESPACE || EXTENSION_METRICS.defaultNamespace,
      logGroupName: env.TELEMETRY_METRICS_LOG_GROUP || undefined,
      logStreamName:
        env.TELEMETRY_METRICS_LOG_STREAM ||
        `${env.AWS_LAMBDA_FUNCTION_NAME ?? 'function'}/${env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST'}/telemetry-extension`,
      logsEndpointOverride: env.AWS_ENDPOINT_URL_LOGS || env.AWS_ENDPOINT_URL || undefined,
      selfMetricsIntervalMs: positiveInt(
        env,
        'TELEMETRY_SELF_METRICS_INTERVAL_MS',
        DEFAULT_SELF_METRICS_INTERVAL_MS,
      ),
    },
    buffer: {
      maxSpans: positiveInt(env, 'TELEMETRY_BUFFER_MAX_SPANS', DEFAULT_MAX_SPANS),
      maxBytes: positiveInt(env, 'TELEMETRY_BUFFER_MAX_BYTES', DEFAULT_MAX_BYTES),
      maxBatchSpans: positiveInt(env, 'TELEMETRY_EXPORT_BATCH_SPANS', DEFAULT_MAX_BATCH_SPANS),
    },
    receiver: {
      maxBodyBytes: positiveInt(env, 'TELEMETRY_RECEIVER_MAX_BODY_BYTES', DEFAULT_MAX_BODY_BYTES),
    },
    flush: {
      mode: oneOf(env, 'TELEMETRY_FLUSH', ['invocation', 'periodic', 'adaptive'], 'adaptive'),
      intervalMs: positiveInt(env, 'TELEMETRY_FLUSH_INTERVAL_MS', DEFAULT_FLUSH_INTERVAL_MS),
      spanWaitMs: nonNegativeInt(env, 'TELEMETRY_SPAN_WAIT_MS', DEFAULT_SPAN_WAIT_MS),
      postRuntimeBudgetMs: positiveInt(
        env,
        'TELEMETRY_POST_RUNTIME_BUDGET_MS',
        DEFAULT_POST_RUNTIME_BUDGET_MS,
      ),
      shutdownMarginMs: nonNegativeInt(env, 'TELEMETRY_SHUTDOWN_MARGIN_MS', DEFAULT_SHUTDOWN_MARGIN_MS),
      cpuShare: cpuShareOf(env),
      maxRetries: nonNegativeInt(env, 'TELEMETRY_EXPORT_MAX_RETRIES', DEFAULT_MAX_RETRIES),
      retryBaseDelayMs: nonNegativeInt(env, 'TELEMETRY_EXPORT_RETRY_BASE_MS', DEFAULT_RETRY_BASE_DELAY_MS),
      exportTimeoutMs: positiveInt(env, 'TELEMETRY_EXPORT_TIMEOUT_MS', DEFAULT_EXPORT_TIMEOUT_MS),
      circuitFailures: positiveInt(env, 'TELEMETRY_CIRCUIT_FAILURES', DEFAULT_CIRCUIT_FAILURES),
      circuitCooldownMs: nonNegativeInt(env, 'TELEMETRY_CIRCUIT_COOLDOWN_MS', DEFAULT_CIRCUIT_COOLDOWN_MS),
    },
  };
}

function oneOf<T extends string>(env: Environment, name: string, allowed: readonly T[], fallback: T): T {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const lower = value.toLowerCase();
  const match = allowed.find((candidate) => candidate === lower);
  if (!match) throw new ConfigError(`${name}="${value}" is not one of: ${allowed.join(', ')}`);
  return match;
}

function hostPort(env: Environment, name: string, fallback: string): HostPort {
  const value = env[name] || fallback;
  const separator = value.lastIndexOf(':');
  const host = value.slice(0, separator).replace(/^\[|\]$/g, '');
  const port = Number(value.slice(separator + 1));
  if (separator <= 0 || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new ConfigError(`${name}="${value}" is not host:port (for example ${fallback})`);
  }
  return { host, port };
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0']);

/**
 * OTLP's default endpoint (`http://localhost:4318`) is where this extension's own receiver
 * listens: exporting there would feed every span back into the buffer it came from. Refused at
 * start, with the fix, rather than discovered as a loop.
 */
function assertNotOwnReceiver(endpoint: string, name: string, receiver: HostPort): void {
  let target: URL;
  try {
    target = new URL(endpoint);
  } catch {
    return; // url() reports a malformed value with its own message.
  }
  const port = Number(target.port || (target.protocol === 'https:' ? 443 : 80));
  const host = target.hostname;
  if (port === receiver.port && (host === receiver.host || LOOPBACK_NAMES.has(host))) {
    throw new ConfigError(
      `${name}="${endpoint}" is this extension's own receiver (${RECEIVER_ADDRESS_VARIABLE}); ` +
        'with TELEMETRY_TRACES_EXPORTER=otlp set it to your collector or backend, for example http://collector:4318',
    );
  }
}

function url(value: string, name: string): string {
  try {
    return new URL(value).toString();
  } catch {
    throw new ConfigError(`${name}="${value}" is not a URL (for example http://collector:4318)`);
  }
}

// Lambda gives one full vCPU at 1,769 MB and CPU in proportion below it.
const MEMORY_MB_PER_VCPU = 1_769;

/** The invoke-phase CPU share Lambda gives the function's memory size; 1 when it is not set. */
function cpuShareOf(env: Environment): number {
  const memoryMb = nonNegativeInt(env, 'AWS_LAMBDA_FUNCTION_MEMORY_SIZE', 0);
  return memoryMb > 0 ? Math.min(1, memoryMb / MEMORY_MB_PER_VCPU) : 1;
}

function positiveInt(env: Environment, name: string, fallback: number): number {
  const value = nonNegativeInt(env, name, fallback);
  if (value === 0) throw new ConfigError(`${name} must be greater than 0`);
  return value;
}

function nonNegativeInt(env: Environment, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new ConfigError(`${name}="${raw}" is not a whole number >= 0`);
  }
  return value;
}

// OTEL_EXPORTER_OTLP_HEADERS is `key1=value1,key2=value2` with percent-encoded values (W3C baggage style).
function otlpHeaders(env: Environment, name: string): Record<string, string> {
  const raw = env[name];
  const headers: Record<string, string> = {};
  if (!raw) return headers;
  for (const pair of raw.split(',')) {
    const separator = pair.indexOf('=');
    if (separator <= 0)
      throw new ConfigError(`${name} has "${pair.trim()}"; expected key=value pairs separated by commas`);
    headers[decodeURIComponent(pair.slice(0, separator).trim()).toLowerCase()] = decodeURIComponent(
      pair.slice(separator + 1).trim(),
    );
  }
  return headers;
}
