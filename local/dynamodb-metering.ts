/**
 * The `AWS/DynamoDB` metrics CloudWatch gets from DynamoDB, measured by a small HTTP proxy in
 * front of whatever DynamoDB the sandbox uses (dynalite, or a server named by
 * `AWS_ENDPOINT_URL_DYNAMODB`). Per request, from the `X-Amz-Target` operation and the
 * request's table:
 *
 * - `SuccessfulRequestLatency` (ms, 2xx answers) `{TableName, Operation}`;
 * - `ThrottledRequests` (`ThrottlingException`, `ProvisionedThroughputExceededException`) and
 *   `SystemErrors` (5xx) `{TableName, Operation}`;
 * - `ConditionalCheckFailedRequests` `{TableName}`;
 * - `UserErrors` (any other 4xx) with no dimension: DynamoDB publishes it per account and region;
 * - `ConsumedReadCapacityUnits` / `ConsumedWriteCapacityUnits` `{TableName}`.
 *
 * DynamoDB knows what a request consumed; a local server only says so when asked. So a request
 * that did not ask gets `"ReturnConsumedCapacity":"TOTAL"` added, and the `ConsumedCapacity`
 * is taken out of the answer again (with `Content-Length` and the `x-amz-crc32` that SDKs may check
 * recomputed), so the caller sees the answer it asked for. Editing a body breaks a SigV4
 * payload signature, which local servers (dynalite, DynamoDB Local) do not check; for any other
 * upstream requests pass untouched and only capacity the caller asked for is recorded.
 */
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { crc32 } from 'node:zlib';
import { closeServer, listen } from './http-listen';
import type { MetricStore } from './logs/metric-store';
import { ServiceMetricWriter } from './logs/service-metrics';

const NAMESPACE = 'AWS/DynamoDB';
const THROTTLES = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException']);
/**
 * The operations whose answers carry `ConsumedCapacity` when asked, in dynalite as in DynamoDB.
 * dynalite does not implement `TransactGetItems` / `TransactWriteItems`, so nothing is recorded
 * for them rather than a made-up figure.
 */
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);
const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

export interface DynamoDBMeteringOptions {
  /** The DynamoDB the requests go to, e.g. dynalite's `http://127.0.0.1:<port>`. */
  readonly upstream: string;
  readonly store: MetricStore;
  /** @default '127.0.0.1' */
  readonly host?: string;
}

/** A running metering proxy. */
export interface DynamoDBMetering {
  /** `http://<host>:<port>`: the function's `AWS_ENDPOINT_URL_DYNAMODB`. */
  readonly endpoint: string;
  /** Writes the data points not written yet. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

interface Capacity {
  readonly TableName?: unknown;
  readonly CapacityUnits?: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function parseObject(body: Buffer): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body.toString('utf8'));
    return isRecord(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The tables a request names: `TableName`, or the keys of a batch's `RequestItems`. */
function tablesOf(request: Record<string, unknown> | undefined): string[] {
  if (!request) return [];
  if (typeof request.TableName === 'string') return [request.TableName];
  return isRecord(request.RequestItems) ? Object.keys(request.RequestItems) : [];
}

const isLoopback = (url: URL): boolean => ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);

