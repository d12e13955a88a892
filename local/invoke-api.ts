/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{FunctionName}/invocations`), so that
 * `aws lambda invoke --endpoint-url` and the AWS SDK's `LambdaClient` reach the sandbox's
 * functions. Invocation types `RequestResponse`, `Event` (accepted, run in the background) and
 * `DryRun`; `X-Amz-Log-Type: Tail`; qualifiers (`$LATEST`, a version, an alias) in the name, the
 * ARN or `?Qualifier=`; `X-Amz-Executed-Version`; errors with Lambda's status codes and error types.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { listen } from './http-listen';
import type { FunctionInvoker, InvokeResult } from './traced-function';
import { ThrottledError, UnknownQualifierError } from './versions/versioned-function';
import { LOCAL_ACCOUNT_ID } from './xray/lambda-segments';

/** Synchronous invocation payload limit (request and response): 6 MB. */
const MAX_SYNC_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** Asynchronous (`Event`) invocation payload limit: 1 MB. */
const MAX_ASYNC_PAYLOAD_BYTES = 1024 * 1024;
/** `X-Amz-Log-Result` holds the last 4 KB of the invocation's log. */
const LOG_TAIL_BYTES = 4096;
const INVOKE_PATH = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

export interface InvokeApiOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly region: string;
  readonly functions: ReadonlyMap<string, FunctionInvoker>;
}

export interface InvokeApi {
  /** `http://127.0.0.1:<port>`: the endpoint for `LambdaClient` or `--endpoint-url`. */
  readonly url: string;
  readonly port: number;
  readonly close: () => Promise<void>;
}

/** An error answered the way the Lambda service answers it. */
class LambdaServiceError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
    /** More members of the error document (`Reason` of a throttle). */
    readonly extra: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }
}

/** A version number, `$LATEST` or an alias name, as Lambda's `Qualifier` pattern allows. */
const QUALIFIER = /^[A-Za-z0-9$_-]{1,128}$/;

/**
 * The function name and qualifier of a `FunctionName` path parameter: a name, `name:qualifier`,
 * a partial ARN (`123456789012:function:name`) or a full ARN
 * (`arn:aws:lambda:us-east-1:123456789012:function:name`), optionally qualified.
 */
function parseFunctionName(value: string): { name: string; qualifier?: string } {
  const parts = value.split(':');
  let rest = parts;
  if (parts[0] === 'arn' && parts[5] === 'function') rest = parts.slice(6);
  else if (parts[1] === 'function') rest = parts.slice(2);
  const [name = '', qualifier, ...more] = rest;
  if (more.length > 0 || name === '' || (qualifier !== undefined && !QUALIFIER.test(qualifier))) {
    throw new LambdaServiceError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${value}' at 'functionName' failed to satisfy constraint: use a name, name:qualifier, or a function ARN`,
    );
  }
  return qualifier === undefined ? { name } : { name, qualifier };
}

/**
 * The qualifier of the call: from the name or ARN, or `?Qualifier=`; both must agree, as Lambda
 * requires.
 */
function qualifierOf(derived: string | undefined, query: string | null): string | undefined {
  if (query === null) return derived;
  if (!QUALIFIER.test(query)) {
    throw new LambdaServiceError(
      400,
      'ValidationException',
      `1 validation error detected: Value '${query}' at 'qualifier' failed to satisfy constraint: Member must satisfy regular expression pattern: (|[a-zA-Z0-9$_-]+)`,
    );
  }
  if (derived !== undefined && derived !== query) {
    throw new LambdaServiceError(
      400,
      'InvalidParameterValueException',
      `The derived qualifier from the function name (${derived}) does not match the specified qualifier (${query}).`,
    );
  }
  return query;
}

/** The invocation's log for `X-Amz-Log-Result`: Lambda's START/END lines around its output, last 4 KB. */
function logResult(output: InvokeResult): string {
  const tail = output.logTail && !output.logTail.endsWith('\n') ? `${output.logTail}\n` : output.logTail;
  const log = Buffer.from(
    `START RequestId: ${output.requestId} Version: ${output.executedVersion}\n${tail}END RequestId: ${output.requestId}\n`,
  );
  return log.subarray(Math.max(0, log.length - LOG_TAIL_BYTES)).toString('base64');
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      throw new LambdaServiceError(
        413,
        'RequestTooLargeException',
        `Request must be smaller than ${limit} bytes for the InvokeFunction operation`,
      );
    }
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function sendError(response: ServerResponse, error: LambdaServiceError): void {
  if (response.headersSent) return;
  response.writeHead(error.status, {
    'content-type': 'application/json',
    'x-amzn-errortype': error.errorType,
  });
  response.end(
    JSON.stringify({ ...error.extra, Type: error.status < 500 ? 'User' : 'Service', Message: error.message }),
  );
}

