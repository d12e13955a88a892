/**
 * The whole local sandbox, started programmatically: the function's environment pool behind the
 * HTTP API and Invoke API front doors, the embedded DynamoDB, and the CloudWatch Logs and X-Ray
 * stand-ins. The CLI (`npm start`) and the end-to-end tests both start it through
 * {@link startSandbox}.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ROUTES } from '../functions/todos/routes';
import { corsPolicy } from '../infra/cors-policy';
import { createJwtAuthorizer, type JwtAuthorizerConfig } from './auth/jwt-authorizer';
import { DEFAULTS, LIMITS } from './config';
import { startEmbeddedDynamoDB } from './dynamodb';
import { startDynamoDBMetering } from './dynamodb-metering';
import { environmentResources } from './environment/cgroup-probe';
import { functionVersion } from './environment/environment-variables';
import { FunctionPool } from './environment/function-pool';
import { isolationSupport } from './environment/isolation/isolation-probe';
import { type RuntimeNode, runtimeNode } from './environment/runtime-node';
import type {
  EnvironmentIsolation,
  EnvironmentResources,
  FunctionDefinition,
  LogEntry,
  LogFormat,
  PlatformEvent,
  SandboxObserver,
} from './environment/types';
import { accessLogDirectory, HttpApiAccessLog } from './http-api/access-log';
import { ApiGatewayMetrics } from './http-api/api-metrics';
import { startHttpApi } from './http-api/server';
import { startInvokeApi } from './invoke-api';
import { LambdaMetrics } from './logs/lambda-metrics';
import { LogSink } from './logs/log-sink';
import { startLogsEndpoint } from './logs/logs-endpoint';
import { MetricStore } from './logs/metric-store';
import { nodeRuntimeEntry } from './node-runtime/runtime-bundle';
import { StartupError, UsageError } from './sandbox-errors';
import { type FunctionRunner, TracedFunction } from './traced-function';
import { type FunctionVersions, VersionRegistry } from './versions/function-versions';
import { VersionedFunction } from './versions/versioned-function';
import { startXRayHttpEndpoint } from './xray/http-endpoint';
import { LambdaSegmentWriter } from './xray/lambda-segments';
import { TraceStore } from './xray/trace-store';
import { startUdpDaemon } from './xray/udp-daemon';

export interface SandboxOptions {
  /** @default 'todos' */
  readonly functionName?: string;
  /** @default dist/functions/todos */
  readonly codeDir?: string;
  /** @default 'index.handler' */
  readonly handler?: string;
  /** A whole number of MB in Lambda's range, 128-10240. @default 1024 (as the stack deploys it) */
  readonly memoryMb?: number;
  /** @default 10 (as the stack deploys it) */
  readonly timeoutSec?: number;
  /** Maximum execution environments of each version; invokes beyond it queue. @default 10 */
  readonly concurrency?: number;
  /**
   * Lambda's reserved concurrency: in-flight invocations of all versions together above it are
   * throttled (429 `TooManyRequestsException` at the Invoke API, API Gateway's 500 at the HTTP
   * API, a `Throttles` data point). @default none: nothing is throttled
   */
  readonly reservedConcurrency?: number;
  /** The alias the HTTP API integrates; it starts on version 1, published from the code at start. @default 'live' */
  readonly alias?: string;
  /** Layer directories; @default [dist/layer] */
  readonly layers?: readonly string[];
  /** The function's configured variables (`--env`); they win over everything else. */
  readonly environment?: Readonly<Record<string, string>>;
  /** Variables passed through from the sandbox's environment; they win over the sandbox's defaults. */
  readonly passthrough?: Readonly<Record<string, string>>;
  /** @default true */
  readonly freeze?: boolean;
  /**
   * Run the environments without Lambda's CPU and memory limits even where cgroups allow them
   * (see {@link Sandbox.resources}). @default false
   */
  readonly unconstrained?: boolean;
  /**
   * Run the environments on the host's filesystem and network even where namespaces would give
   * each Lambda's (see {@link Sandbox.isolation}). @default false
   */
  readonly shareHost?: boolean;
  /** @default 300_000 */
  readonly idleTimeoutMs?: number;
  /** @default 'us-east-1' */
  readonly region?: string;
  /**
   * Lambda's log format for the runtime's console lines and the platform's own lines. The stack
   * deploys `JSON`, which its Logs Insights queries read as fields. @default 'Text'
   */
  readonly logFormat?: LogFormat;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** HTTP API port; @default 0 (a free port) */
  readonly port?: number;
  /** Invoke API port; @default 0 */
  readonly lambdaPort?: number;
  /** X-Ray daemon port (UDP, and HTTP on the same number when free); @default 0 */
  readonly xrayPort?: number;
  /** Where logs, metrics, traces and the DynamoDB data go; @default .local */
  readonly stateDir?: string;
  /** Keep the embedded DynamoDB in memory; @default false */
  readonly inMemory?: boolean;
  /** Use this DynamoDB instead of starting the embedded one. */
  readonly dynamodbEndpoint?: string;
  /** @default 'todos' */
  readonly tableName?: string;
  /** Prints log streams; nothing is printed when omitted. */
  readonly print?: (line: string) => void;
  /** The HTTP API's JWT authorizer on every route; @default none (open API, single tenant) */
  readonly authorizer?: JwtAuthorizerConfig;
  /** Origins the HTTP API's CORS configuration allows; @default none (no CORS configuration) */
  readonly corsOrigins?: readonly string[];
  /** HTTP API integration timeout; @default 30_000 */
  readonly integrationTimeoutMs?: number;
  /** Builds the runner of a function; @default the real execution-environment pool */
  readonly createRunner?: (def: FunctionDefinition, observer: SandboxObserver) => FunctionRunner;
}

