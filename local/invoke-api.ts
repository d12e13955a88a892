/**
 * The Lambda Invoke API (`POST /2015-03-31/functions/{FunctionName}/invocations`), so that
 * `aws lambda invoke --endpoint-url` and the AWS SDK's `LambdaClient` reach the sandbox's
 * functions. Invocation types `RequestResponse`, `Event` (accepted, run in the background) and
 * `DryRun`; `X-Amz-Log-Type: Tail`; errors with Lambda's status codes and error types.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { InvokeOutput } from './environment/types';
import { listen } from './http-listen';
import type { FunctionInvoker } from './traced-function';
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
  ) {
    super(message);
  }
}

/**
 * The function name and qualifier of a `FunctionName` path parameter: a name, `name:qualifier`,
 * a partial ARN (`123456789012:function:name`) or a full ARN, optionally qualified.
 */
function parseFunctionName(value: string): { name: string; qualifier?: string } {
  const parts = value.split(':');
  let rest = parts;
  if (parts[0] === 'arn') rest = parts.slice(6);
  else if (parts[1] === 'function') rest = parts.slice(2);
  const [name = '', qualifier] = rest;
  return qualifier === undefined ? { name } : { name, qualifier };
}

/** The invocation's log for `X-Amz-Log-Result`: Lambda's START/END lines around its output, last 4 KB. */
function logResult(output: InvokeOutput): string {
  const tail = output.logTail && !output.logTail.endsWith('\n') ? `${output.logTail}\n` : output.logTail;
  const log = Buffer.from(
    `START RequestId: ${output.requestId} Version: $LATEST\n${tail}END RequestId: ${output.requestId}\n`,
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
  response.end(JSON.stringify({ Type: error.status < 500 ? 'User' : 'Service', Message: error.message }));
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
    const parsed = parseFunctionName(decodeURIComponent(match[1]!));
    const qualifier = url.searchParams.get('Qualifier') ?? parsed.qualifier;
    const fn = options.functions.get(parsed.name);
    if (!fn || (qualifier !== undefined && qualifier !== '$LATEST')) {
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
    });
    if (invocationType === 'Event') {
      // Lambda queues the event and answers at once; the outcome only reaches the logs.
      invocation.catch(() => undefined);
      response.writeHead(202, { 'content-length': '0' }).end();
      return;
    }
    const output = await invocation;
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-amzn-requestid': output.requestId,
      'x-amz-executed-version': '$LATEST',
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
