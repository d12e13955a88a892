/**
 * The API Gateway HTTP API front door: real HTTP in, payload 2.0 events to the function, the
 * function's result mapped back, with API Gateway's limits and its own error answers.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { settledWithin } from '../../common/deadline';
import type { CorsPolicy } from '../../infra/cors-policy';
import type { JwtAuthorizer, JwtAuthorizerContext } from '../auth/jwt-authorizer';
import { listen } from '../http-listen';
import type { FunctionInvoker } from '../traced-function';
import { ThrottledError } from '../versions/versioned-function';
import { LOCAL_ACCOUNT_ID } from '../xray/lambda-segments';
import { formatTraceHeader, newTraceId, parseTraceHeader } from '../xray/trace-header';
import { isPreflight, preflightResponse, withCorsHeaders } from './cors';
import { buildHttpApiEvent } from './event';
import { GATEWAY_RESPONSES, type HttpResponse, mapLambdaResult } from './response';
import { DEFAULT_ROUTE_KEY, type RouteDefinition, selectRoute } from './routes';

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
  /**
   * A `$default` route to the same function for requests no route matches, so the function answers
   * them; @default false (API Gateway answers them `404 {"message":"Not Found"}` itself)
   */
  readonly defaultRoute?: boolean;
  /** The JWT authorizer on every route of `routes` (never on `$default`); absent: the API is open. */
  readonly authorizer?: JwtAuthorizer;
  /** The API's CORS configuration; absent: none, and no CORS headers are added or removed. */
  readonly cors?: CorsPolicy;
  /** Told of every answered request (metrics, access log); it must not throw, and is guarded anyway. */
  readonly onRequest?: (request: CompletedRequest) => void;
}

/** One answered request as API Gateway accounts for it (metrics and access log). */
export interface CompletedRequest {
  readonly apiId: string;
  /** `$context.requestId`, also sent as `apigw-requestid`. */
  readonly requestId: string;
  readonly time: Date;
  readonly httpMethod: string;
  /** The path without the query string. */
  readonly path: string;
  readonly protocol: string;
  readonly sourceIp: string;
  readonly userAgent?: string;
  /** The selected route; absent when none matched (a 404). */
  readonly routeKey?: string;
  readonly status: number;
  readonly requestBytes: number;
  readonly responseBytes: number;
  /** Arrival to the last byte of the answer, in ms. */
  readonly latencyMs: number;
  /** Present only when the integration was called. */
  readonly integration?: IntegrationOutcome;
  /** Why the authorizer refused the request. */
  readonly authorizerError?: string;
}

/** What the Lambda integration gave back. */
interface IntegrationOutcome {
  readonly latencyMs: number;
  /** The Lambda service's status (200 even for a function error, 429 throttled); absent on a timeout. */
  readonly status?: number;
  /** The Lambda request id. */
  readonly requestId?: string;
  /** The trace id (`Root`) the invocation ran under. */
  readonly traceId: string;
  readonly errorMessage?: string;
}

export interface HttpApi {
  readonly url: string;
  /** The API's id: `requestContext.apiId` and the `ApiId` dimension of its metrics. */
  readonly apiId: string;
  readonly port: number;
  readonly close: () => Promise<void>;
}

class RequestTooLarge extends Error {}

/** The `error_description` of the authorizer's challenge: what `$context.authorizer.error` holds. */
const challengeError = (challenge: string): string | undefined =>
  /error_description="([^"]*)"/.exec(challenge)?.[1];

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

/** What one request went through, filled in as it goes, for its {@link CompletedRequest}. */
interface Exchange {
  readonly requestId: string;
  readonly time: Date;
  readonly startedAt: number;
  requestBytes: number;
  routeKey?: string;
  authorizerError?: string;
  integration?: IntegrationOutcome;
  answer?: HttpResponse;
}

/** Milliseconds since `startedAt`, whole as API Gateway reports them. */
const elapsedMs = (startedAt: number): number => Math.round(performance.now() - startedAt);

/** Lambda's errors for a function that failed: the integration answered, with an error. */
const functionErrorMessage = (errorType: string | undefined): string =>
  `The Lambda function returned the following error: "${errorType ?? 'Unhandled'}". Check your Lambda function code and try again.`;

