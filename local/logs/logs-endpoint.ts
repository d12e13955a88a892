/**
 * The CloudWatch Logs API for what sends logs itself (`AWS_ENDPOINT_URL_LOGS`): the JSON 1.1
 * operations `CreateLogGroup`, `CreateLogStream` and `PutLogEvents`, with the service's
 * validation. Events are appended to `<directory>/<group>/<stream>` as `<ISO time>\t<message>`
 * (a Lambda group `/aws/lambda/<fn>` maps to `<directory>/<fn>`, beside the function's own
 * streams). As in CloudWatch, EMF is extracted only from requests that carry
 * `x-amzn-logs-format: json/emf`.
 */

import { appendFile, mkdir } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import path from 'node:path';
import { listen } from '../http-listen';
import { extractEmfMetrics } from './emf';
import type { MetricStore } from './metric-store';

// PutLogEvents limits: 10,000 events, 1,048,576 bytes counting 26 bytes of overhead per event,
// one request spanning at most 24 hours; events over 14 days old or 2 hours ahead are rejected.
const MAX_EVENTS = 10_000;
const MAX_BATCH_BYTES = 1_048_576;
const EVENT_OVERHEAD_BYTES = 26;
const MAX_SPAN_MS = 24 * 3600 * 1000;
const MAX_AGE_MS = 14 * 24 * 3600 * 1000;
const MAX_FUTURE_MS = 2 * 3600 * 1000;
const MAX_BODY_BYTES = 2 * MAX_BATCH_BYTES;
const SIGV4_LOGS = /^AWS4-HMAC-SHA256 Credential=[^/]+\/\d{8}\/[a-z0-9-]+\/logs\/aws4_request,/;

export interface LogsEndpointOptions {
  readonly host: string;
  readonly port: number;
  readonly directory: string;
  readonly metrics: MetricStore;
  /** Groups that exist from the start, as the stack would have created them. */
  readonly logGroups: readonly string[];
}

export interface LogsEndpoint {
  /** The value for `AWS_ENDPOINT_URL_LOGS`. */
  readonly url: string;
  readonly close: () => Promise<void>;
}

class LogsError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
  }
}

interface LogEventInput {
  timestamp: number;
  message: string;
}

/** Where a group's streams are stored. */
function logGroupDirectory(directory: string, group: string): string {
  const lambda = /^\/aws\/lambda\/(.+)$/.exec(group);
  return path.join(directory, lambda ? lambda[1]! : group.replace(/^\/+/, ''));
}

const isString = (value: unknown): value is string => typeof value === 'string' && value.length > 0;

