/**
 * Sorts DynamoDB failures into "try again later" (503) and everything else.
 */
import { ServiceUnavailableError } from './errors';

/** Seconds a client should wait after a throttle: DynamoDB refills capacity every second. */
const THROTTLE_RETRY_AFTER_SECONDS = 1;
/** Seconds to wait after an outage or timeout: long enough not to add to an overload. */
const OUTAGE_RETRY_AFTER_SECONDS = 5;

const THROTTLE_NAMES = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ThrottledException',
]);

const OUTAGE_NAMES = new Set([
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
]);

/** Socket-level failures: the service could not be reached or hung up. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

interface ErrorShape {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly $fault?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
  readonly cause?: unknown;
  readonly errors?: unknown;
}

/**
 * Wraps a transient DynamoDB failure (after the SDK's own retries) in a
 * `ServiceUnavailableError`; returns anything else unchanged, to become a 500.
 */
export function classifyDynamoDBError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return error;
  const shape = error as ErrorShape;
  if (THROTTLE_NAMES.has(String(shape.name))) {
    return new ServiceUnavailableError(THROTTLE_RETRY_AFTER_SECONDS, { cause: error });
  }
  const status = shape.$metadata?.httpStatusCode;
  const serverFault = shape.$fault === 'server' || (typeof status === 'number' && status >= 500);
  if (serverFault || OUTAGE_NAMES.has(String(shape.name)) || isNetworkError(shape)) {
    return new ServiceUnavailableError(OUTAGE_RETRY_AFTER_SECONDS, { cause: error });
  }
  return error;
}

function isNetworkError(shape: ErrorShape, depth = 0): boolean {
  if (NETWORK_CODES.has(String(shape.code))) return true;
  if (depth > 3) return false;
  // Node reports a refused connection to a host with several addresses as an AggregateError.
  const nested = [shape.cause, ...(Array.isArray(shape.errors) ? shape.errors : [])];
  return nested.some(
    (inner) => typeof inner === 'object' && inner !== null && isNetworkError(inner, depth + 1),
  );
}