/** Starts the proxy. */
export async function startDynamoDBMetering(options: DynamoDBMeteringOptions): Promise<DynamoDBMetering> {
  const upstream = new URL(options.upstream);
  const mayEditBodies = isLoopback(upstream);
  const writer = new ServiceMetricWriter(options.store, NAMESPACE);
  const flush = (): Promise<void> => writer.flush();
  const record = (
    timestamp: number,
    metricName: string,
    unit: string,
    value: number,
    dimensions: Record<string, string>,
  ): void => writer.record(timestamp, metricName, unit, value, [dimensions]);

  /** The data points of one answered request. */
  function meter(
    timestamp: number,
    operation: string,
    tables: readonly string[],
    status: number,
    latencyMs: number,
    answer: Record<string, unknown> | undefined,
  ): void {
    const perOperation = (name: string, value: number) => {
      for (const TableName of tables)
        record(timestamp, name, name.endsWith('Latency') ? 'Milliseconds' : 'Count', value, {
          TableName,
          Operation: operation,
        });
    };
    if (status >= 200 && status < 300) {
      // Requests that name no table (ListTables...) have no table to file their latency under.
      perOperation('SuccessfulRequestLatency', latencyMs);
      const metricName = READS.has(operation)
        ? 'ConsumedReadCapacityUnits'
        : WRITES.has(operation)
          ? 'ConsumedWriteCapacityUnits'
          : undefined;
      const consumed = answer?.ConsumedCapacity;
      // One entry for a single-table operation, one per table for a batch.
      const capacities: Capacity[] = Array.isArray(consumed)
        ? consumed
        : isRecord(consumed)
          ? [consumed]
          : [];
      for (const { TableName, CapacityUnits } of capacities) {
        if (metricName && typeof TableName === 'string' && typeof CapacityUnits === 'number')
          record(timestamp, metricName, 'Count', CapacityUnits, { TableName });
      }
      return;
    }
    const type = typeof answer?.__type === 'string' ? answer.__type.split('#').pop() : undefined;
    if (status >= 500) perOperation('SystemErrors', 1);
    else if (type !== undefined && THROTTLES.has(type)) perOperation('ThrottledRequests', 1);
    else if (type === 'ConditionalCheckFailedException') {
      for (const TableName of tables)
        record(timestamp, 'ConditionalCheckFailedRequests', 'Count', 1, { TableName });
    } else if (status >= 400) record(timestamp, 'UserErrors', 'Count', 1, {});
  }

  function handle(request: IncomingMessage, response: ServerResponse, body: Buffer): void {
    const timestamp = Date.now();
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.slice(target.indexOf('.') + 1);
    const parsed = parseObject(body);
    const tables = tablesOf(parsed);
    let forwarded = body;
    // Asked on the caller's behalf, so taken out of the answer again.
    const askCapacity =
      mayEditBodies &&
      parsed !== undefined &&
      (READS.has(operation) || WRITES.has(operation)) &&
      (parsed.ReturnConsumedCapacity === undefined || parsed.ReturnConsumedCapacity === 'NONE');
    if (askCapacity) forwarded = Buffer.from(JSON.stringify({ ...parsed, ReturnConsumedCapacity: 'TOTAL' }));
    const headers = { ...request.headers, 'content-length': String(forwarded.length) };
    delete headers['transfer-encoding'];

    const started = performance.now();
    const outgoing = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: request.method, path: request.url, headers },
      (answer) => {
        const chunks: Buffer[] = [];
        answer.on('data', (chunk: Buffer) => chunks.push(chunk));
        answer.on('error', () => response.destroy());
        answer.on('end', () => {
          const latencyMs = performance.now() - started;
          let payload = Buffer.concat(chunks);
          const status = answer.statusCode ?? 502;
          const encoded = (answer.headers['content-encoding'] ?? 'identity') !== 'identity';
          const parsedAnswer = encoded ? undefined : parseObject(payload);
          try {
            meter(timestamp, operation, tables, status, latencyMs, parsedAnswer);
          } catch {
            // Metering never breaks the request it measures.
          }
          let rawHeaders = answer.rawHeaders;
          if (askCapacity && parsedAnswer && 'ConsumedCapacity' in parsedAnswer) {
            const { ConsumedCapacity: _taken, ...rest } = parsedAnswer;
            payload = Buffer.from(JSON.stringify(rest));
            rawHeaders = rewriteHeaders(answer.rawHeaders, payload);
          }
          if (response.destroyed) return;
          response.writeHead(status, rawHeaders);
          response.end(payload);
        });
      },
    );
    // The upstream refusing or resetting is, to the caller, a dropped connection, as it would be
    // without the proxy; a caller that gave up takes its upstream request with it.
    outgoing.on('error', () => {
      if (!response.destroyed) request.socket.resetAndDestroy();
    });
    response.on('close', () => {
      if (!response.writableFinished) outgoing.destroy();
    });
    outgoing.end(forwarded);
  }

  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => handle(request, response, Buffer.concat(chunks)));
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  const listening = await listen(server, 0, options.host ?? '127.0.0.1');
  return {
    endpoint: listening.url,
    flush,
    async close() {
      await closeServer(server);
      await flush();
    },
  };
}

/** The answer's headers for an edited body: `Content-Length` and `x-amz-crc32` recomputed. */
function rewriteHeaders(rawHeaders: readonly string[], body: Buffer): string[] {
  const rewritten: string[] = [];
  for (let index = 0; index + 1 < rawHeaders.length; index += 2) {
    const name = rawHeaders[index]!;
    const lower = name.toLowerCase();
    if (lower === 'transfer-encoding') continue;
    let value = rawHeaders[index + 1]!;
    if (lower === 'content-length') value = String(body.length);
    else if (lower === 'x-amz-crc32') value = String(crc32(body));
    rewritten.push(name, value);
  }
  if (!rewritten.some((name, index) => index % 2 === 0 && name.toLowerCase() === 'content-length'))
    rewritten.push('Content-Length', String(body.length));
  return rewritten;
}
