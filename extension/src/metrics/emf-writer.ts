/**
 * Where EMF documents go: the extension's stdout (Lambda delivers it to the function's log
 * group, where CloudWatch extracts the metrics) or `PutLogEvents` to a log group of its own
 * (for functions whose log group uses the Infrequent Access class, which extracts nothing).
 * Configuration is passed in; nothing here reads the environment.
 */

/** What one {@link EmfWriter.write} achieved. */
export interface EmfWriteResult {
  /** Documents the destination accepted. */
  readonly written: number;
  /** Documents the destination refused for good (too old, too new, too large): do not retry. */
  readonly rejected: number;
  /** Documents not delivered because of a failure; keep them for the next flush. */
  readonly unwritten: readonly string[];
  /** The failure that left documents unwritten. */
  readonly error?: EmfWriteError;
}

/** A failed delivery; `retryable` says whether sending the same documents again may succeed. */
class EmfWriteError extends Error {
  override readonly name = 'EmfWriteError';
  constructor(
    message: string,
    readonly retryable: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A destination for serialized EMF documents (one JSON object each, no newline). */
export interface EmfWriter {
  /** Never throws: failures come back in the result. `signal` aborts a slow delivery. */
  write(documents: readonly string[], signal?: AbortSignal): Promise<EmfWriteResult>;
}

/** The part of a writable stream {@link StdoutEmfWriter} uses. */
export interface LineStream {
  write(chunk: string, callback: (error?: Error | null) => void): boolean;
}

/**
 * Writes each document as one line. One `write` call per batch: Lambda turns each line of an
 * extension's stdout into one log event, and a single call keeps lines of a batch together.
 */
export class StdoutEmfWriter implements EmfWriter {
  constructor(private readonly stream: LineStream = process.stdout) {}

  write(documents: readonly string[]): Promise<EmfWriteResult> {
    if (documents.length === 0) return Promise.resolve({ written: 0, rejected: 0, unwritten: [] });
    return new Promise((resolve) => {
      this.stream.write(`${documents.join('\n')}\n`, (error) => {
        if (error) {
          resolve({
            written: 0,
            rejected: 0,
            unwritten: [...documents],
            error: new EmfWriteError(`stdout: ${error.message}`, true, { cause: error }),
          });
        } else {
          resolve({ written: documents.length, rejected: 0, unwritten: [] });
        }
      });
    });
  }
}

/** Credentials to sign with (those Lambda gives every process of the environment). */
export interface LogsCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Lambda sets one; absent for long-term keys. */
  readonly sessionToken?: string | undefined;
}

/** A request for a {@link RequestSigner}. */
interface SignableLogsRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
}

/** Signs with SigV4 and returns every header to send (`host`, `x-amz-date`, `authorization`, …). */
export type RequestSigner = (
  request: SignableLogsRequest,
  service: string,
  region: string,
  credentials: LogsCredentials,
) => Record<string, string> | Promise<Record<string, string>>;

/** POSTs a body and resolves with the answer; rejects only on network failure or abort. */
export type HttpPoster = (
  url: URL,
  headers: Record<string, string>,
  body: Buffer,
  signal: AbortSignal,
) => Promise<{ readonly status: number; readonly body: string }>;

/** Configuration of a {@link CloudWatchLogsEmfWriter}. */
export interface CloudWatchLogsEmfWriterOptions {
  /** `TELEMETRY_METRICS_LOG_GROUP`; the group must exist (the stream is created when missing). */
  readonly logGroupName: string;
  readonly logStreamName: string;
  readonly region: string;
  /** Base URL, see {@link logsEndpoint}. */
  readonly endpoint: string;
  readonly credentials: LogsCredentials;
  /** The extension's SigV4 signer. */
  readonly sign: RequestSigner;
  /** The extension's HTTP client. */
  readonly post: HttpPoster;
}

