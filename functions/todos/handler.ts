/**
 * The Lambda adapter: HTTP API v2 event → router → use case → response. It owns
 * the per-environment state (configuration, DynamoDB client), created on the
 * first invocation so that importing the bundle costs nothing beyond loading code.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { loadConfig, readLambdaTraceHeader, type TodoConfig } from './config';
import { createDynamoDBClient } from './dynamodb-client';
import { MethodNotAllowedError } from './errors';
import { type HttpApiEvent, toTodoRequest, traceHeaderOf } from './http-request';
import { jsonResponse, type TodoResponse } from './http-response';
import { openApiDocument } from './openapi';
import { problemResponse } from './problem-response';
import { matchRoute } from './router';
import { OPERATIONS } from './todo-operations';
import { TodoStore } from './todo-store';

/** A Lambda handler for API Gateway HTTP API (payload format 2.0) events. */
export type TodoHandler = (
  event: HttpApiEvent,
  context?: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** What `createHandler` can be given instead of its defaults. */
export interface HandlerDependencies {
  /**
   * Configuration, or a function returning it; called once, on the first invocation.
   * @default () => loadConfig(process.env)
   */
  readonly config?: TodoConfig | (() => TodoConfig);
  /**
   * Makes the DynamoDB client; called once per environment, on the first
   * invocation. The place to add SDK middleware (tracing) or point elsewhere.
   * @default createDynamoDBClient
   */
  readonly dynamoDBClient?: (config: TodoConfig) => DynamoDBClient;
  /** @default () => new Date() */
  readonly now?: () => Date;
  /**
   * Observes every error that became a problem response, with its status (for
   * example to record it on the active span). It runs inside the invocation;
   * anything it throws is ignored.
   */
  readonly onError?: (error: unknown, status: number) => void;
}

interface Environment {
  readonly config: TodoConfig;
  readonly store: TodoStore;
}

/** The route key of API Gateway's catch-all route. */
const DEFAULT_ROUTE_KEY = '$default';

/**
 * Creates the handler.
 *
 * @example
 * // index.ts, with tracing added to the DynamoDB client:
 * export const handler = createHandler({
 *   dynamoDBClient: (config) => instrument(createDynamoDBClient(config)),
 * });
 */
export function createHandler(dependencies: HandlerDependencies = {}): TodoHandler {
  const now = dependencies.now ?? (() => new Date());
  let environment: Environment | undefined;
  // Built on first request, like the environment: importing the bundle stays free.
  let description: object | undefined;

  // A missing TABLE_NAME throws here on every invocation: the deployment is broken and
  // Lambda's error log names the variable; serving without a table would only hide it.
  const setUp = (): Environment => {
    const { config: given = loadConfig } = dependencies;
    const config = typeof given === 'function' ? given() : given;
    const client = (dependencies.dynamoDBClient ?? createDynamoDBClient)(config);
    if (config.cursorSecretDerived) {
      console.warn(
        JSON.stringify({
          level: 'WARN',
          message:
            'CURSOR_SECRET is not set: pagination cursors are signed with a key derived from the table name',
        }),
      );
    }
    return { config, store: new TodoStore(client, config.tableName) };
  };

  return async (event, context) => {
    environment ??= setUp();
    const { config, store } = environment;
    const requestId = event.requestContext?.requestId ?? context?.awsRequestId ?? '';
    let response: TodoResponse;
    try {
      const request = toTodoRequest(event);
      const { operation, params, allowed } = matchRoute(request.method, request.path);
      // `$default` brings what API Gateway matched to no route, and without the authorizer. A
      // request the router would still serve (a method or path the two matchers read
      // differently, such as a lower-case method) must not run an operation there: for the API
      // the path has no such method.
      if (event.routeKey === DEFAULT_ROUTE_KEY) {
        throw new MethodNotAllowedError(event.requestContext?.http?.method ?? request.method, allowed);
      }
      if (operation === 'getOpenApiDocument') {
        description ??= openApiDocument();
        response = jsonResponse(200, description);
      } else {
        response = await OPERATIONS[operation](request, params, {
          store,
          cursorKey: config.cursorSecret,
          now,
        });
      }
    } catch (error) {
      response = problemResponse(error, requestId);
      try {
        dependencies.onError?.(error, response.statusCode);
      } catch {
        // An observer must not change the answer the client gets.
      }
    }
    const traceHeader = traceHeaderOf(event) ?? readLambdaTraceHeader();
    return {
      statusCode: response.statusCode,
      headers: {
        ...response.headers,
        'x-request-id': requestId,
        ...(traceHeader ? { 'x-amzn-trace-id': traceHeader } : {}),
      },
      ...(response.body !== undefined ? { body: response.body } : {}),
      isBase64Encoded: false,
    };
  };
}
