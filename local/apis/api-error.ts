/**
 * Errors the Lambda APIs answer with. Each carries the HTTP status and the `errorType` Lambda
 * puts in the body (`{"errorMessage": "...", "errorType": "..."}`), so one place can render them.
 */
export class LambdaApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorType: string,
    message: string,
  ) {
    super(message);
    this.name = 'LambdaApiError';
  }
}

/** 400: the request is malformed (bad JSON, wrong shape, out-of-range value). */
export class InvalidRequestError extends LambdaApiError {
  constructor(errorType: string, message: string) {
    super(400, errorType, message);
  }
}

/** 403: the request is well formed but not allowed now (wrong state, unknown caller). */
export class ForbiddenError extends LambdaApiError {
  constructor(errorType: string, message: string) {
    super(403, errorType, message);
  }
}

/** 404: no such route. */
export class NotFoundError extends LambdaApiError {
  constructor(message: string) {
    super(404, 'NotFound', message);
  }
}

/** 413: a body over the API's limit. */
export class PayloadTooLargeError extends LambdaApiError {
  constructor(errorType: string, message: string) {
    super(413, errorType, message);
  }
}