/** A running sandbox. */
export interface Sandbox {
  /** `http://127.0.0.1:<port>`: the HTTP API (the todo API is at `${apiUrl}/todos`). */
  readonly apiUrl: string;
  /** The HTTP API's id: the `ApiId` dimension of its `AWS/ApiGateway` metrics. */
  readonly apiId: string;
  /** The Lambda Invoke API endpoint, for `LambdaClient({ endpoint })`. */
  readonly lambdaUrl: string;
  /** `AWS_XRAY_DAEMON_ADDRESS` (UDP) and `AWS_ENDPOINT_URL_XRAY` (HTTP) of the X-Ray stand-in. */
  readonly xray: { readonly daemonAddress: string; readonly endpoint: string };
  readonly dynamodbEndpoint: string;
  /** `AWS_ENDPOINT_URL_LOGS`: the CloudWatch Logs API stand-in (PutLogEvents). */
  readonly logsEndpoint: string;
  /** The function as configured: `$LATEST`. */
  readonly definition: FunctionDefinition;
  /** The Node the function and the extensions run on (see `runtime-node.ts`). */
  readonly node: RuntimeNode;
  /**
   * What the execution environments get: Lambda's CPU share and memory limit through cgroups, or
   * unconstrained and why (no cgroup v1, not root, turned off...).
   */
  readonly resources: EnvironmentResources;
  /**
   * What the execution environments see: Lambda's filesystem and network through namespaces
   * (`/var/task`, `/opt`, a private `/tmp`, their own `127.0.0.1`), or the host's and why (not
   * Linux, not root, a tool missing, turned off).
   */
  readonly isolation: EnvironmentIsolation;
  /** Published versions and aliases; version 1 and the alias exist from the start. */
  readonly versions: FunctionVersions;
  /** The alias the HTTP API integrates. */
  readonly alias: string;
  /** Directories of the stored logs, metrics and traces; `accessLogs` holds the HTTP API's access log. */
  readonly paths: {
    readonly logs: string;
    readonly accessLogs: string;
    readonly metrics: string;
    readonly xray: string;
  };
  readonly metrics: MetricStore;
  readonly traces: TraceStore;
  readonly logs: LogSink;
  /** Stops the front doors, shuts the environments down (2 s deadline), flushes and closes everything. Idempotent. */
  close(): Promise<void>;
}

/** What the environments will see: Lambda's view where namespaces are available and not turned off. */
async function environmentIsolation(shareHost: boolean): Promise<EnvironmentIsolation> {
  if (shareHost) return { isolated: false, reason: 'turned off (shareHost option)' };
  const support = await isolationSupport();
  return support.available ? { isolated: true } : { isolated: false, reason: support.reason };
}

