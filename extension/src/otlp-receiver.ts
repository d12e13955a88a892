import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  MAX_BATCH_ID_LENGTH,
  RECEIVER_CONTENT_TYPES,
  RECEIVER_HEADERS,
  RECEIVER_PATHS,
} from '../../contracts/telemetry-receiver';
import type { HostPort } from './config';
import { BadPayloadError } from './errors';
import { encodeExportResponse } from './otlp/export-response';
import { decodeJsonTraces } from './otlp/json-traces';
import { decodeProtobufTraces } from './otlp/protobuf-traces';
import type { TelemetrySpan } from './otlp/span';
import type { PipelineCounters } from './pipeline-counters';
import { RecentBatches, type RecordedAnswer } from './recent-batches';

/** Where decoded spans go; returns how many it refused (already counted). */
export interface SpanSink {
  add(spans: readonly TelemetrySpan[]): number;
}

/** Where EMF documents posted to `/emf` go: one serialized document per call; false when refused. */
export interface EmfSink {
  add(line: string): boolean;
}

/** Dependencies and limits of an {@link OtlpReceiver}. */
export interface OtlpReceiverOptions {
  readonly address: HostPort;
  readonly maxBodyBytes: number;
  readonly spans: SpanSink;
  /** Absent until the metrics intake is wired; `/emf` then answers 503. */
  readonly emf?: EmfSink;
  readonly counters: PipelineCounters;
  /** Batch ids remembered for repeats. @default a {@link RecentBatches} of its default capacity */
  readonly recentBatches?: RecentBatches;
}

/**
 * The local intake the handler sends to: OTLP/HTTP `POST /v1/traces` (protobuf or JSON, gzip or
 * not) and `POST /emf` (newline-delimited EMF JSON). It answers as soon as the body is decoded and
 * handed over (decoding is synchronous and bounded by `maxBodyBytes`), so it never makes the
 * sender wait on an export.
 *
 * A request carrying a batch id (`Idempotency-Key`) that was already taken is answered with the
 * first answer and taken no further. Looking the id up and handing the telemetry over happen in
 * one synchronous step after the body is read, so of two attempts of one batch in flight at the
 * same time exactly one is taken; an attempt whose body never fully arrived takes nothing.
 */
export class OtlpReceiver {
  private readonly server: Server;
  private active = 0;
  private readonly idleWaiters = new Set<() => void>();
  private readonly receiveListeners = new Set<(spans: readonly TelemetrySpan[]) => void>();
  private readonly recent: RecentBatches;

