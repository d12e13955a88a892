/**
 * The HTTP API's access log, in the stack's own format (`ACCESS_LOG_FIELDS` of
 * `infra/todo-http-api.ts`, never a second copy): each `$context.*` variable of the template is
 * replaced by the request's value, and a variable with no value becomes `-`, as API Gateway
 * writes it. Lines go to `<logs>/http-api-access/<YYYY-MM-DD>` (UTC day of the request), one
 * event per line as `<ISO time>\t<json>`, the line format of the function's streams.
 *
 * Writes are batched ({@link WriteBatch}) and serialised like the other stores; a failed write
 * is counted in {@link HttpApiAccessLog.droppedLines} and never reaches the request it describes.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { ACCESS_LOG_FIELDS } from '../../infra/access-log-fields';
import { WriteBatch } from '../logs/write-batch';
import { formatRequestTime } from './event';
import type { CompletedRequest } from './server';

/** Where the access log of the sandbox's logs directory lives. */
export const accessLogDirectory = (logsDirectory: string): string =>
  path.join(logsDirectory, 'http-api-access');

/** The stack deploys the API's one stage as `$default`. */
const DEFAULT_STAGE = '$default';
/** What API Gateway writes for a variable that has no value. */
const NO_VALUE = '-';
/** `$context.a.b` up to the first character that cannot continue a variable name. */
const VARIABLE = /\$context\.([A-Za-z0-9_]+(?:\.[A-Za-z0-9_]+)*)/g;

/** The `$context` variables the sandbox knows for a request; absent ones are written as `-`. */
function contextVariables(request: CompletedRequest): Record<string, string | number | undefined> {
  const integration = request.integration;
  return {
    requestId: request.requestId,
    extendedRequestId: request.requestId,
    apiId: request.apiId,
    stage: DEFAULT_STAGE,
    'identity.sourceIp': request.sourceIp,
    'identity.userAgent': request.userAgent,
    requestTime: formatRequestTime(request.time),
    requestTimeEpoch: request.time.getTime(),
    httpMethod: request.httpMethod,
    routeKey: request.routeKey,
    path: request.path,
    status: request.status,
    protocol: request.protocol,
    responseLength: request.responseBytes,
    responseLatency: request.latencyMs,
    integrationLatency: integration?.latencyMs,
    'integration.latency': integration?.latencyMs,
    integrationStatus: integration?.status,
    'integration.status': integration?.status,
    'integration.integrationStatus': integration?.status,
    integrationErrorMessage: integration?.errorMessage,
    'integration.error': integration?.errorMessage,
    'integration.requestId': integration?.requestId,
    'integration.traceId': integration?.traceId,
    'authorizer.error': request.authorizerError,
  };
}

/**
 * Fills an access-log format for one request. The template's variables sit inside JSON
 * strings, so each value is escaped as a JSON string's content.
 */
function formatAccessLogEvent(format: string, request: CompletedRequest): string {
  const values = contextVariables(request);
  return format.replace(VARIABLE, (_match, name: string) => {
    const value = values[name];
    const text = value === undefined || value === '' ? NO_VALUE : String(value);
    return JSON.stringify(text).slice(1, -1);
  });
}

export interface HttpApiAccessLogOptions {
  /** The sandbox's logs directory; the log goes to {@link accessLogDirectory} of it. */
  readonly logsDirectory: string;
  /** @default the stack's `ACCESS_LOG_FIELDS` as JSON, as the stage's access-log format */
  readonly format?: string;
}

/** Appends the access-log events of the requests an HTTP API answered. */
export class HttpApiAccessLog {
  /** Lines that could not be written. */
  droppedLines = 0;
  private readonly directory: string;
  private readonly format: string;
  private readonly batch = new WriteBatch<CompletedRequest>((requests) => this.append(requests));
  private pending: Promise<void> = Promise.resolve();
  private ready: Promise<unknown> | undefined;

  constructor(options: HttpApiAccessLogOptions) {
    this.directory = accessLogDirectory(options.logsDirectory);
    this.format = options.format ?? JSON.stringify(ACCESS_LOG_FIELDS);
  }

  /** One answered request. */
  record(request: CompletedRequest): void {
    this.batch.add(request);
  }

  /** Resolves when every event recorded so far is on disk (or counted as dropped). */
  flush(): Promise<void> {
    return this.batch.flush();
  }

  /** Queues one batch's lines behind the writes before it. */
  private append(batch: readonly CompletedRequest[]): Promise<void> {
    if (batch.length === 0) return this.pending;
    // A directory that cannot be made shows as failed appends, which are counted.
    this.ready ??= mkdir(this.directory, { recursive: true }).catch(() => undefined);
    const ready = this.ready;
    this.pending = this.pending.then(async () => {
      await ready;
      const byFile = new Map<string, string>();
      for (const request of batch) {
        const stamp = request.time.toISOString();
        const file = path.join(this.directory, stamp.slice(0, 10));
        byFile.set(
          file,
          `${byFile.get(file) ?? ''}${stamp}\t${formatAccessLogEvent(this.format, request)}\n`,
        );
      }
      for (const [file, lines] of byFile) {
        await appendFile(file, lines).catch(() => {
          this.droppedLines += lines.split('\n').length - 1;
        });
      }
    });
    return this.pending;
  }
}
