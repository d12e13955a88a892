/**
 * The todo handler's configuration: the one place that reads `process.env`.
 *
 * `loadConfig` runs once per execution environment (on the first invocation, so
 * importing the bundle does no work); `readLambdaTraceHeader` is the one
 * per-invocation read, because the runtime rewrites `_X_AMZN_TRACE_ID` for every
 * request.
 */
import { createHmac } from 'node:crypto';

/** A required variable is missing or a variable has an unusable value. */
export class ConfigurationError extends Error {
  override readonly name: string = 'ConfigurationError';
}

/** DynamoDB client limits. */
export interface DynamoDBLimits {
  /** TCP connect limit per attempt, in ms. */
  readonly connectionTimeoutMs: number;
  /** Limit for one attempt from request sent to response received, in ms. */
  readonly requestTimeoutMs: number;
  /** Attempts per call, the first included. */
  readonly maxAttempts: number;
}

/** Everything the todo handler reads from its environment. */
export interface TodoConfig {
  /** The DynamoDB table holding the todos (`TABLE_NAME`, required). */
  readonly tableName: string;
  /** AWS region of the table (`AWS_REGION`, else `AWS_DEFAULT_REGION`, else `us-east-1`). */
  readonly region: string;
  /** HMAC key that signs pagination cursors (`CURSOR_SECRET`, else a key derived from the table name). */
  readonly cursorSecret: Buffer;
  /** True when `cursorSecret` was derived because `CURSOR_SECRET` is unset. */
  readonly cursorSecretDerived: boolean;
  readonly dynamoDB: DynamoDBLimits;
}

/**
 * Worst case per DynamoDB call: 3 attempts x (1 s connect + 2 s request) plus the
 * SDK's backoff (standard mode: up to 20 s cap, but about 0.1-0.4 s for these first
 * retries) stays near 7-9 s, inside a 10 s function timeout and far inside API
 * Gateway's 30 s integration limit. A healthy call takes single-digit milliseconds.
 */
export const DYNAMODB_LIMITS: DynamoDBLimits = {
  connectionTimeoutMs: 1_000,
  requestTimeoutMs: 2_000,
  maxAttempts: 3,
};

const DEFAULT_REGION = 'us-east-1';

/** Fixed salt for the development cursor key; public on purpose, so it protects nothing in production. */
const DEVELOPMENT_CURSOR_KEY_SALT = 'todos-cursor-development-key';

type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Reads and validates the configuration.
 *
 * @throws ConfigurationError naming the variable when `TABLE_NAME` is missing.
 */
export function loadConfig(env: Environment = process.env): TodoConfig {
  const tableName = env.TABLE_NAME?.trim();
  if (!tableName) {
    throw new ConfigurationError('TABLE_NAME is not set: set it to the name of the todo DynamoDB table');
  }
  const secret = env.CURSOR_SECRET;
  return {
    tableName,
    region: env.AWS_REGION || env.AWS_DEFAULT_REGION || DEFAULT_REGION,
    cursorSecret: secret
      ? Buffer.from(secret, 'utf8')
      : createHmac('sha256', DEVELOPMENT_CURSOR_KEY_SALT).update(tableName).digest(),
    cursorSecretDerived: !secret,
    dynamoDB: DYNAMODB_LIMITS,
  };
}

/**
 * The Lambda trace header of the current invocation (`_X_AMZN_TRACE_ID`), which
 * the runtime sets before each invocation and removes when there is none.
 */
export function readLambdaTraceHeader(env: Environment = process.env): string | undefined {
  return env._X_AMZN_TRACE_ID || undefined;
}
