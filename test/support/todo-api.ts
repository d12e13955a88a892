/**
 * The todo handler wired to an embedded DynamoDB (dynalite over real HTTP, the
 * real AWS SDK), invoked with HTTP API v2 events.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { loadConfig, type TodoConfig } from '../../functions/todos/config';
import { createDynamoDBClient } from '../../functions/todos/dynamodb-client';
import { createHandler, type HandlerDependencies, type TodoHandler } from '../../functions/todos/handler';
import { startEmbeddedDynamoDB } from '../../local/dynamodb';
import { type HttpApiEventInit, httpApiEvent } from './http-api-event';

/** Static credentials: dynalite accepts any signature. */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** A handler response with the body parsed when it is JSON. */
export interface InvokeResult {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** Parsed JSON body, or undefined when there is none. */
  readonly json: unknown;
  readonly body: string | undefined;
  /** The request id the event carried. */
  readonly requestId: string;
  /** The trace header the event carried, if any. */
  readonly traceHeader: string | undefined;
}

export interface TodoApi {
  readonly handler: TodoHandler;
  readonly endpoint: string;
  readonly tableName: string;
  /** Builds an event from `init` and invokes the handler with it. */
  invoke(init: HttpApiEventInit): Promise<InvokeResult>;
  close(): Promise<void>;
}

export interface TodoApiOptions {
  /** Changes to the configuration loaded for a fresh table. */
  readonly config?: (config: TodoConfig) => TodoConfig;
  /** DynamoDB endpoint to use instead of the embedded one (to test failures). */
  readonly endpoint?: string;
  readonly now?: HandlerDependencies['now'];
}

/** Starts dynalite with a fresh table and creates a handler that talks to it. */
export async function startTodoApi(options: TodoApiOptions = {}): Promise<TodoApi> {
  const tableName = `todos-${randomUUID().slice(0, 8)}`;
  const dynamodb = await startEmbeddedDynamoDB({ tables: [tableName] });
  const endpoint = options.endpoint ?? dynamodb.endpoint;
  const clients: { destroy(): void }[] = [];
  const handler = createHandler({
    config: () => {
      const config = loadConfig({
        TABLE_NAME: tableName,
        AWS_REGION: 'us-east-1',
        CURSOR_SECRET: 'test-secret',
      });
      return options.config ? options.config(config) : config;
    },
    dynamoDBClient: (config) => {
      const client = createDynamoDBClient(config, { endpoint, credentials: LOCAL_CREDENTIALS });
      clients.push(client);
      return client;
    },
    ...(options.now ? { now: options.now } : {}),
  });
  return {
    handler,
    endpoint: dynamodb.endpoint,
    tableName,
    invoke: (init) => invokeWith(handler, init),
    async close() {
      for (const client of clients) client.destroy();
      await dynamodb.close();
    },
  };
}

/** Invokes `handler` with the event for `init` and parses the result. */
export async function invokeWith(
  handler: (event: ReturnType<typeof httpApiEvent>) => Promise<APIGatewayProxyStructuredResultV2>,
  init: HttpApiEventInit,
): Promise<InvokeResult> {
  const event = httpApiEvent(init);
  return parseResult(await handler(event), event.requestContext.requestId, event.headers['x-amzn-trace-id']);
}

/** Normalizes a handler result. */
export function parseResult(
  result: APIGatewayProxyStructuredResultV2,
  requestId: string,
  traceHeader: string | undefined,
): InvokeResult {
  const headers = Object.fromEntries(
    Object.entries(result.headers ?? {}).map(([name, value]) => [name.toLowerCase(), String(value)]),
  );
  const body = result.body;
  const type = headers['content-type'] ?? '';
  const json = body && /json/.test(type) ? JSON.parse(body) : undefined;
  return { status: result.statusCode ?? 200, headers, json, body, requestId, traceHeader };
}
