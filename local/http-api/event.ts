/**
 * The API Gateway HTTP API event, payload format 2.0, built from an HTTP request. A pure
 * function: the request, the selected route, the request id and the time go in, the event
 * comes out.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { JwtAuthorizerContext } from '../auth/jwt-authorizer';
import type { MatchedRoute } from './routes';

/** What the front door knows about an incoming request. */
export interface HttpRequestSnapshot {
  readonly method: string;
  /** The request target as received: path and query, still percent-encoded. */
  readonly target: string;
  /** Node's `rawHeaders`: names and values alternating, in arrival order, with repeats. */
  readonly rawHeaders: readonly string[];
  readonly body: Buffer;
  readonly sourceIp: string;
  /** `HTTP/1.1`. */
  readonly protocol: string;
  /** The port the client connected to, for `x-forwarded-port`. */
  readonly port: number;
}

/** The per-request facts API Gateway adds. */
export interface HttpApiContext {
  readonly route: MatchedRoute;
  readonly requestId: string;
  readonly time: Date;
  /** The trace header API Gateway forwards in `x-amzn-trace-id`. */
  readonly traceHeader: string;
  readonly apiId: string;
  readonly accountId: string;
  /** What the JWT authorizer vouched for; absent on an API without one. */
  readonly jwt?: JwtAuthorizerContext;
}

/** Hop-by-hop headers end at API Gateway; they never reach the integration. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (value: number): string => String(value).padStart(2, '0');

/** `12/Mar/2020:19:03:58 +0000`, the CLF time API Gateway writes in `requestContext.time`. */
export function formatRequestTime(time: Date): string {
  return (
    `${pad(time.getUTCDate())}/${MONTHS[time.getUTCMonth()]}/${time.getUTCFullYear()}:` +
    `${pad(time.getUTCHours())}:${pad(time.getUTCMinutes())}:${pad(time.getUTCSeconds())} +0000`
  );
}

/**
 * Whether API Gateway passes a body as text: textual media types are passed as is, anything
 * else (or a body that is not valid UTF-8) is base64-encoded with `isBase64Encoded: true`.
 */
function isTextBody(contentType: string | undefined, body: Buffer): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  const textual =
    type.startsWith('text/') ||
    type === 'application/json' ||
    type.endsWith('+json') ||
    type === 'application/xml' ||
    type.endsWith('+xml') ||
    type === 'application/javascript' ||
    type === 'application/x-www-form-urlencoded' ||
    type === 'application/graphql';
  if (!textual) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(body);
    return true;
  } catch {
    return false;
  }
}

/** Decodes a query component as a form field: `+` is a space. */
const decodeQuery = (value: string): string => {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
};

/** Builds the event. Header names are lower-cased and repeated headers comma-joined; cookies move to `cookies`. */
export function buildHttpApiEvent(
  request: HttpRequestSnapshot,
  context: HttpApiContext,
): APIGatewayProxyEventV2 {
  const queryAt = request.target.indexOf('?');
  const rawPath = queryAt < 0 ? request.target : request.target.slice(0, queryAt);
  const rawQueryString = queryAt < 0 ? '' : request.target.slice(queryAt + 1);

  const headers: Record<string, string> = {};
  const cookies: string[] = [];
  for (let index = 0; index + 1 < request.rawHeaders.length; index += 2) {
    const name = request.rawHeaders[index]!.toLowerCase();
    const value = request.rawHeaders[index + 1]!;
    if (HOP_BY_HOP.has(name)) continue;
    if (name === 'cookie') {
      cookies.push(
        ...value
          .split(';')
          .map((cookie) => cookie.trim())
          .filter(Boolean),
      );
      continue;
    }
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  // What API Gateway sets on the way in.
  headers['x-amzn-trace-id'] = context.traceHeader;
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${request.sourceIp}`
    : request.sourceIp;
  headers['x-forwarded-port'] = String(request.port);
  headers['x-forwarded-proto'] = 'http';
  if (request.body.length > 0 || 'content-length' in headers)
    headers['content-length'] = String(request.body.length);

  const queryStringParameters: Record<string, string> = {};
  for (const pair of rawQueryString.split('&')) {
    if (!pair) continue;
    const equals = pair.indexOf('=');
    const name = decodeQuery(equals < 0 ? pair : pair.slice(0, equals));
    const value = equals < 0 ? '' : decodeQuery(pair.slice(equals + 1));
    queryStringParameters[name] =
      name in queryStringParameters ? `${queryStringParameters[name]},${value}` : value;
  }

  const host = headers.host ?? '';
  const text = isTextBody(headers['content-type'], request.body);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: context.route.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(Object.keys(queryStringParameters).length > 0 ? { queryStringParameters } : {}),
    requestContext: {
      accountId: context.accountId,
      apiId: context.apiId,
      ...(context.jwt
        ? { authorizer: { jwt: { claims: context.jwt.claims, scopes: context.jwt.scopes } } }
        : {}),
      domainName: host,
      domainPrefix: host.split('.')[0]!.split(':')[0]!,
      http: {
        method: request.method,
        path: rawPath,
        protocol: request.protocol,
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: context.requestId,
      routeKey: context.route.routeKey,
      stage: '$default',
      time: formatRequestTime(context.time),
      timeEpoch: context.time.getTime(),
    },
    ...(Object.keys(context.route.pathParameters).length > 0
      ? { pathParameters: context.route.pathParameters }
      : {}),
    isBase64Encoded: request.body.length > 0 && !text,
  };
  if (request.body.length > 0)
    event.body = text ? request.body.toString('utf8') : request.body.toString('base64');
  return event;
}
