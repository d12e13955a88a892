/**
 * The plain request the router and use cases work on, made from an API Gateway
 * HTTP API (payload format 2.0) event, and the owner a request acts for.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ForbiddenError } from './errors';

/**
 * Owner of requests that carry no authenticated identity (an API without a JWT
 * authorizer): all such callers share this one tenant. It cannot be the owner
 * key of an authenticated caller, which always starts with `sub:`, so todos
 * written while an API was open never show to a user whose `sub` happens to
 * be this word.
 */
export const DEFAULT_OWNER = 'open';

/** The owner key (partition key) of an authenticated caller's todos. */
export const ownerKeyOf = (sub: string): string => `sub:${sub}`;

/** An HTTP request, independent of Lambda. Header names are lower-case. */
export interface TodoRequest {
  readonly method: string;
  /** Path relative to the API (stage prefix removed), used for routing. */
  readonly path: string;
  /** Path as the client sent it, used to build `Location` and `Link`. */
  readonly rawPath: string;
  readonly query: URLSearchParams;
  readonly headers: Readonly<Record<string, string | undefined>>;
  /** Body as API Gateway delivers it; see `isBase64Encoded`. */
  readonly body: string | undefined;
  readonly isBase64Encoded: boolean;
  /** API Gateway's request id, returned as `x-request-id` and used as the problem `instance`. */
  readonly requestId: string;
  /** Partition the request reads and writes. */
  readonly owner: string;
}

/** Event with the optional JWT authorizer context API Gateway adds when one is configured. */
export type HttpApiEvent = APIGatewayProxyEventV2 & {
  readonly requestContext: {
    readonly authorizer?: { readonly jwt?: { readonly claims?: Record<string, unknown> } };
  };
};

/** Converts an HTTP API v2 event into a `TodoRequest`. */
export function toTodoRequest(event: HttpApiEvent): TodoRequest {
  const { requestContext } = event;
  const rawPath = event.rawPath || requestContext.http.path || '/';
  return {
    method: requestContext.http.method.toUpperCase(),
    path: withoutStage(rawPath, requestContext.stage),
    rawPath,
    query: queryOf(event),
    headers: lowerCased(event.headers),
    body: event.body,
    isBase64Encoded: event.isBase64Encoded === true,
    requestId: requestContext.requestId,
    owner: ownerOf(event),
  };
}

/** The request's `X-Amzn-Trace-Id` header, whatever the case of its name. */
export function traceHeaderOf(event: HttpApiEvent): string | undefined {
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (name.toLowerCase() === 'x-amzn-trace-id' && value) return value;
  }
  return undefined;
}

/**
 * The owner a request acts for: the JWT `sub` claim when an authorizer vouches
 * for the caller, else the default tenant. A JWT context without a subject is
 * refused (403): there is nobody to scope the request to.
 */
function ownerOf(event: HttpApiEvent): string {
  const jwt = event.requestContext.authorizer?.jwt;
  if (jwt === undefined) return DEFAULT_OWNER;
  const sub = jwt.claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new ForbiddenError('The token has no subject (sub claim); this API scopes every todo to one');
  }
  return ownerKeyOf(sub);
}

/** A named stage (not `$default`) is the first path segment of `rawPath`. */
function withoutStage(rawPath: string, stage: string | undefined): string {
  if (!stage || stage === '$default') return rawPath;
  const prefix = `/${stage}`;
  if (rawPath === prefix) return '/';
  return rawPath.startsWith(`${prefix}/`) ? rawPath.slice(prefix.length) : rawPath;
}

/** API Gateway lower-cases header names already; other event sources may not. */
function lowerCased(headers: HttpApiEvent['headers'] | undefined): Record<string, string | undefined> {
  const result: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(headers ?? {})) result[name.toLowerCase()] = value;
  return result;
}

/** `rawQueryString` keeps repeated parameters apart; the parsed map is the fallback. */
function queryOf(event: HttpApiEvent): URLSearchParams {
  if (event.rawQueryString !== undefined) return new URLSearchParams(event.rawQueryString);
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(event.queryStringParameters ?? {})) {
    if (value !== undefined) query.append(name, value);
  }
  return query;
}
