/**
 * The public contract of the execution-environment core: what a front door (HTTP API, Invoke
 * API, CLI) gives a {@link FunctionPool} and what it gets back. Everything else under
 * `local/environment/` and `local/apis/` is internal.
 *
 * Log streams: the core emits `function` lines (the runtime process's stdout/stderr) and
 * `extension` lines (each extension process's stdout/stderr, `source` = extension name). It does
 * NOT write Lambda's `START`/`END`/`REPORT`/`INIT_START` lines: those are derived by the consumer
 * from the platform events passed to {@link SandboxObserver.onPlatformEvent} (`platform.start`,
 * `platform.runtimeDone`, `platform.report`, `platform.initStart`). The `platform` stream value is
 * reserved for such derived lines.
 */

/** A function as the sandbox runs it: the subset of a Lambda function configuration that matters locally. */
export interface FunctionDefinition {
  /** Function name (`AWS_LAMBDA_FUNCTION_NAME`, log group `/aws/lambda/<name>`). */
  name: string;
  /** Absolute directory holding the code (`LAMBDA_TASK_ROOT`). An executable `bootstrap` here selects the custom runtime. */
  codeDir: string;
  /** `file.export` relative to `codeDir` (`_HANDLER`), e.g. `index.handler`. */
  handler: string;
  /**
   * `AWS_LAMBDA_FUNCTION_MEMORY_SIZE` and `memorySizeMB` in reports. Where cgroups are available
   * (and not turned off by `unconstrained`), also the environment's memory limit and its CPU
   * share (1,769 MB = one vCPU).
   */
  memoryMb: number;
  /** The function timeout; it covers the whole invoke phase (runtime and extensions). */
  timeoutSec: number;
  /** Absolute layer directories, as `/opt`; executables in each `<layer>/extensions/` start as external extensions. */
  layers: string[];
  /**
   * The function's configured variables: reach the runtime AND the extensions. They override the
   * sandbox's defaults (`TELEMETRY_*`, dummy credentials, `AWS_XRAY_DAEMON_ADDRESS`...), but not the
   * variables the platform reserves (`AWS_LAMBDA_RUNTIME_API`, `_HANDLER`, `LAMBDA_TASK_ROOT`...).
   */
  environment: Record<string, string>;
  /** Maximum number of execution environments alive at once; invokes beyond it queue. */
  concurrency: number;
  /** Freeze an environment's processes between invokes, as Lambda does (freezer cgroup, else SIGSTOP/SIGCONT). */
  freeze: boolean;
  /**
   * Run without Lambda's CPU and memory limits even where cgroups are available.
   * @default false
   */
  unconstrained?: boolean;
  /**
   * Run on the host's filesystem and network even where namespaces would give each environment
   * Lambda's (`/var/task`, `/opt`, a private `/tmp`, its own `127.0.0.1`).
   * @default false
   */
  shareHost?: boolean;
  /**
   * Variables of {@link environment} whose loopback addresses are the sandbox's own services (its
   * stand-ins' endpoints, variables passed through from its own environment). In an environment
   * with its own network they are rewritten to where the sandbox is reached from inside, and
   * `AWS_XRAY_DAEMON_ADDRESS` to Lambda's daemon address; in every other variable, as in Lambda,
   * `127.0.0.1` and `localhost` mean the environment itself.
   * @default none
   */
  sandboxEndpoints?: readonly string[];
  /** An environment idle this long is shut down (reason `spindown`). */
  idleTimeoutMs: number;
  /** `AWS_REGION` / `AWS_DEFAULT_REGION`, and the region in ARNs. */
  region: string;
  /**
   * The version the environments run and report (`AWS_LAMBDA_FUNCTION_VERSION`, `functionVersion`
   * at registration, `platform.start`'s `version`): a published version's number, or `$LATEST`.
   * @default '$LATEST'
   */
  version?: string;
  /**
   * Lambda's log format (`LoggingConfig.LogFormat`): `Text` lines, or `JSON` objects for the
   * runtime's console lines and the platform's own lines, which Logs Insights reads as fields.
   * @default 'Text'
   */
  logFormat?: LogFormat;
}