/** Starts the endpoint. */
export async function startLogsEndpoint(options: LogsEndpointOptions): Promise<LogsEndpoint> {
  const groups = new Map<string, Set<string>>(options.logGroups.map((group) => [group, new Set<string>()]));
  let pending: Promise<unknown> = Promise.resolve();

  const groupOf = (name: unknown): Set<string> => {
    const streams = isString(name) ? groups.get(name) : undefined;
    if (!streams) throw new LogsError('ResourceNotFoundException', 'The specified log group does not exist.');
    return streams;
  };

  const operations: Record<string, (input: Record<string, unknown>, emf: boolean) => Promise<unknown>> = {
    async CreateLogGroup(input) {
      if (!isString(input.logGroupName))
        throw new LogsError('InvalidParameterException', 'logGroupName is required');
      if (groups.has(input.logGroupName)) {
        throw new LogsError('ResourceAlreadyExistsException', 'The specified log group already exists');
      }
      groups.set(input.logGroupName, new Set());
      return {};
    },
    async CreateLogStream(input) {
      const streams = groupOf(input.logGroupName);
      if (!isString(input.logStreamName))
        throw new LogsError('InvalidParameterException', 'logStreamName is required');
      if (streams.has(input.logStreamName)) {
        throw new LogsError('ResourceAlreadyExistsException', 'The specified log stream already exists');
      }
      streams.add(input.logStreamName);
      return {};
    },
    async PutLogEvents(input, emf) {
      const group = input.logGroupName as string;
      const stream = input.logStreamName;
      if (!isString(stream) || !groupOf(group).has(stream)) {
        throw new LogsError('ResourceNotFoundException', 'The specified log stream does not exist.');
      }
      const events = input.logEvents;
      if (!Array.isArray(events) || events.length === 0 || events.length > MAX_EVENTS) {
        throw new LogsError('InvalidParameterException', `logEvents must hold 1 to ${MAX_EVENTS} events`);
      }
      let bytes = 0;
      for (const [index, event] of (events as LogEventInput[]).entries()) {
        if (typeof event?.timestamp !== 'number' || typeof event.message !== 'string') {
          throw new LogsError('InvalidParameterException', 'each log event needs a timestamp and a message');
        }
        if (index > 0 && event.timestamp < (events as LogEventInput[])[index - 1]!.timestamp) {
          throw new LogsError(
            'InvalidParameterException',
            'Log events in a single PutLogEvents request must be in chronological order.',
          );
        }
        bytes += Buffer.byteLength(event.message) + EVENT_OVERHEAD_BYTES;
      }
      const list = events as LogEventInput[];
      if (bytes > MAX_BATCH_BYTES) throw new LogsError('InvalidParameterException', 'Upload too large');
      if (list[list.length - 1]!.timestamp - list[0]!.timestamp > MAX_SPAN_MS) {
        throw new LogsError(
          'InvalidParameterException',
          'The batch of log events in a single PutLogEvents request cannot span more than 24 hours.',
        );
      }
      const now = Date.now();
      const accepted: LogEventInput[] = [];
      let tooOldEnd: number | undefined;
      let tooNewStart: number | undefined;
      list.forEach((event, index) => {
        if (event.timestamp < now - MAX_AGE_MS) tooOldEnd = index + 1;
        else if (event.timestamp > now + MAX_FUTURE_MS) tooNewStart ??= index;
        else accepted.push(event);
      });
      const file = path.join(logGroupDirectory(options.directory, group), stream);
      const text = accepted
        .map((event) => `${new Date(event.timestamp).toISOString()}\t${event.message}\n`)
        .join('');
      const write = pending.then(async () => {
        await mkdir(path.dirname(file), { recursive: true });
        if (text) await appendFile(file, text);
      });
      pending = write.catch(() => undefined);
      await write;
      if (emf) {
        const metrics = accepted.flatMap((event) =>
          extractEmfMetrics(event.message, now).map((metric) => ({
            ...metric,
            logGroup: group,
            logStream: stream,
          })),
        );
        await options.metrics.add(metrics);
      }
      const rejected = {
        ...(tooOldEnd === undefined ? {} : { tooOldLogEventEndIndex: tooOldEnd }),
        ...(tooNewStart === undefined ? {} : { tooNewLogEventStartIndex: tooNewStart }),
      };
      return Object.keys(rejected).length > 0 ? { rejectedLogEventsInfo: rejected } : {};
    },
  };

  async function handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of request) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY_BYTES) throw new LogsError('InvalidParameterException', 'Upload too large');
      chunks.push(chunk as Buffer);
    }
    if (!SIGV4_LOGS.test(request.headers.authorization ?? '')) {
      throw new LogsError('MissingAuthenticationTokenException', 'Missing Authentication Token');
    }
    const target = String(request.headers['x-amz-target'] ?? '');
    const operation = target.startsWith('Logs_20140328.')
      ? operations[target.slice('Logs_20140328.'.length)]
      : undefined;
    if (request.method !== 'POST' || !operation)
      throw new LogsError('UnknownOperationException', `Unknown operation ${target}`);
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    } catch {
      throw new LogsError('SerializationException', 'Request body is not valid JSON');
    }
    const output = await operation(input, request.headers['x-amzn-logs-format'] === 'json/emf');
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
    response.end(JSON.stringify(output));
  }

  const server: Server = createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      if (response.headersSent) return;
      const known = error instanceof LogsError;
      const status = known && error.type === 'MissingAuthenticationTokenException' ? 403 : known ? 400 : 500;
      response.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' });
      response.end(
        JSON.stringify({
          __type: known ? error.type : 'ServiceUnavailableException',
          message: known ? error.message : 'The log store could not write',
        }),
      );
    });
  });
  const { url, close } = await listen(server, options.port, options.host);
  return { url, close };
}
