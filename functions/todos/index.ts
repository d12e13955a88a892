/**
 * Lambda entry point of the todo API (handler `index.handler`). Importing it
 * reads nothing and connects to nothing; see `createHandler`.
 */
import { createHandler } from './handler';

export { createDynamoDBClient } from './dynamodb-client';
export { createHandler, type HandlerDependencies, type TodoHandler } from './handler';

/** The handler for API Gateway HTTP API (payload 2.0) events. */
export const handler = createHandler();
