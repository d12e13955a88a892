/**
 * The API Gateway HTTP API front door: real HTTP in, payload 2.0 events to the function, the
 * function's result mapped back, with API Gateway's limits and its own error answers.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { settledWithin } from '../../common/deadline';
import type { JwtAuthorizer, JwtAuthorizerContext } from '../auth/jwt-authorizer';
import { listen } from '../http-listen';
import type { FunctionInvoker } from '../traced-function';
import { ThrottledError } from '../versions/versioned-function';
import { LOCAL_ACCOUNT_ID } from '../xray/lambda-segments';
import { formatTraceHeader, newTraceId, parseTraceHeader } from '../xray/trace-header';
import { buildHttpApiEvent } from './event';
import { GATEWAY_RESPONSES, type HttpResponse, mapLambdaResult } from './response';
import { type RouteDefinition, selectRoute } from './routes';

/** API Gateway's request payload limit. */
const MAX_REQUEST_BYTES = 10 * 1024 * 1024;
/** Lambda's synchronous invocation payload limit: an event above it never reaches the function. */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** HTTP API's maximum integration timeout. */
const INTEGRATION_TIMEOUT_MS = 30_000;

export interface HttpApiOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly routes: readonly RouteDefinition[];
  readonly function: FunctionInvoker;
  /** The alias (or version) the integration names, as the integration URI's qualified ARN does; @default none */
  readonly qualifier?: string;
  /** @default INTEGRATION_TIMEOUT_MS */
  readonly integrationTimeoutMs?: number;
  /** @default a random 10-character id, fixed for the server's life */
  readonly apiId?: string;
  /** The JWT authorizer on every route; absent: the API is open. */
  readonly authorizer?: JwtAuthorizer;
}

export interface HttpApi {
  readonly url: string;
  readonly port: number;
  readonly close: () => Promise<void>;
}

class RequestTooLarge extends Error {}

/** API Gateway request ids look like `JKJaXmPLvHcESHA=`: 11 random bytes, base64. */
const newRequestId = (): string => randomBytes(11).toString('base64');

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const declared = Number(request.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BYTES) throw new RequestTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > MAX_REQUEST_BYTES) throw new RequestTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function send(response: ServerResponse, result: HttpResponse, requestId: string, close = false): void {
  if (response.headersSent) return;
  const headers: [string, string][] = [
    ...result.headers.map(([name, value]) => [name, value] as [string, string]),
  ];
  headers.push(['apigw-requestid', requestId]);
  if (close) headers.push(['connection', 'close']);
  // writeHead with a flat array keeps repeated names (several set-cookie) apart.
  response.writeHead(result.statusCode, headers.flat());
  response.end(result.body);
}

/** Races the integration against the timeout; the function keeps running after a 504, as in AWS. */
async function withinIntegrationTimeout<T>(work: Promise<T>, timeoutMs: number): Promise<T | 'timeout'> {
  return (await settledWithin(work, timeoutMs)) ? work : 'timeout';
}

/** Starts the front door. */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const apiId = options.apiId ?? randomBytes(5).toString('hex');
  const integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const requestId = newRequestId();
    const time = new Date();
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof RequestTooLarge) send(response, GATEWAY_RESPONSES.tooLarge(), requestId, true);
      else response.destroy();
      return;
    }
    const target = request.url ?? '/';
    const rawPath = target.split('?')[0]!;
    const route = selectRoute(options.routes, request.method ?? 'GET', rawPath);
    if (!route) {
      send(response, GATEWAY_RESPONSES.notFound(), requestId);
      return;
    }
    // API Gateway selects the route first (an unknown route is a 404 even without a token),
    // then runs that route's authorizer before any integration.
    let jwt: JwtAuthorizerContext | undefined;
    if (options.authorizer) {
      const header = request.headers.authorization;
      const result = await options.authorizer.authorize(header);
      if (!result.authorized) {
        send(response, GATEWAY_RESPONSES.unauthorized(result.challenge), requestId);
        return;
      }
      jwt = result.jwt;
    }
    // The client's trace is honoured; otherwise a new one starts, sampled.
    const caller = parseTraceHeader(request.headers['x-amzn-trace-id'] as string | undefined);
    const traceHeader = formatTraceHeader(
      caller ?? { root: newTraceId(time.getTime()), sampled: true, extra: [] },
    );
    const event = buildHttpApiEvent(
      {
        method: request.method ?? 'GET',
        target,
        rawHeaders: request.rawHeaders,
        body,
        sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        protocol: `HTTP/${request.httpVersion}`,
        port: request.socket.localPort ?? 0,
      },
      { route, requestId, time, traceHeader, apiId, accountId: LOCAL_ACCOUNT_ID, ...(jwt ? { jwt } : {}) },
    );
    const payload = Buffer.from(JSON.stringify(event));
    if (payload.length > MAX_EVENT_BYTES) {
      send(response, GATEWAY_RESPONSES.tooLarge(), requestId);
      return;
    }
    const invoke = options.function.invoke({
      payload,
      traceHeader,
      ...(options.qualifier ? { qualifier: options.qualifier } : {}),
    });
    // The function may still fail after a 504 was sent; that rejection is already answered.
    invoke.catch(() => undefined);
    const outcome = await withinIntegrationTimeout(invoke, integrationTimeoutMs);
    send(response, outcome === 'timeout' ? GATEWAY_RESPONSES.timeout() : mapLambdaResult(outcome), requestId);
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      // A throttled function is a 500 from API Gateway (Lambda's 429 is not passed on); an invoke
      // the pool could not run at all (shutting down, spawn failure) is, to the client, what API
      // Gateway answers when the integration fails.
      send(
        response,
        error instanceof ThrottledError ? GATEWAY_RESPONSES.throttled() : GATEWAY_RESPONSES.internalError(),
        newRequestId(),
      );
    });
  });
  return listen(server, options.port, options.host);
}