/** `PutLogEvents` limits. */
export const PUT_LOG_EVENTS_LIMITS = {
  maxEvents: 10_000,
  /** Sum of UTF-8 message bytes plus {@link PUT_LOG_EVENTS_LIMITS.eventOverheadBytes} per event. */
  maxBatchBytes: 1_048_576,
  eventOverheadBytes: 26,
  /** Events of one request must lie within 24 hours of each other. */
  maxSpanMs: 24 * 3_600_000,
} as const;

/**
 * The CloudWatch Logs endpoint: `AWS_ENDPOINT_URL_LOGS`, else `AWS_ENDPOINT_URL`, else the
 * regional one, as the AWS SDKs resolve it. The caller's config module passes the variables.
 */
export function logsEndpoint(
  region: string,
  overrides: { readonly logs?: string | undefined; readonly all?: string | undefined } = {},
): string {
  const chosen = overrides.logs || overrides.all;
  if (chosen) return chosen.replace(/\/+$/, '');
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return `https://logs.${region}.${suffix}`;
}

interface LogEvent {
  readonly timestamp: number;
  readonly message: string;
  readonly bytes: number;
}

/**
 * Sends documents with `PutLogEvents` (JSON protocol, SigV4, header `x-amzn-logs-format:
 * json/emf` as the EMF specification requires for this API). Events are sorted by their
 * `_aws.Timestamp` and cut into requests within the API's limits. A missing stream is created
 * once and the request repeated. One attempt per request otherwise: retries and their budget
 * belong to the caller, which gets back what was not delivered.
 */
export class CloudWatchLogsEmfWriter implements EmfWriter {
  private readonly url: URL;
  private streamCreated = false;

  constructor(private readonly options: CloudWatchLogsEmfWriterOptions) {
    this.url = new URL(`${options.endpoint}/`);
  }

  async write(documents: readonly string[], signal?: AbortSignal): Promise<EmfWriteResult> {
    const abort = signal ?? new AbortController().signal;
    const events: LogEvent[] = [];
    let rejected = 0;
    const fallbackTime = Date.now();
    for (const message of documents) {
      const bytes = Buffer.byteLength(message, 'utf8') + PUT_LOG_EVENTS_LIMITS.eventOverheadBytes;
      if (bytes > PUT_LOG_EVENTS_LIMITS.maxBatchBytes) {
        rejected++;
        continue;
      }
      events.push({ timestamp: documentTimestamp(message) ?? fallbackTime, message, bytes });
    }
    // PutLogEvents requires chronological order within a request; sort is stable.
    events.sort((a, b) => a.timestamp - b.timestamp);

    let written = 0;
    const batches = [...batchesOf(events)];
    for (const [index, batch] of batches.entries()) {
      try {
        const refused = await this.putBatch(batch, abort);
        rejected += refused;
        written += batch.length - refused;
      } catch (cause) {
        const error =
          cause instanceof EmfWriteError
            ? cause
            : new EmfWriteError(`PutLogEvents: ${(cause as Error).message}`, true, { cause });
        const unwritten = batches.slice(index).flatMap((rest) => rest.map((event) => event.message));
        return { written, rejected, unwritten, error };
      }
    }
    return { written, rejected, unwritten: [] };
  }

  /** Sends one batch; resolves with how many of its events CloudWatch refused. */
  private async putBatch(batch: readonly LogEvent[], signal: AbortSignal): Promise<number> {
    const body = {
      logGroupName: this.options.logGroupName,
      logStreamName: this.options.logStreamName,
      logEvents: batch.map((event) => ({ timestamp: event.timestamp, message: event.message })),
    };
    let response = await this.call('PutLogEvents', body, signal);
    if (
      response.status === 400 &&
      errorType(response.body) === 'ResourceNotFoundException' &&
      !this.streamCreated
    ) {
      await this.createStream(signal);
      response = await this.call('PutLogEvents', body, signal);
    }
    if (response.status !== 200) throw failure('PutLogEvents', response);
    return rejectedCount(response.body, batch.length);
  }

