/**
 * API Gateway HTTP API (payload format 2.0) events as the service sends them:
 * lower-cased header names, a fresh request id and trace header per request,
 * the route key and path parameters of the matched route, and a JWT authorizer
 * context when a `sub` is given.
 */
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { ROUTES, routeKey } from '../../functions/todos/routes';

export interface HttpApiEventInit {
  readonly method: string;
  /** Path without the query string, e.g. `/todos/abc`. */
  readonly path: string;
  /** Query string without `?`, or parameters to encode. */
  readonly query?: string | Readonly<Record<string, string>>;
  /** Request headers; names are lower-cased as API Gateway does. */
  readonly headers?: Readonly<Record<string, string>>;
  /** A string is sent as is; anything else as JSON with `content-type: application/json` unless one is given. */
  readonly body?: unknown;
  /** Send the body base64-encoded, as API Gateway does for binary media types. */
  readonly base64?: boolean;
  /** The JWT `sub` claim; without it the event has no authorizer context. */
  readonly sub?: string;
  /** Stage name; `$default` (the default) puts no prefix on the path. */
  readonly stage?: string;
  /** `X-Amzn-Trace-Id` header; a fresh one by default, none when null. */
  readonly traceHeader?: string | null;
}

/** A fresh X-Ray trace header: `Root=1-<epoch s hex>-<24 hex>;Parent=<16 hex>;Sampled=1`. */
export function newTraceHeader(): string {
  const epoch = Math.floor(Date.now() / 1000).toString(16);
  return `Root=1-${epoch}-${randomBytes(12).toString('hex')};Parent=${randomBytes(8).toString('hex')};Sampled=1`;
}

/** API Gateway's request ids look like `JqFf0jwjIAMEMhA=`: 10 random bytes in base64. */
function newRequestId(): string {
  return randomBytes(10).toString('base64');
}

/** Builds an HTTP API v2 event. */
export function httpApiEvent(init: HttpApiEventInit): APIGatewayProxyEventV2WithJWTAuthorizer {
  const now = new Date();
  const stage = init.stage ?? '$default';
  const rawPath = stage === '$default' ? init.path : `/${stage}${init.path}`;
  const rawQueryString =
    typeof init.query === 'string' ? init.query : new URLSearchParams(init.query ?? {}).toString();
  const headers: Record<string, string> = {
    accept: '*/*',
    host: 'abc123.execute-api.us-east-1.amazonaws.com',
    'user-agent': 'curl/8.5.0',
    'x-forwarded-for': '203.0.113.7',
    'x-forwarded-port': '443',
    'x-forwarded-proto': 'https',
  };
  const traceHeader = init.traceHeader === undefined ? newTraceHeader() : init.traceHeader;
  if (traceHeader !== null) headers['x-amzn-trace-id'] = traceHeader;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    if (typeof init.body !== 'string') headers['content-type'] = 'application/json';
    headers['content-length'] = String(Buffer.byteLength(body));
    if (init.base64) body = Buffer.from(body, 'utf8').toString('base64');
  }
  for (const [name, value] of Object.entries(init.headers ?? {})) headers[name.toLowerCase()] = value;

  const matched = matchTemplate(init.method, init.path);
  return {
    version: '2.0',
    routeKey: matched?.routeKey ?? '$default',
    rawPath,
    rawQueryString,
    headers,
    ...(rawQueryString ? { queryStringParameters: queryParameters(rawQueryString) } : {}),
    ...(matched?.pathParameters ? { pathParameters: matched.pathParameters } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      ...(init.sub
        ? {
            authorizer: {
              principalId: '',
              integrationLatency: 0,
              jwt: { claims: { sub: init.sub, iss: 'https://issuer.example' }, scopes: [] },
            },
          }
        : {}),
      domainName: 'abc123.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: {
        method: init.method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.7',
        userAgent: 'curl/8.5.0',
      },
      requestId: newRequestId(),
      routeKey: matched?.routeKey ?? '$default',
      stage,
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: init.base64 === true,
  } as APIGatewayProxyEventV2WithJWTAuthorizer;
}

/** API Gateway joins repeated query parameters with commas. */
function queryParameters(rawQueryString: string): Record<string, string> {
  const parameters: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    parameters[name] = parameters[name] === undefined ? value : `${parameters[name]},${value}`;
  }
  return parameters;
}

function matchTemplate(method: string, path: string) {
  for (const route of ROUTES) {
    const names: string[] = [];
    const pattern = route.path.replace(/\{(\w+)\}/g, (_, name: string) => {
      names.push(name);
      return '([^/]+)';
    });
    const match = new RegExp(`^${pattern}$`).exec(path);
    if (match && route.method === method) {
      const pathParameters = Object.fromEntries(
        names.map((name, index) => [name, safeDecode(match[index + 1]!)]),
      );
      return { routeKey: routeKey(route), pathParameters: names.length > 0 ? pathParameters : undefined };
    }
  }
  return undefined;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's request time format. */
function apiGatewayTime(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;
}

/** A segment that is not valid percent-encoding is passed on as it came. */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