/** Starts the front door. */
export async function startHttpApi(options: HttpApiOptions): Promise<HttpApi> {
  const apiId = options.apiId ?? randomBytes(5).toString('hex');
  const integrationTimeoutMs = options.integrationTimeoutMs ?? INTEGRATION_TIMEOUT_MS;

  function reply(
    request: IncomingMessage,
    response: ServerResponse,
    exchange: Exchange,
    result: HttpResponse,
    close = false,
  ): void {
    if (response.headersSent) return;
    const answer = options.cors ? withCorsHeaders(options.cors, request.headers, result) : result;
    exchange.answer = answer;
    send(response, answer, exchange.requestId, close);
  }

  async function handle(
    request: IncomingMessage,
    response: ServerResponse,
    exchange: Exchange,
  ): Promise<void> {
    const { requestId, time } = exchange;
    let body: Buffer;
    try {
      body = await readBody(request);
    } catch (error) {
      if (error instanceof RequestTooLarge) {
        exchange.requestBytes = Number(request.headers['content-length'] ?? 0);
        reply(request, response, exchange, GATEWAY_RESPONSES.tooLarge(), true);
      } else response.destroy();
      return;
    }
    exchange.requestBytes = body.length;
    const target = request.url ?? '/';
    const rawPath = target.split('?')[0]!;
    // With a CORS configuration API Gateway answers preflights itself, before any route or
    // authorizer: the browser sends no token on a preflight, and the function is never invoked.
    if (options.cors && isPreflight(request.method ?? 'GET', request.headers)) {
      exchange.answer = preflightResponse(options.cors, request.headers);
      send(response, exchange.answer, requestId);
      return;
    }
    const route = selectRoute(options.routes, request.method ?? 'GET', rawPath, options.defaultRoute);
    if (!route) {
      reply(request, response, exchange, GATEWAY_RESPONSES.notFound());
      return;
    }
    exchange.routeKey = route.routeKey;
    // API Gateway selects the route first (an unknown route is a 404 even without a token),
    // then runs that route's authorizer before any integration.
    let jwt: JwtAuthorizerContext | undefined;
    if (options.authorizer && route.routeKey !== DEFAULT_ROUTE_KEY) {
      const header = request.headers.authorization;
      const result = await options.authorizer.authorize(header);
      if (!result.authorized) {
        exchange.authorizerError = challengeError(result.challenge);
        reply(request, response, exchange, GATEWAY_RESPONSES.unauthorized(result.challenge));
        return;
      }
      jwt = result.jwt;
    }
    // The client's trace is honoured; otherwise a new one starts, sampled.
    const caller = parseTraceHeader(request.headers['x-amzn-trace-id'] as string | undefined);
    const trace = caller ?? { root: newTraceId(time.getTime()), sampled: true, extra: [] };
    const traceHeader = formatTraceHeader(trace);
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
      reply(request, response, exchange, GATEWAY_RESPONSES.tooLarge());
      return;
    }
    const integrationStart = performance.now();
    const invoke = options.function.invoke({
      payload,
      traceHeader,
      ...(options.qualifier ? { qualifier: options.qualifier } : {}),
    });
    // The function may still fail after a 504 was sent; that rejection is already answered.
    invoke.catch(() => undefined);
    let outcome: Awaited<typeof invoke> | 'timeout';
    try {
      outcome = await withinIntegrationTimeout(invoke, integrationTimeoutMs);
    } catch (error) {
      // Lambda refused the invocation (429), or the pool could not run it at all.
      exchange.integration = {
        latencyMs: elapsedMs(integrationStart),
        traceId: trace.root,
        ...(error instanceof ThrottledError ? { status: 429, errorMessage: 'Rate Exceeded.' } : {}),
      };
      throw error;
    }
    exchange.integration =
      outcome === 'timeout'
        ? { latencyMs: elapsedMs(integrationStart), traceId: trace.root }
        : {
            latencyMs: elapsedMs(integrationStart),
            // Lambda answers 200 for a function error too; the error is in the payload.
            status: 200,
            requestId: outcome.requestId,
            traceId: trace.root,
            ...(outcome.status === 'success'
              ? {}
              : { errorMessage: functionErrorMessage(outcome.errorType) }),
          };
    reply(
      request,
      response,
      exchange,
      outcome === 'timeout' ? GATEWAY_RESPONSES.timeout() : mapLambdaResult(outcome),
    );
  }

  /** Tells `onRequest` of an answered request once its response is done (or its client gone). */
  function completed(request: IncomingMessage, exchange: Exchange): void {
    const answer = exchange.answer;
    if (!answer || !options.onRequest) return;
    const userAgent = request.headers['user-agent'];
    try {
      options.onRequest({
        apiId,
        requestId: exchange.requestId,
        time: exchange.time,
        httpMethod: request.method ?? 'GET',
        path: (request.url ?? '/').split('?')[0]!,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: (request.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
        ...(userAgent ? { userAgent } : {}),
        ...(exchange.routeKey ? { routeKey: exchange.routeKey } : {}),
        status: answer.statusCode,
        requestBytes: exchange.requestBytes,
        responseBytes: answer.body.length,
        latencyMs: elapsedMs(exchange.startedAt),
        ...(exchange.integration ? { integration: exchange.integration } : {}),
        ...(exchange.authorizerError ? { authorizerError: exchange.authorizerError } : {}),
      });
    } catch {
      // Metrics and access logs never break the request they describe.
    }
  }

  const server: Server = createServer((request, response) => {
    const exchange: Exchange = {
      requestId: newRequestId(),
      time: new Date(),
      startedAt: performance.now(),
      requestBytes: 0,
    };
    response.once('close', () => completed(request, exchange));
    handle(request, response, exchange).catch((error: unknown) => {
      // A throttled function is a 500 from API Gateway (Lambda's 429 is not passed on); an invoke
      // the pool could not run at all (shutting down, spawn failure) is, to the client, what API
      // Gateway answers when the integration fails.
      reply(
        request,
        response,
        exchange,
        error instanceof ThrottledError ? GATEWAY_RESPONSES.throttled() : GATEWAY_RESPONSES.internalError(),
      );
    });
  });
  return { ...(await listen(server, options.port, options.host)), apiId };
}
