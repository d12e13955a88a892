/**
 * The runtime client's configuration: the variables Lambda gives a managed Node.js runtime,
 * read once. A missing required variable stops the process naming it.
 */

/** The facts the runtime client works from. */
export interface RuntimeConfig {
  /** `host:port` of the Runtime API. */
  readonly runtimeApi: string;
  /** `file.export` (`_HANDLER`). */
  readonly handler: string;
  /** Directory of the function's code (`LAMBDA_TASK_ROOT`). */
  readonly taskRoot: string;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly memoryLimitInMB: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  /** `AWS_LAMBDA_LOG_FORMAT`: `JSON` when the function's log format is JSON. */
  readonly logFormat: 'Text' | 'JSON';
  /** `NODE_PATH`: where packages are looked for, ES module imports included. */
  readonly nodePath: string | undefined;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    process.stderr.write(`runtime: the environment variable ${name} is required\n`);
    process.exit(1);
  }
  return value;
}

/** Reads the configuration from the process environment. */
export function readRuntimeConfig(): RuntimeConfig {
  return {
    runtimeApi: required('AWS_LAMBDA_RUNTIME_API'),
    handler: required('_HANDLER'),
    taskRoot: required('LAMBDA_TASK_ROOT'),
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME ?? '',
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION ?? '$LATEST',
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE ?? '128',
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME ?? '',
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME ?? '',
    logFormat: process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON' ? 'JSON' : 'Text',
    nodePath: process.env.NODE_PATH,
  };
}

/**
 * Sets or clears `_X_AMZN_TRACE_ID` for the invocation: the one variable a runtime writes,
 * because tracing libraries read the current trace from it.
 */
export function setTraceId(traceId: string | undefined): void {
  if (traceId) process.env._X_AMZN_TRACE_ID = traceId;
  else delete process.env._X_AMZN_TRACE_ID;
}
