/**
 * The DynamoDB client the handler uses, with limits that keep every call well
 * inside the function's timeout.
 */
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import type { TodoConfig } from './config';

/**
 * Makes the client for `config`. The endpoint is the SDK's own choice: it honours
 * `AWS_ENDPOINT_URL_DYNAMODB` (then `AWS_ENDPOINT_URL`) from the environment, so
 * pointing the function at a local DynamoDB needs no code here. `overrides` wins
 * over the defaults (tests pass an `endpoint` and static credentials).
 *
 * @example createDynamoDBClient(loadConfig(), { endpoint: 'http://127.0.0.1:8000' })
 */
export function createDynamoDBClient(
  config: TodoConfig,
  overrides: DynamoDBClientConfig = {},
): DynamoDBClient {
  return new DynamoDBClient({
    region: config.region,
    maxAttempts: config.dynamoDB.maxAttempts,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: config.dynamoDB.connectionTimeoutMs,
      requestTimeout: config.dynamoDB.requestTimeoutMs,
      // Without this the Node handler only logs a warning when requestTimeout passes and
      // keeps waiting, so a hung connection would hold the invocation until the function times out.
      throwOnRequestTimeout: true,
    },
    ...overrides,
  });
}
