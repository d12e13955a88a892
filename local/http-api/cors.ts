/**
 * API Gateway HTTP API's CORS, as AWS documents it for an API with a CORS configuration: API
 * Gateway answers a preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`)
 * itself, whatever the routes, and adds the configured headers to every other response for an
 * allowed origin, ignoring any CORS headers the integration returned. An origin that is not
 * allowed gets no CORS headers, so the browser refuses the page the response. Pure functions.
 */
import type { CorsPolicy } from '../../infra/cors-policy';
import type { HttpResponse } from './response';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

const single = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value[0] : value;

/** A preflight: `OPTIONS` carrying `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(method: string, headers: Headers): boolean {
  return (
    method === 'OPTIONS' &&
    single(headers.origin) !== undefined &&
    single(headers['access-control-request-method']) !== undefined
  );
}

/** The request's `Origin` when the policy allows it (browsers send origins lower-case). */
function allowedOrigin(policy: CorsPolicy, headers: Headers): string | undefined {
  const origin = single(headers.origin);
  return origin !== undefined && policy.allowOrigins.includes(origin) ? origin : undefined;
}

/** The answer to a preflight: 204, with the policy's headers only for an allowed origin. */
export function preflightResponse(policy: CorsPolicy, headers: Headers): HttpResponse {
  const origin = allowedOrigin(policy, headers);
  const cors: [string, string][] =
    origin === undefined
      ? []
      : [
          ['access-control-allow-origin', origin],
          ['access-control-allow-methods', policy.allowMethods.join(',')],
          ['access-control-allow-headers', policy.allowHeaders.join(',')],
          ['access-control-max-age', String(policy.maxAgeSeconds)],
          ...(policy.allowCredentials
            ? [['access-control-allow-credentials', 'true'] as [string, string]]
            : []),
        ];
  return { statusCode: 204, headers: cors, body: Buffer.alloc(0) };
}

/**
 * `response` as API Gateway sends it under a CORS configuration: the integration's own
 * `access-control-*` headers dropped, the policy's added for an allowed origin.
 */
export function withCorsHeaders(policy: CorsPolicy, headers: Headers, response: HttpResponse): HttpResponse {
  const origin = allowedOrigin(policy, headers);
  const kept = response.headers.filter(([name]) => !name.toLowerCase().startsWith('access-control-'));
  const cors: [string, string][] =
    origin === undefined
      ? []
      : [
          ['access-control-allow-origin', origin],
          ['access-control-expose-headers', policy.exposeHeaders.join(',')],
          ...(policy.allowCredentials
            ? [['access-control-allow-credentials', 'true'] as [string, string]]
            : []),
        ];
  return { ...response, headers: [...kept, ...cors] };
}
