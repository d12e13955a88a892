/**
 * The API's CORS policy, written once: the stack configures the HTTP API's `corsPreflight` from
 * it and the sandbox's front door answers preflights and decorates responses with it. No CDK
 * import, so the sandbox can load it without loading aws-cdk-lib.
 */
import { ROUTES } from '../functions/todos/routes';

/** What API Gateway's CORS configuration holds, in its own terms. */
export interface CorsPolicy {
  /** Exact origins (`scheme://host[:port]`); a request from any other origin gets no CORS headers. */
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[];
  /** Lower-case request header names a page may send. */
  readonly allowHeaders: readonly string[];
  /** Response headers a page's script may read beyond the CORS-safelisted ones. */
  readonly exposeHeaders: readonly string[];
  readonly maxAgeSeconds: number;
  readonly allowCredentials: boolean;
}

/** Every method of the route table, plus OPTIONS for the preflight itself. */
const ALLOW_METHODS = [...new Set<string>(ROUTES.map((route) => route.method)), 'OPTIONS'];

/**
 * The request headers the API reads: the body's media type, the bearer token, the conditional
 * request headers, and the trace header API Gateway continues.
 */
const ALLOW_HEADERS = ['authorization', 'content-type', 'if-match', 'if-none-match', 'x-amzn-trace-id'];

/**
 * The response headers the API sends that a page needs: the version (`ETag`), the created
 * resource (`Location`), the next page (`Link`), the request id to quote, when to retry a 503
 * (`Retry-After`) and the methods of a 405 (`Allow`).
 */
const EXPOSE_HEADERS = ['ETag', 'Location', 'Link', 'x-request-id', 'Retry-After', 'Allow'];

/**
 * Ten minutes. A browser caches a preflight per URL, and every todo has its own URL, so a short
 * age means a preflight before most edits; a long one means an origin removed from the list stays
 * usable in open pages for that long (Chromium caps the age at two hours anyway).
 */
const MAX_AGE_SECONDS = 600;

/**
 * No credentials: clients authenticate with a bearer token in `Authorization`, which a page sends
 * explicitly and which needs only `allowHeaders`. The API sets and reads no cookies, so letting
 * browsers attach ambient credentials would add risk and nothing else.
 */
const ALLOW_CREDENTIALS = false;

/** The policy for these origins. */
export function corsPolicy(allowOrigins: readonly string[]): CorsPolicy {
  return {
    allowOrigins,
    allowMethods: ALLOW_METHODS,
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAgeSeconds: MAX_AGE_SECONDS,
    allowCredentials: ALLOW_CREDENTIALS,
  };
}

/**
 * `value` as an origin (`https://app.example.com`, `http://localhost:5173`), as browsers send it
 * in `Origin`: lower-case scheme and host, no default port, no path; `undefined` when it is not one.
 */
export function parseOrigin(value: string): string | undefined {
  if (!/^https?:\/\/[^/?#\s]+\/?$/i.test(value)) return undefined;
  try {
    const url = new URL(value);
    if (url.username !== '' || url.password !== '') return undefined;
    return url.origin;
  } catch {
    return undefined;
  }
}