  constructor(private readonly options: OtlpReceiverOptions) {
    this.recent = options.recentBatches ?? new RecentBatches();
    this.server = createServer((req, res) => this.handle(req, res));
    // Handlers keep their connection open across invocations; the freeze between them is not idleness.
    this.server.keepAliveTimeout = 60_000;
  }

  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<AddressInfo> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.options.address.port, this.options.address.host, () => {
        this.server.off('error', reject);
        resolve(this.server.address() as AddressInfo);
      });
    });
  }

  /** Requests received but not yet answered. */
  get inFlight(): number {
    return this.active;
  }

  /** Resolves once no request is in flight. */
  whenIdle(): Promise<void> {
    if (this.active === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.add(resolve));
  }

  /** Calls `listener` with every accepted batch of spans; returns a function that unsubscribes. */
  onSpans(listener: (spans: readonly TelemetrySpan[]) => void): () => void {
    this.receiveListeners.add(listener);
    return () => this.receiveListeners.delete(listener);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    this.active++;
    res.once('close', () => {
      this.active--;
      if (this.active === 0) {
        for (const waiter of this.idleWaiters) waiter();
        this.idleWaiters.clear();
      }
    });
    const path = (req.url ?? '/').split('?')[0];
    if (path !== RECEIVER_PATHS.traces && path !== RECEIVER_PATHS.emf) {
      req.resume();
      problem(res, 404, 'Not Found', `no resource at ${path}; POST spans to ${RECEIVER_PATHS.traces}`);
      return;
    }
    if (req.method !== 'POST') {
      req.resume();
      res.setHeader('allow', 'POST');
      problem(res, 405, 'Method Not Allowed', `${path} accepts POST only`);
      return;
    }
    const batchId = batchIdOf(req);
    if (batchId instanceof BadPayloadError) {
      req.resume();
      fail(res, batchId);
      return;
    }
    this.readBody(req).then(
      (body) => {
        const repeated = batchId === undefined ? undefined : this.recent.answerOf(batchId);
        if (repeated) {
          this.options.counters.batchesRepeated++;
          send(res, repeated);
          return;
        }
        const answer =
          path === RECEIVER_PATHS.traces ? this.acceptTraces(req, res, body) : this.acceptEmf(res, body);
        if (answer && batchId !== undefined) this.recent.remember(batchId, answer);
      },
      (error: unknown) => fail(res, error),
    );
  }

  /** Takes the spans and answers; returns the answer when they were taken (a problem answer is not). */
  private acceptTraces(req: IncomingMessage, res: ServerResponse, body: Buffer): RecordedAnswer | undefined {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const encoding =
      type === RECEIVER_CONTENT_TYPES.otlpJson
        ? 'json'
        : type === RECEIVER_CONTENT_TYPES.otlpProtobuf
          ? 'protobuf'
          : undefined;
    if (!encoding) {
      problem(
        res,
        415,
        'Unsupported Media Type',
        `send ${RECEIVER_CONTENT_TYPES.otlpProtobuf} or ${RECEIVER_CONTENT_TYPES.otlpJson}`,
      );
      return undefined;
    }
    let decoded: ReturnType<typeof decodeJsonTraces>;
    try {
      decoded = encoding === 'json' ? decodeJsonTraces(body) : decodeProtobufTraces(body);
    } catch (error) {
      fail(
        res,
        error instanceof BadPayloadError ? error : new BadPayloadError(`malformed OTLP ${encoding} body`),
      );
      return undefined;
    }
    this.options.counters.spansReceived += decoded.invalid;
    this.options.counters.dropSpans('invalid', decoded.invalid);
    const refused = this.options.spans.add(decoded.spans);
    const rejected = decoded.invalid + refused;
    const message = refused > 0 ? 'span buffer full' : rejected > 0 ? 'spans with invalid ids' : '';
    const answer: RecordedAnswer = {
      status: 200,
      contentType:
        encoding === 'json' ? RECEIVER_CONTENT_TYPES.otlpJson : RECEIVER_CONTENT_TYPES.otlpProtobuf,
      body: Buffer.from(encodeExportResponse(encoding, rejected, message)),
    };
    send(res, answer);
    if (decoded.spans.length > refused) {
      for (const listener of this.receiveListeners) listener(decoded.spans);
    }
    return answer;
  }

  /** Takes the EMF documents and answers; returns the answer when the intake took them. */
  private acceptEmf(res: ServerResponse, body: Buffer): RecordedAnswer | undefined {
    const sink = this.options.emf;
    if (!sink) {
      problem(
        res,
        503,
        'Service Unavailable',
        'the metrics intake is not running; write EMF to stdout instead',
      );
      return undefined;
    }
    let accepted = 0;
    let rejected = 0;
    for (const line of body.toString('utf8').split('\n')) {
      const trimmed = line.trim();
      if (trimmed === '') continue;
      if (sink.add(trimmed)) accepted++;
      else rejected++;
    }
    const answer: RecordedAnswer = {
      status: 200,
      contentType: 'application/json',
      body: Buffer.from(JSON.stringify({ accepted, rejected })),
    };
    send(res, answer);
    return answer;
  }

  private async readBody(req: IncomingMessage): Promise<Buffer> {
    const limit = this.options.maxBodyBytes;
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > limit) {
      req.resume();
      throw new BadPayloadError(`body of ${declared} bytes exceeds the ${limit}-byte limit`, 413);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > limit) {
        req.resume();
        throw new BadPayloadError(`body exceeds the ${limit}-byte limit`, 413);
      }
      chunks.push(chunk);
    }
    const raw = Buffer.concat(chunks, size);
    const contentEncoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (contentEncoding === 'identity') return raw;
    if (contentEncoding !== 'gzip')
      throw new BadPayloadError(`content-encoding ${contentEncoding} is not supported; use gzip`, 415);
    // Loaded on first use: zlib is not needed before registration, where every millisecond counts.
    const { gunzip } = await import('node:zlib');
    return new Promise((resolve, reject) => {
      // The output bound keeps a small compressed body from inflating past the limit.
      gunzip(raw, { maxOutputLength: limit }, (error, inflated) => {
        if (!error) resolve(inflated);
        else if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
          reject(new BadPayloadError(`inflated body exceeds the ${limit}-byte limit`, 413));
        else reject(new BadPayloadError('body is not valid gzip'));
      });
    });
  }
}

/** The request's batch id; a `BadPayloadError` when it is too long to remember. */
function batchIdOf(req: IncomingMessage): string | BadPayloadError | undefined {
  const raw = req.headers[RECEIVER_HEADERS.batchId];
  if (typeof raw !== 'string' || raw === '') return undefined;
  // The draft writes the key as a structured-field string ("…"); a bare token is taken as is.
  const id = raw.length >= 2 && raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1) : raw;
  if (id.length > MAX_BATCH_ID_LENGTH) {
    return new BadPayloadError(`${RECEIVER_HEADERS.batchId} exceeds ${MAX_BATCH_ID_LENGTH} characters`);
  }
  return id;
}

function send(res: ServerResponse, answer: RecordedAnswer): void {
  res.writeHead(answer.status, { 'content-type': answer.contentType, 'content-length': answer.body.length });
  res.end(answer.body);
}

function fail(res: ServerResponse, error: unknown): void {
  if (error instanceof BadPayloadError) {
    const titles = { 400: 'Bad Request', 413: 'Content Too Large', 415: 'Unsupported Media Type' } as const;
    problem(res, error.status, titles[error.status], error.message);
  } else {
    problem(res, 500, 'Internal Server Error', 'the receiver failed to process the request');
  }
}

/** Answers with an RFC 9457 problem document carrying a request id for the extension's log. */
function problem(res: ServerResponse, status: number, title: string, detail: string): void {
  if (res.headersSent) return;
  const requestId = problemId();
  const payload = Buffer.from(JSON.stringify({ type: 'about:blank', title, status, detail, requestId }));
  res.writeHead(status, {
    'content-type': 'application/problem+json',
    'content-length': payload.length,
    'x-request-id': requestId,
  });
  res.end(payload);
}

// A UUID-shaped id for correlating a problem answer with the log; uniqueness, not secrecy, is
// needed, and Math.random spares loading node:crypto ahead of registration.
function problemId(): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
