/**
 * The todo API's errors. Each carries its HTTP status and a stable problem type;
 * `problem-response.ts` is the one place that turns them into HTTP responses.
 * Anything that is not a `TodoApiError` is a bug or an unclassified failure and
 * becomes a generic 500.
 */

/** One invalid field of a request, as listed in a 400 problem's `errors`. */
export interface FieldError {
  /** JSON-pointer-like name of the field: `text`, `done`, `limit`, `cursor`, `body`. */
  readonly field: string;
  readonly message: string;
}

/** Base class: an error the API reports to the client as it is. */
export abstract class TodoApiError extends Error {
  abstract readonly status: number;
  /** Short, stable summary of the problem type (RFC 9457 `title`). */
  abstract readonly title: string;
  /** Last segment of the problem type URI, e.g. `validation-error`. */
  abstract readonly slug: string;
  /** Extra response headers the status requires (`Allow`, `Retry-After`). */
  readonly headers: Readonly<Record<string, string>> = {};
}

/** 400: the request is malformed or a field is invalid. */
export class ValidationError extends TodoApiError {
  override readonly name: string = 'ValidationError';
  readonly status = 400;
  readonly title = 'Request is not valid';
  readonly slug = 'validation-error';
  constructor(
    readonly errors: readonly FieldError[],
    detail = errors.map((error) => `${error.field}: ${error.message}`).join('; '),
    options?: ErrorOptions,
  ) {
    super(detail, options);
  }
}

/** 400: the pagination cursor is malformed, tampered with, or someone else's. */
export class InvalidCursorError extends ValidationError {
  override readonly name: string = 'InvalidCursorError';
  constructor(options?: ErrorOptions) {
    super(
      [{ field: 'cursor', message: 'is not a cursor this API issued for you; start again without it' }],
      undefined,
      options,
    );
  }
}

/**
 * 403: an authorizer vouched for the caller but gave no subject, so there is
 * no owner to act for. Refused rather than mapped to the open tenant, whose
 * todos belong to nobody in particular.
 */
export class ForbiddenError extends TodoApiError {
  override readonly name: string = 'ForbiddenError';
  readonly status = 403;
  readonly title = 'Forbidden';
  readonly slug = 'forbidden';
}

/** 404: no such todo, or no such route. */
export class NotFoundError extends TodoApiError {
  override readonly name: string = 'NotFoundError';
  readonly status = 404;
  readonly title = 'Not found';
  readonly slug = 'not-found';
}

/** 405: the path exists but not with this method. */
export class MethodNotAllowedError extends TodoApiError {
  override readonly name: string = 'MethodNotAllowedError';
  readonly status = 405;
  readonly title = 'Method not allowed';
  readonly slug = 'method-not-allowed';
  override readonly headers: Readonly<Record<string, string>>;
  constructor(method: string, allowed: readonly string[]) {
    super(`${method} is not allowed here; allowed: ${allowed.join(', ')}`);
    this.headers = { allow: allowed.join(', ') };
  }
}

/** 409: a todo with the chosen id already exists. */
export class ConflictError extends TodoApiError {
  override readonly name: string = 'ConflictError';
  readonly status = 409;
  readonly title = 'Todo already exists';
  readonly slug = 'conflict';
}

/** 412: `If-Match` does not match the todo's current ETag. */
export class PreconditionFailedError extends TodoApiError {
  override readonly name: string = 'PreconditionFailedError';
  readonly status = 412;
  readonly title = 'Precondition failed';
  readonly slug = 'precondition-failed';
}

/** 413: the request body is over the limit. */
export class PayloadTooLargeError extends TodoApiError {
  override readonly name: string = 'PayloadTooLargeError';
  readonly status = 413;
  readonly title = 'Request body too large';
  readonly slug = 'payload-too-large';
}

/** 415: the body's media type is not one this route accepts. */
export class UnsupportedMediaTypeError extends TodoApiError {
  override readonly name: string = 'UnsupportedMediaTypeError';
  readonly status = 415;
  readonly title = 'Unsupported media type';
  readonly slug = 'unsupported-media-type';
  override readonly headers: Readonly<Record<string, string>>;
  /** `acceptPatch`: for PATCH, the media types that would work (RFC 5789 §3.1 `Accept-Patch`). */
  constructor(detail: string, acceptPatch?: readonly string[]) {
    super(detail);
    this.headers = acceptPatch ? { 'accept-patch': acceptPatch.join(', ') } : {};
  }
}

/** 503: DynamoDB throttled, failed or timed out; the client may retry after `retryAfterSeconds`. */
export class ServiceUnavailableError extends TodoApiError {
  override readonly name: string = 'ServiceUnavailableError';
  readonly status = 503;
  readonly title = 'Service temporarily unavailable';
  readonly slug = 'service-unavailable';
  override readonly headers: Readonly<Record<string, string>>;
  constructor(
    readonly retryAfterSeconds: number,
    options?: ErrorOptions,
  ) {
    super('The todo store is temporarily unavailable; retry after the Retry-After delay', options);
    this.headers = { 'retry-after': String(retryAfterSeconds) };
  }
}