/** Lambda's two log formats. */
export type LogFormat = 'Text' | 'JSON';

/** The resources the environments of a function get. */
export interface EnvironmentResources {
  /** Lambda's CPU and memory limits apply (each environment runs in its own cgroups). */
  readonly constrained: boolean;
  /** Why they do not, in one line. */
  readonly reason?: string;
  /** vCPUs during invokes: memory / 1,769 MB, capped at the cores present. */
  readonly cpuShare?: number;
  /** The memory limit of an environment (runtime and extensions together). */
  readonly memoryLimitMb?: number;
}

/** What the environments of a function see. */
export type EnvironmentIsolation =
  /** Each has its own mount and network namespace: Lambda's paths and addresses. */
  | { readonly isolated: true }
  /** They share the host's filesystem and network; `reason` says why, in one line. */
  | { readonly isolated: false; readonly reason: string };

/** One synchronous (RequestResponse) invocation. */
export interface InvokeInput {
  /** The event, passed to the runtime byte for byte. */
  payload: Buffer;
  /**
   * `X-Amzn-Trace-Id` of the caller (`Root=…;Parent=…;Sampled=1`). When sampled, the runtime sees
   * the same Root with `Parent` = a new function segment id (reported as `spanId` in
   * `platform.start.tracing`). Without it a fresh unsampled trace is made, as Lambda does
   * without active tracing.
   */
  traceHeader?: string;
  /** Base64 client context (`Lambda-Runtime-Client-Context`). */
  clientContext?: string;
  /** The request id, when the front door assigned it (Lambda's front end does); @default a new UUID */
  requestId?: string;
  /**
   * The ARN the caller invoked, qualified as it was (`…:function:todos:live`), as the runtime and
   * the extensions see it; @default the function's unqualified ARN
   */
  invokedFunctionArn?: string;
}

/** Outcome status, as in `platform.runtimeDone`/`platform.report`. */
export type InvokeStatus = 'success' | 'error' | 'timeout' | 'failure';

/** What the caller of an invoke gets, as soon as the runtime responded (or failed). */
export interface InvokeOutput {
  requestId: string;
  /**
   * `success`: the function's response. `error`: a function error (payload is Lambda's error
   * JSON). `timeout`: `Sandbox.Timedout`. `failure`: the runtime or an extension crashed, or init failed.
   */
  status: InvokeStatus;
  /** The response body, or `{errorType?, errorMessage, trace?}` on error. */
  payload: Buffer;
  /** Set when status is not `success`: `Runtime.ExitError`, `Sandbox.Timedout`, `Extension.Crash`, the handler's error name... */
  errorType?: string;
  /** The invocation's own function and extension lines (last 4 KB), for `X-Amz-Log-Type: Tail`. */
  logTail: string;
  /** The environment that served the invoke (matches `environmentId` in observer calls). */
  environmentId: string;
}

/** One line of output of a process of an environment. */
export interface LogEntry {
  environmentId: string;
  stream: 'function' | 'extension' | 'platform';
  /** For `extension` lines: the extension's name. */
  source?: string;
  line: string;
  time: Date;
}

/** A Telemetry API event, exactly as delivered to subscribers (schema 2022-12-13 shape). */
export interface PlatformEvent {
  /** ISO-8601 time with milliseconds. */
  time: string;
  /** `platform.initStart`, `platform.start`, `platform.report`, ... */
  type: string;
  record: unknown;
}

/** Receives everything the environments produce. Must not throw (exceptions are swallowed). */
export interface SandboxObserver {
  onLog(entry: LogEntry): void;
  /** Every platform event of every environment, in order, whether or not anyone subscribed. */
  onPlatformEvent(environmentId: string, event: PlatformEvent): void;
}