async function listening<T>(what: string, port: number, start: () => Promise<T>): Promise<T> {
  try {
    return await start();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      throw new StartupError(`${what} port ${port} is in use; stop what holds it or choose another port`, {
        cause: error,
      });
    }
    throw new StartupError(`${what} could not listen on port ${port}: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/**
 * Starts the sandbox.
 *
 * @example
 * const sandbox = await startSandbox({ inMemory: true, stateDir: tmp });
 * await fetch(`${sandbox.apiUrl}/todos`);
 * await sandbox.close();
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const host = options.host ?? '127.0.0.1';
  const stateDir = options.stateDir ?? DEFAULTS.stateDir;
  const functionName = options.functionName ?? DEFAULTS.functionName;
  const timeoutSec = options.timeoutSec ?? DEFAULTS.timeoutSec;
  const region = options.region ?? DEFAULTS.region;
  const tableName = options.tableName ?? DEFAULTS.tableName;
  const memoryMb = options.memoryMb ?? DEFAULTS.memoryMb;
  const [minMb, maxMb] = LIMITS.memory;
  if (!Number.isInteger(memoryMb) || memoryMb < minMb || memoryMb > maxMb) {
    throw new UsageError(
      `memoryMb must be a whole number from ${minMb} to ${maxMb}, as Lambda allows; got ${memoryMb}`,
    );
  }
  const paths = {
    logs: path.join(stateDir, 'logs'),
    accessLogs: accessLogDirectory(path.join(stateDir, 'logs')),
    metrics: path.join(stateDir, 'metrics'),
    xray: path.join(stateDir, 'xray'),
  };
  const cleanups: (() => Promise<void>)[] = [];
  const runCleanups = async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => undefined);
  };

  try {
    await mkdir(stateDir, { recursive: true });
    const traces = new TraceStore(paths.xray);
    const metrics = new MetricStore(paths.metrics);
    const logs = new LogSink({
      functionName,
      timeoutSec,
      directory: paths.logs,
      metrics,
      ...(options.print ? { print: options.print } : {}),
      ...(options.logFormat ? { logFormat: options.logFormat } : {}),
    });
    const segments = new LambdaSegmentWriter(traces, functionName, region);

    const xrayPort = options.xrayPort ?? 0;
    const daemon = await listening('X-Ray daemon (UDP)', xrayPort, () =>
      startUdpDaemon(traces, host, xrayPort),
    );
    cleanups.push(daemon.close);
    // The real daemon serves UDP and its HTTP proxy on the same port number; keep that when free.
    const xrayHttp = await startXRayHttpEndpoint(traces, host, daemon.port).catch(() =>
      listening('X-Ray endpoint (HTTP)', 0, () => startXRayHttpEndpoint(traces, host, 0)),
    );
    cleanups.push(xrayHttp.close);

    let dynamodbEndpoint = options.dynamodbEndpoint;
    if (!dynamodbEndpoint) {
      const dataDir = path.join(stateDir, 'dynamodb');
      if (!options.inMemory) await mkdir(dataDir, { recursive: true });
      const dynamodb = await startEmbeddedDynamoDB({
        tables: [tableName],
        ...(options.inMemory ? {} : { path: dataDir }),
      }).catch((error: unknown) => {
        throw new StartupError(`the embedded DynamoDB could not start: ${(error as Error).message}`, {
          cause: error,
        });
      });
      cleanups.push(dynamodb.close);
      dynamodbEndpoint = dynamodb.endpoint;
    }
    // The function reaches DynamoDB through the proxy that records the AWS/DynamoDB metrics.
    const upstream = dynamodbEndpoint;
    const dynamodbMetering = await listening('DynamoDB metering proxy', 0, () =>
      startDynamoDBMetering({ upstream, store: metrics, host }),
    );
    cleanups.push(dynamodbMetering.close);

    const configured = { ...options.passthrough, ...options.environment };
    // The function's own group and the extension's metrics group exist, as the stack creates them.
    const logGroups = [`/aws/lambda/${functionName}`, configured.TELEMETRY_METRICS_LOG_GROUP].filter(
      (group): group is string => Boolean(group),
    );
    const logsApi = await listening('CloudWatch Logs endpoint', 0, () =>
      startLogsEndpoint({ host, port: 0, directory: paths.logs, metrics, logGroups }),
    );
    cleanups.push(logsApi.close);

    const standIns = {
      AWS_ENDPOINT_URL_DYNAMODB: dynamodbMetering.endpoint,
      AWS_ENDPOINT_URL_XRAY: xrayHttp.url,
      AWS_XRAY_DAEMON_ADDRESS: daemon.address,
      AWS_ENDPOINT_URL_LOGS: logsApi.url,
    };
    // Endpoints of the sandbox's own and of its environment point at this machine; the
    // function's configured variables are read as Lambda reads them.
    const configuredNames = new Set(Object.keys(options.environment ?? {}));
    const sandboxEndpoints = [...Object.keys(standIns), ...Object.keys(options.passthrough ?? {})].filter(
      (name) => !configuredNames.has(name),
    );
    const definition: FunctionDefinition = {
      name: functionName,
      codeDir: path.resolve(options.codeDir ?? DEFAULTS.codeDir),
      handler: options.handler ?? DEFAULTS.handler,
      memoryMb,
      timeoutSec,
      layers: (options.layers ?? [DEFAULTS.layerDir]).map((layer) => path.resolve(layer)),
      environment: {
        TABLE_NAME: tableName,
        ...standIns,
        ...configured,
        // A passed-through name of the same DynamoDB still goes through the metering proxy.
        ...(configured.AWS_ENDPOINT_URL_DYNAMODB === upstream
          ? { AWS_ENDPOINT_URL_DYNAMODB: dynamodbMetering.endpoint }
          : {}),
      },
      concurrency: options.concurrency ?? DEFAULTS.concurrency,
      freeze: options.freeze ?? true,
      ...(options.unconstrained ? { unconstrained: true } : {}),
      ...(options.shareHost ? { shareHost: true } : {}),
      sandboxEndpoints,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutSec * 1000,
      region,
      ...(options.logFormat ? { logFormat: options.logFormat } : {}),
    };

    const resources = await environmentResources(definition.memoryMb, options.unconstrained === true);
    const isolation = await environmentIsolation(options.shareHost === true);
    // The managed runtime (its bundle and its AWS SDK) is prepared now, not on the first request.
    await nodeRuntimeEntry();

    const lambdaMetrics = new LambdaMetrics({
      functionName,
      store: metrics,
      ...(options.reservedConcurrency !== undefined
        ? { reservedConcurrency: options.reservedConcurrency }
        : {}),
    });
    // Each consumer is guarded on its own: a failing log write must not cost a trace, nor the reverse.
    const guarded = (consume: () => void) => {
      try {
        consume();
      } catch {
        // Telemetry never breaks the work it observes.
      }
    };
    /** The observer of one version's environments: their streams are named for the version. */
    const observerFor = (version: string): SandboxObserver => ({
      onLog(entry: LogEntry) {
        guarded(() => logs.onLog(entry, version));
      },
      onPlatformEvent(environmentId: string, event: PlatformEvent) {
        guarded(() => logs.onPlatformEvent(environmentId, event, version));
        guarded(() => segments.onPlatformEvent(environmentId, event));
        guarded(() => lambdaMetrics.onPlatformEvent(event, logs.streamName(environmentId, version)));
      },
    });
    const createRunner = options.createRunner ?? ((def, obs) => new FunctionPool(def, obs));
    const versions = new VersionRegistry(definition, path.join(stateDir, 'versions'));
    const fn = new VersionedFunction({
      versions,
      metrics: lambdaMetrics,
      ...(options.reservedConcurrency !== undefined
        ? { reservedConcurrency: options.reservedConcurrency }
        : {}),
      createFunction: (def) =>
        new TracedFunction(def, createRunner(def, observerFor(functionVersion(def))), segments),
    });
    cleanups.push(() => fn.shutdown());
    // As the deployed stack: the front door integrates the alias, on a version published from the code.
    const alias = options.alias ?? DEFAULTS.alias;
    const first = await versions.publish().catch((error: unknown) => {
      throw new StartupError(`version 1 could not be published: ${(error as Error).message}`, {
        cause: error,
      });
    });
    versions.updateAlias(alias, { functionVersion: first });

    const apiMetrics = new ApiGatewayMetrics({ store: metrics });
    const accessLog = new HttpApiAccessLog({ logsDirectory: paths.logs });
    const port = options.port ?? 0;
    const httpApi = await listening('HTTP API', port, () =>
      startHttpApi({
        host,
        port,
        routes: ROUTES,
        // As the stack deploys it: unmatched requests reach the function, which answers 404/405.
        defaultRoute: true,
        function: fn,
        qualifier: alias,
        ...(options.authorizer ? { authorizer: createJwtAuthorizer(options.authorizer) } : {}),
        ...(options.corsOrigins?.length ? { cors: corsPolicy(options.corsOrigins) } : {}),
        ...(options.integrationTimeoutMs ? { integrationTimeoutMs: options.integrationTimeoutMs } : {}),
        onRequest: (request) => {
          guarded(() => apiMetrics.record(request));
          guarded(() => accessLog.record(request));
        },
      }),
    );
    cleanups.push(httpApi.close);
    const lambdaPort = options.lambdaPort ?? 0;
    const invokeApi = await listening('Lambda Invoke API', lambdaPort, () =>
      startInvokeApi({ host, port: lambdaPort, region, functions: new Map([[functionName, fn]]) }),
    );
    cleanups.push(invokeApi.close);

    let closing: Promise<void> | undefined;
    const close = () => {
      closing ??= (async () => {
        // Front doors first (no new invokes), then the environments, then the stores they feed.
        await Promise.all([httpApi.close(), invokeApi.close()]);
        await fn.shutdown().catch(() => undefined);
        segments.close();
        await Promise.all([
          lambdaMetrics.flush(),
          apiMetrics.flush(),
          dynamodbMetering.flush(),
          accessLog.flush(),
        ]);
        await Promise.all([logs.flush(), metrics.flush(), traces.flush()]);
        await runCleanups();
      })();
      return closing;
    };

    return {
      apiUrl: httpApi.url,
      apiId: httpApi.apiId,
      lambdaUrl: invokeApi.url,
      xray: { daemonAddress: daemon.address, endpoint: xrayHttp.url },
      dynamodbEndpoint,
      logsEndpoint: logsApi.url,
      definition,
      node: runtimeNode(),
      resources,
      isolation,
      versions,
      alias,
      paths,
      metrics,
      traces,
      logs,
      close,
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}