/** A failed invoke as Lambda answers it: a throttle is a 429, an unknown qualifier a 404. */
function serviceError(error: unknown, arn: string): LambdaServiceError {
  if (error instanceof ThrottledError) {
    return new LambdaServiceError(429, 'TooManyRequestsException', 'Rate Exceeded.', {
      Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded',
    });
  }
  if (error instanceof UnknownQualifierError) {
    return new LambdaServiceError(404, 'ResourceNotFoundException', `Function not found: ${arn}`);
  }
  return error instanceof LambdaServiceError
    ? error
    : new LambdaServiceError(500, 'ServiceException', 'The sandbox could not run the invocation');
}

/** Starts the Invoke API server. */
export async function startInvokeApi(options: InvokeApiOptions): Promise<InvokeApi> {
  const arnOf = (name: string, qualifier?: string) =>
    `arn:aws:lambda:${options.region}:${LOCAL_ACCOUNT_ID}:function:${name}${qualifier ? `:${qualifier}` : ''}`;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    const match = INVOKE_PATH.exec(url.pathname);
    if (request.method !== 'POST' || !match) {
      request.resume();
      throw new LambdaServiceError(
        404,
        'UnknownOperationException',
        `No operation at ${request.method} ${url.pathname}`,
      );
    }
    let parsed: { name: string; qualifier?: string };
    let qualifier: string | undefined;
    try {
      parsed = parseFunctionName(decodeURIComponent(match[1]!));
      qualifier = qualifierOf(parsed.qualifier, url.searchParams.get('Qualifier'));
    } catch (error) {
      request.resume();
      throw error;
    }
    const fn = options.functions.get(parsed.name);
    if (!fn || (qualifier !== undefined && !fn.has(qualifier))) {
      request.resume();
      throw new LambdaServiceError(
        404,
        'ResourceNotFoundException',
        `Function not found: ${arnOf(parsed.name, qualifier)}`,
      );
    }
    const invocationType =
      (request.headers['x-amz-invocation-type'] as string | undefined) ?? 'RequestResponse';
    if (!['RequestResponse', 'Event', 'DryRun'].includes(invocationType)) {
      request.resume();
      throw new LambdaServiceError(
        400,
        'InvalidParameterValueException',
        `Invalid invocation type ${invocationType}: use RequestResponse, Event or DryRun`,
      );
    }
    const payload = await readBody(
      request,
      invocationType === 'Event' ? MAX_ASYNC_PAYLOAD_BYTES : MAX_SYNC_PAYLOAD_BYTES,
    );
    if (payload.length > 0) {
      try {
        JSON.parse(payload.toString('utf8'));
      } catch {
        throw new LambdaServiceError(
          400,
          'InvalidRequestContentException',
          'Could not parse request body into json',
        );
      }
    }
    if (invocationType === 'DryRun') {
      response.writeHead(204).end();
      return;
    }
    const traceHeader = request.headers['x-amzn-trace-id'] as string | undefined;
    const clientContext = request.headers['x-amz-client-context'] as string | undefined;
    const invocation = fn.invoke({
      payload: payload.length > 0 ? payload : Buffer.from('{}'),
      ...(traceHeader ? { traceHeader } : {}),
      ...(clientContext ? { clientContext } : {}),
      ...(qualifier !== undefined ? { qualifier } : {}),
    });
    if (invocationType === 'Event') {
      // Lambda queues the event and answers at once; the outcome only reaches the logs.
      invocation.catch(() => undefined);
      response.writeHead(202, { 'content-length': '0' }).end();
      return;
    }
    const output = await invocation.catch((error: unknown) => {
      throw serviceError(error, arnOf(parsed.name, qualifier));
    });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-requestid': output.requestId,
      'x-amz-executed-version': output.executedVersion,
    };
    if (output.status !== 'success') headers['x-amz-function-error'] = 'Unhandled';
    if (request.headers['x-amz-log-type'] === 'Tail') headers['x-amz-log-result'] = logResult(output);
    response.writeHead(200, headers);
    response.end(output.payload);
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      sendError(
        response,
        error instanceof LambdaServiceError
          ? error
          : new LambdaServiceError(500, 'ServiceException', 'The sandbox could not run the invocation'),
      );
    });
  });
  return listen(server, options.port, options.host);
}
