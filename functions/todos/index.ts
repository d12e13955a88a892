/**
 * Lambda entry point of the todo API (handler `index.handler`). Importing it
 * reads nothing and connects to nothing: configuration, the DynamoDB client and
 * the tracer are all made on the first invocation.
 *
 * Telemetry wraps the plain handler from the outside: a SERVER span,
 * payload-size metrics and a request-outcome count per request, a CLIENT span per DynamoDB call (SDK
 * middleware on the client). A `TELEMETRY=off` build swaps the telemetry module
 * for a pass-through.
 */
import { instrumentAwsClient, instrumentHandler } from '../telemetry';
import { createDynamoDBClient } from './dynamodb-client';
import { createHandler } from './handler';
import { TODO_PAYLOAD_METRICS } from './metric-names';
import { routeKeyOf } from './router';

export { createDynamoDBClient } from './dynamodb-client';
export { createHandler, type HandlerDependencies, type TodoHandler } from './handler';

/** The handler for API Gateway HTTP API (payload 2.0) events. */
export const handler = instrumentHandler(
  createHandler({ dynamoDBClient: (config) => instrumentAwsClient(createDynamoDBClient(config)) }),
  {
    // The route label comes from the shared route table, not the event's routeKey,
    // so a direct invocation with an arbitrary routeKey cannot add a dimension value.
    route: (event) => routeKeyOf(event.requestContext.http.method, event.rawPath),
    metrics: TODO_PAYLOAD_METRICS,
  },
);
