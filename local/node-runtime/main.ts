/**
 * The emulated managed Node.js runtime (`nodejs24.x`): loads `_HANDLER` from `LAMBDA_TASK_ROOT`,
 * then loops on the Runtime API — `next`, run the handler (async or callback style), post the
 * response or the error. Init failures go to `/init/error`; an uncaught exception or unhandled
 * rejection during an invocation is posted as its error and ends the process, as in Lambda.
 */
import { readRuntimeConfig, setTraceId } from './config';
import { patchConsole, setLogRequestId } from './console-format';
import { type Handler, InitError, loadHandler } from './handler-loader';
import { searchNodePathForImports } from './node-path-imports';
import { type ErrorDocument, RuntimeClient } from './runtime-client';

const config = readRuntimeConfig();
const client = new RuntimeClient(config.runtimeApi);

function errorDocument(error: unknown, fallbackType = 'Error'): ErrorDocument {
  if (error instanceof InitError) {
    return {
      errorType: error.errorType,
      errorMessage: error.message,
      trace: (error.stack ?? '').split('\n'),
    };
  }
  if (error instanceof Error) {
    const name = error.name && error.name !== 'Error' ? error.name : error.constructor?.name || fallbackType;
    return { errorType: name, errorMessage: error.message, trace: (error.stack ?? '').split('\n') };
  }
  return {
    errorType: typeof error === 'string' ? 'string' : fallbackType,
    errorMessage: String(error),
    trace: [],
  };
}

let currentRequestId: string | undefined;
let responded = false;

async function failCurrent(error: unknown, errorType: string, exitCode: number): Promise<never> {
  const document = { ...errorDocument(error), ...(errorType ? { errorType } : {}) };
  console.error(`${document.errorType}`, document.errorMessage);
  try {
    if (currentRequestId && !responded) await client.postError(currentRequestId, document);
  } finally {
    process.exit(exitCode);
  }
}

process.on('uncaughtException', (error) => {
  void failCurrent(error, '', 129);
});
process.on('unhandledRejection', (reason) => {
  void failCurrent(reason, 'Runtime.UnhandledPromiseRejection', 128);
});

interface Context {
  callbackWaitsForEmptyEventLoop: boolean;
  readonly functionName: string;
  readonly functionVersion: string;
  readonly invokedFunctionArn: string;
  readonly memoryLimitInMB: string;
  readonly awsRequestId: string;
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly clientContext?: unknown;
  readonly identity?: unknown;
  getRemainingTimeInMillis(): number;
  done(error?: unknown, result?: unknown): void;
  fail(error: unknown): void;
  succeed(result: unknown): void;
}

function decodeJson(value: string | string[] | undefined, base64: boolean): unknown {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return JSON.parse(base64 ? Buffer.from(value, 'base64').toString('utf8') : value);
  } catch {
    return undefined;
  }
}

/** Runs the handler to its result: a returned promise, or the callback (after the event loop drains, by default). */
function runHandler(handler: Handler, event: unknown, context: Context): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let finished = false;
    const finish = (error: unknown, result: unknown) => {
      if (finished) return;
      finished = true;
      if (error !== undefined && error !== null) reject(error);
      else resolve(result);
    };
    const callback = (error?: unknown, result?: unknown) => {
      if (context.callbackWaitsForEmptyEventLoop) process.once('beforeExit', () => finish(error, result));
      else finish(error, result);
    };
    context.done = callback;
    context.succeed = (result) => callback(null, result);
    context.fail = (error) => callback(error ?? 'handled');
    let returned: unknown;
    try {
      returned = handler.length >= 3 ? handler(event, context, callback) : handler(event, context);
    } catch (error) {
      finish(error, undefined);
      return;
    }
    if (returned && typeof (returned as PromiseLike<unknown>).then === 'function') {
      (returned as PromiseLike<unknown>).then(
        (result) => finish(undefined, result),
        (error: unknown) => finish(error ?? new Error('Promise rejected without a reason'), undefined),
      );
    } else if (handler.length < 3) {
      finish(undefined, returned);
    }
  });
}

async function init(): Promise<Handler> {
  patchConsole(config.logFormat);
  try {
    searchNodePathForImports(config.nodePath);
    return await loadHandler(config.taskRoot, config.handler);
  } catch (error) {
    const document = errorDocument(error);
    console.error(`${document.errorType}: ${document.errorMessage}`);
    await client.postInitError(document);
    process.exit(129);
  }
}

async function loop(handler: Handler): Promise<never> {
  for (;;) {
    const { headers, body } = await client.next();
    const requestId = String(headers['lambda-runtime-aws-request-id']);
    const deadlineMs = Number(headers['lambda-runtime-deadline-ms']);
    currentRequestId = requestId;
    responded = false;
    setLogRequestId(requestId);
    setTraceId(headers['lambda-runtime-trace-id'] as string | undefined);
    const clientContext = decodeJson(headers['lambda-runtime-client-context'], true);
    const identity = decodeJson(headers['lambda-runtime-cognito-identity'], false);
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: config.functionName,
      functionVersion: config.functionVersion,
      invokedFunctionArn: String(headers['lambda-runtime-invoked-function-arn'] ?? ''),
      memoryLimitInMB: config.memoryLimitInMB,
      awsRequestId: requestId,
      logGroupName: config.logGroupName,
      logStreamName: config.logStreamName,
      ...(clientContext !== undefined ? { clientContext } : {}),
      ...(identity !== undefined ? { identity } : {}),
      getRemainingTimeInMillis: () => Math.max(0, deadlineMs - Date.now()),
      done: () => {},
      fail: () => {},
      succeed: () => {},
    };
    let event: unknown;
    try {
      event = body.length === 0 ? undefined : JSON.parse(body.toString('utf8'));
    } catch {
      event = body.toString('utf8');
    }
    try {
      const result = await runHandler(handler, event, context);
      const json = JSON.stringify(result === undefined ? null : result);
      responded = true;
      await client.postResponse(requestId, json);
    } catch (error) {
      const document = errorDocument(error);
      console.error('Invoke Error', JSON.stringify(document));
      responded = true;
      await client.postError(requestId, document);
    }
  }
}

// Top-level await would make a bundler wrap the module; a plain promise chain starts fastest.
void init().then(loop);
