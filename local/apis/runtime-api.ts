/**
 * The Runtime API (`2018-06-01`): how a runtime process fetches invocations and posts results.
 * This module parses and answers the HTTP exchanges; the execution environment decides what
 * they mean through {@link RuntimeApiHost}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { InvalidRequestError, NotFoundError } from './api-error';
import { header, parseJson, readBody, sendError, sendJson } from './http-exchange';

const RUNTIME_API_VERSION = '2018-06-01';

/**
 * Largest synchronous response: 6 MiB plus the 100 bytes of slack Lambda allows for the
 * envelope. Above it the runtime gets 413 and the invoker `Function.ResponseSizeTooLarge`.
 */
const MAX_RESPONSE_BYTES = 6 * 1024 * 1024 + 100;

/** Error bodies are small JSON documents; 1 MiB is generous and bounds memory. */
const MAX_ERROR_BODY_BYTES = 1024 * 1024;

/** The invocation a runtime receives from `GET /runtime/invocation/next`. */
export interface RuntimeInvocation {
  readonly requestId: string;
  /** Epoch milliseconds. */
  readonly deadlineMs: number;
  readonly invokedFunctionArn: string;
  readonly traceId?: string;
  readonly clientContext?: string;
  readonly cognitoIdentity?: string;
  readonly payload: Buffer;
}

/** What `POST .../error` carries: Lambda's documented body, plus the `trace` AWS's Node client sends instead of `stackTrace`. */
interface RuntimeErrorRequest {
  readonly errorMessage?: string;
  readonly errorType?: string;
  readonly stackTrace?: string[];
  readonly trace?: string[];
}

/** A runtime's error report as the environment receives it. */
export interface RuntimeErrorReport {
  /** From `Lambda-Runtime-Function-Error-Type`, else the body's `errorType`. */
  readonly errorType: string;
  /** The body as posted (forwarded to the invoker unchanged when it is JSON). */
  readonly body: Buffer;
  readonly parsed?: RuntimeErrorRequest;
  readonly xrayErrorCause?: string;
}

/** The environment side of the Runtime API. Methods throw {@link LambdaApiError}s for the client. */
export interface RuntimeApiHost {
  /** Resolves with the next invocation; never times out (the runtime may be frozen while waiting). */
  nextInvocation(signal: AbortSignal): Promise<RuntimeInvocation>;
  /** Validates that `requestId` may respond now, before its body is read. */
  checkResponse(requestId: string): void;
  postResponse(requestId: string, body: Buffer, firstByteAt: number, lastByteAt: number): void;
  /** Called instead of `postResponse` when the body passed {@link MAX_RESPONSE_BYTES}. */
  responseTooLarge(requestId: string, size: string): void;
  postInvocationError(requestId: string, report: RuntimeErrorReport): void;
  postInitError(report: RuntimeErrorReport): void;
}

const NEXT = `/${RUNTIME_API_VERSION}/runtime/invocation/next`;
const INIT_ERROR = `/${RUNTIME_API_VERSION}/runtime/init/error`;
const INVOCATION = new RegExp(`^/${RUNTIME_API_VERSION}/runtime/invocation/([^/]+)/(response|error)$`);

/** True when the path belongs to this API. */
export function isRuntimeApiPath(path: string): boolean {
  return path.startsWith(`/${RUNTIME_API_VERSION}/runtime/`);
}

/** Serves one Runtime API request. */
export async function handleRuntimeApi(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  host: RuntimeApiHost,
) {
  try {
    if (req.method === 'GET' && path === NEXT) {
      await serveNext(res, host);
      return;
    }
    if (req.method === 'POST' && path === INIT_ERROR) {
      const body = await readBody(req, MAX_ERROR_BODY_BYTES);
      host.postInitError(errorReport(req, body.bytes));
      sendJson(res, 202, { status: 'OK' });
      return;
    }
    const match = req.method === 'POST' ? INVOCATION.exec(path) : null;
    if (match) {
      const requestId = decodeURIComponent(match[1]!);
      host.checkResponse(requestId);
      if (match[2] === 'response') {
        await serveResponse(req, res, requestId, host);
      } else {
        const body = await readBody(req, MAX_ERROR_BODY_BYTES);
        host.postInvocationError(requestId, errorReport(req, body.bytes));
        sendJson(res, 202, { status: 'OK' });
      }
      return;
    }
    throw new NotFoundError(`No Runtime API route for ${req.method} ${path}`);
  } catch (error) {
    req.resume();
    sendError(res, error);
  }
}

async function serveNext(res: ServerResponse, host: RuntimeApiHost) {
  // A runtime that dies while waiting closes the socket; the invocation must not be handed to it.
  const abort = new AbortController();
  res.on('close', () => abort.abort());
  const invocation = await host.nextInvocation(abort.signal);
  const headers: Record<string, string> = {
    'Lambda-Runtime-Aws-Request-Id': invocation.requestId,
    'Lambda-Runtime-Deadline-Ms': String(invocation.deadlineMs),
    'Lambda-Runtime-Invoked-Function-Arn': invocation.invokedFunctionArn,
  };
  if (invocation.traceId) headers['Lambda-Runtime-Trace-Id'] = invocation.traceId;
  if (invocation.clientContext) headers['Lambda-Runtime-Client-Context'] = invocation.clientContext;
  if (invocation.cognitoIdentity) headers['Lambda-Runtime-Cognito-Identity'] = invocation.cognitoIdentity;
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': invocation.payload.length,
    ...headers,
  });
  res.end(invocation.payload);
}

async function serveResponse(
  req: IncomingMessage,
  res: ServerResponse,
  requestId: string,
  host: RuntimeApiHost,
) {
  let body: Awaited<ReturnType<typeof readBody>>;
  try {
    body = await readBody(req, MAX_RESPONSE_BYTES);
  } catch (error) {
    if (error instanceof Error && 'status' in error && error.status === 413) {
      host.responseTooLarge(requestId, header(req, 'content-length') ?? 'unknown');
    }
    throw error;
  }
  host.postResponse(requestId, body.bytes, body.firstByteAt, body.lastByteAt);
  sendJson(res, 202, { status: 'OK' });
}

function errorReport(req: IncomingMessage, body: Buffer): RuntimeErrorReport {
  let parsed: RuntimeErrorRequest | undefined;
  try {
    const value = parseJson(body);
    if (value && typeof value === 'object' && !Array.isArray(value)) parsed = value as RuntimeErrorRequest;
  } catch {
    // Lambda accepts any body here; a non-JSON one is passed on as the error message.
  }
  const errorType =
    header(req, 'Lambda-Runtime-Function-Error-Type') ??
    (typeof parsed?.errorType === 'string' && parsed.errorType !== '' ? parsed.errorType : undefined) ??
    'Unhandled';
  const xrayErrorCause = header(req, 'Lambda-Runtime-Function-XRay-Error-Cause');
  return { errorType, body, ...(parsed ? { parsed } : {}), ...(xrayErrorCause ? { xrayErrorCause } : {}) };
}

/** A request id that is not the current invocation's. */
export function invalidRequestId(requestId: string): InvalidRequestError {
  return new InvalidRequestError('InvalidRequestID', `Invalid request ID: ${requestId}`);
}