  private async createStream(signal: AbortSignal): Promise<void> {
    const response = await this.call(
      'CreateLogStream',
      { logGroupName: this.options.logGroupName, logStreamName: this.options.logStreamName },
      signal,
    );
    // Another environment of the same function may have created it first.
    if (response.status !== 200 && errorType(response.body) !== 'ResourceAlreadyExistsException') {
      throw failure('CreateLogStream', response);
    }
    this.streamCreated = true;
  }

  private async call(
    operation: 'PutLogEvents' | 'CreateLogStream',
    payload: unknown,
    signal: AbortSignal,
  ): Promise<{ status: number; body: string }> {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    const headers = await this.options.sign(
      {
        method: 'POST',
        url: this.url,
        headers: {
          'content-type': 'application/x-amz-json-1.1',
          'x-amz-target': `Logs_20140328.${operation}`,
          'x-amzn-logs-format': 'json/emf',
        },
        body,
      },
      'logs',
      this.options.region,
      this.options.credentials,
    );
    return this.options.post(this.url, headers, body, signal);
  }
}

/** Cuts sorted events into runs within the count, byte and 24-hour limits of one request. */
function* batchesOf(events: readonly LogEvent[]): Generator<LogEvent[]> {
  let batch: LogEvent[] = [];
  let bytes = 0;
  for (const event of events) {
    const first = batch[0];
    if (
      first !== undefined &&
      (batch.length >= PUT_LOG_EVENTS_LIMITS.maxEvents ||
        bytes + event.bytes > PUT_LOG_EVENTS_LIMITS.maxBatchBytes ||
        event.timestamp - first.timestamp > PUT_LOG_EVENTS_LIMITS.maxSpanMs)
    ) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(event);
    bytes += event.bytes;
  }
  if (batch.length > 0) yield batch;
}

function documentTimestamp(message: string): number | undefined {
  try {
    const timestamp = (JSON.parse(message) as { _aws?: { Timestamp?: unknown } })._aws?.Timestamp;
    return typeof timestamp === 'number' && Number.isFinite(timestamp) ? timestamp : undefined;
  } catch {
    return undefined;
  }
}

function errorType(body: string): string | undefined {
  try {
    const type = (JSON.parse(body) as { __type?: unknown }).__type;
    // The JSON protocol may prefix the type with a namespace: `com.amazonaws.logs#ResourceNotFoundException`.
    return typeof type === 'string' ? type.slice(type.lastIndexOf('#') + 1) : undefined;
  } catch {
    return undefined;
  }
}

function failure(operation: string, response: { status: number; body: string }): EmfWriteError {
  const retryable =
    response.status === 429 || response.status >= 500 || errorType(response.body) === 'ThrottlingException';
  return new EmfWriteError(
    `${operation} answered ${response.status}: ${response.body.slice(0, 300)}`,
    retryable,
  );
}

/**
 * Events CloudWatch refused in a 200 answer: `tooNewLogEventStartIndex` (that one and later),
 * `tooOldLogEventEndIndex` and `expiredLogEventEndIndex` (that one and earlier).
 */
function rejectedCount(body: string, total: number): number {
  let info: Record<string, unknown> | undefined;
  try {
    info = (JSON.parse(body) as { rejectedLogEventsInfo?: Record<string, unknown> }).rejectedLogEventsInfo;
  } catch {
    return 0;
  }
  if (info === undefined) return 0;
  const index = (name: string) => (typeof info[name] === 'number' ? (info[name] as number) : undefined);
  const oldEnd = Math.max(index('tooOldLogEventEndIndex') ?? -1, index('expiredLogEventEndIndex') ?? -1);
  const newStart = index('tooNewLogEventStartIndex') ?? total;
  const refusedOld = Math.min(oldEnd + 1, total);
  const refusedNew = Math.max(0, total - Math.max(newStart, refusedOld));
  return refusedOld + refusedNew;
}
