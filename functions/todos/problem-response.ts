/**
 * The one place where errors become HTTP responses: RFC 9457 problem details
 * (`application/problem+json`). Known errors are reported as they are; anything
 * else is logged in full and answered with a generic 500 that carries only the
 * request id, so no internal detail reaches a client.
 */
import { TodoApiError, ValidationError } from './errors';
import type { TodoResponse } from './http-response';

/** Prefix of the `type` URIs; each problem type appends its slug (`…:validation-error`). */
export const PROBLEM_TYPE_PREFIX = 'urn:todos:problem:';

/** RFC 9457 §3 media type of every error response. */
export const PROBLEM_MEDIA_TYPE = 'application/problem+json';

/** An RFC 9457 problem details object as this API sends it. */
interface ProblemDetails {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
  /** The request id, to quote when reporting the problem. */
  readonly instance: string;
  /** Invalid fields (400 only). */
  readonly errors?: readonly { readonly field: string; readonly message: string }[];
}

/** The problem response for `error`, raised while serving request `requestId`. */
export function problemResponse(error: unknown, requestId: string): TodoResponse {
  if (error instanceof TodoApiError) {
    if (error.status >= 500) log('WARN', 'Request failed: dependency unavailable', requestId, error);
    const problem: ProblemDetails = {
      type: `${PROBLEM_TYPE_PREFIX}${error.slug}`,
      title: error.title,
      status: error.status,
      detail: error.message,
      instance: requestId,
      ...(error instanceof ValidationError ? { errors: error.errors } : {}),
    };
    return respond(problem, error.headers);
  }
  log('ERROR', 'Request failed: unexpected error', requestId, error);
  return respond({
    type: 'about:blank',
    title: 'Internal Server Error',
    status: 500,
    detail: `An unexpected error occurred; quote ${requestId} when reporting it`,
    instance: requestId,
  });
}

function respond(problem: ProblemDetails, headers: Readonly<Record<string, string>> = {}): TodoResponse {
  return {
    statusCode: problem.status,
    headers: { ...headers, 'content-type': PROBLEM_MEDIA_TYPE },
    body: JSON.stringify(problem),
  };
}

/** One structured log line (CloudWatch Logs Insights parses JSON lines into fields). */
function log(level: 'WARN' | 'ERROR', message: string, requestId: string, error: unknown): void {
  const line = JSON.stringify({ level, message, requestId, error: describe(error) });
  if (level === 'ERROR') console.error(line);
  else console.warn(line);
}

interface ErrorDescription {
  readonly name?: string;
  readonly message: string;
  readonly stack?: string;
  readonly cause?: ErrorDescription;
}

function describe(error: unknown, depth = 0): ErrorDescription {
  if (!(error instanceof Error)) return { message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(error.stack ? { stack: error.stack } : {}),
    ...(error.cause !== undefined && depth < 3 ? { cause: describe(error.cause, depth + 1) } : {}),
  };
}
