/**
 * The Telemetry API (`2022-07-01`): subscriptions (`PUT /2022-07-01/telemetry`) and the delivery
 * of platform, function and extension events to each subscriber, honouring its buffering.
 */
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { pause } from '../../common/deadline';
import { InvalidRequestError, NotFoundError } from './api-error';
import { header, parseJson, readBody, sendError } from './http-exchange';

const TELEMETRY_API_VERSION = '2022-07-01';

/** Schema versions Lambda accepts today. */
const SCHEMA_VERSIONS = ['2022-07-01', '2022-12-13', '2025-01-29'] as const;
type SchemaVersion = (typeof SCHEMA_VERSIONS)[number];

export type TelemetryType = 'platform' | 'function' | 'extension';
const TELEMETRY_TYPES: readonly TelemetryType[] = ['platform', 'function', 'extension'];

interface BufferingConfig {
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly timeoutMs: number;
}

/** Lambda's documented defaults and ranges for `buffering`. */
const BUFFERING_LIMITS = {
  maxItems: { default: 10_000, min: 1_000, max: 10_000 },
  maxBytes: { default: 262_144, min: 262_144, max: 1_048_576 },
  timeoutMs: { default: 1_000, min: 25, max: 30_000 },
} as const;

/** The port of the Lambda APIs themselves; a destination may not use it. */
const RESERVED_PORT = 9001;

interface Destination {
  readonly protocol: 'HTTP';
  readonly URI: string;
}

/** A validated `PUT /telemetry` body. */
export interface SubscribeRequest {
  readonly schemaVersion: SchemaVersion;
  readonly types: TelemetryType[];
  readonly buffering: BufferingConfig;
  readonly destination: Destination;
}

/** One delivered item: `{time, type, record}`. */
export interface TelemetryEvent {
  readonly time: string;
  readonly type: string;
  readonly record: unknown;
}

/** The environment side of the Telemetry API. */
export interface TelemetryApiHost {
  checkIdentifier(identifier: string | undefined): string;
  /** Throws 403 when subscriptions are closed. */
  subscribe(identifier: string, request: SubscribeRequest): void;
}

const PATH = `/${TELEMETRY_API_VERSION}/telemetry`;
const MAX_BODY_BYTES = 64 * 1024;

/** True when the path belongs to this API. */
export function isTelemetryApiPath(path: string): boolean {
  return path === PATH;
}

/** Serves one Telemetry API request. */
export async function handleTelemetryApi(req: IncomingMessage, res: ServerResponse, host: TelemetryApiHost) {
  try {
    if (req.method !== 'PUT') throw new NotFoundError(`No Telemetry API route for ${req.method} ${PATH}`);
    const identifier = host.checkIdentifier(header(req, 'Lambda-Extension-Identifier'));
    const subscription = parseSubscribeRequest((await readBody(req, MAX_BODY_BYTES)).bytes);
    host.subscribe(identifier, subscription);
    // Lambda answers a successful subscription with the JSON string "OK".
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('"OK"');
  } catch (error) {
    req.resume();
    sendError(res, error);
  }
}

function validation(message: string): InvalidRequestError {
  return new InvalidRequestError('ValidationError', message);
}

function bufferingValue(raw: Record<string, unknown>, key: keyof BufferingConfig): number {
  const limits = BUFFERING_LIMITS[key];
  const value = raw[key];
  if (value === undefined) return limits.default;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw validation(`buffering.${key} must be an integer between ${limits.min} and ${limits.max}`);
  }
  return value;
}

/** Validates a subscription body; every violation is a 400 `ValidationError`. */
function parseSubscribeRequest(body: Buffer): SubscribeRequest {
  let value: unknown;
  try {
    value = parseJson(body);
  } catch {
    throw validation('Subscription body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw validation('Subscription body must be a JSON object');
  }
  const raw = value as Record<string, unknown>;
  const schemaVersion = raw.schemaVersion;
  if (!SCHEMA_VERSIONS.includes(schemaVersion as SchemaVersion)) {
    throw validation(`schemaVersion must be one of ${SCHEMA_VERSIONS.join(', ')}`);
  }
  const types = raw.types;
  if (!Array.isArray(types) || types.length === 0 || !types.every((t) => TELEMETRY_TYPES.includes(t))) {
    throw validation(`types must be a non-empty array of ${TELEMETRY_TYPES.join(', ')}`);
  }
  const rawBuffering = raw.buffering ?? {};
  if (typeof rawBuffering !== 'object' || rawBuffering === null || Array.isArray(rawBuffering)) {
    throw validation('buffering must be an object');
  }
  const buffering: BufferingConfig = {
    maxItems: bufferingValue(rawBuffering as Record<string, unknown>, 'maxItems'),
    maxBytes: bufferingValue(rawBuffering as Record<string, unknown>, 'maxBytes'),
    timeoutMs: bufferingValue(rawBuffering as Record<string, unknown>, 'timeoutMs'),
  };
  const destination = raw.destination as Record<string, unknown> | undefined;
  if (typeof destination !== 'object' || destination === null || destination.protocol !== 'HTTP') {
    throw validation('destination.protocol must be "HTTP"');
  }
  let uri: URL;
  try {
    uri = new URL(String(destination.URI));
  } catch {
    throw validation('destination.URI must be an http:// URL');
  }
  if (uri.protocol !== 'http:') throw validation('destination.URI must be an http:// URL');
  if (Number(uri.port || 80) === RESERVED_PORT)
    throw validation(`destination port ${RESERVED_PORT} is reserved`);
  return {
    schemaVersion: schemaVersion as SchemaVersion,
    types: [...new Set(types as TelemetryType[])],
    buffering,
    destination: { protocol: 'HTTP', URI: uri.toString() },
  };
}

/**
 * Host names that mean "this execution environment" in a destination: Lambda's documented
 * `sandbox.localdomain`, and loopback, which inside an environment is the environment's own.
 */
const SANDBOX_HOSTS = new Set(['sandbox', 'sandbox.localdomain', 'localhost', '127.0.0.1']);

/** Opens a TCP connection to `port` on the environment's own loopback. */
export type EnvironmentLoopback = (port: number) => Socket;

/** Lambda retries a failed delivery; after these attempts the batch is dropped and reported. */
const DELIVERY_ATTEMPTS = 3;
const RETRY_BASE_MS = 100;
/** A listener that accepts but never answers must not hold a batch forever. */
const DELIVERY_TIMEOUT_MS = 5_000;
/** Events held beyond one full batch are dropped (and counted): the buffer is bounded. */
const QUEUE_FACTOR = 2;

const DROP_REASON = 'Consumer seems to have fallen behind as it has not acknowledged receipt of logs.';

interface Queued {
  readonly event: TelemetryEvent;
  readonly bytes: number;
}

/**
 * One subscriber's delivery: a bounded queue flushed when `maxItems` or `maxBytes` is reached or
 * `timeoutMs` after the oldest queued event, one POST in flight, retries with backoff, and a
 * `platform.logsDropped` event for whatever could not be delivered. While paused (the
 * environment is frozen) nothing is sent; timers keep running and fire on resume.
 */
export class TelemetryDelivery {
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private oldestAt: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private paused = false;
  private closed = false;
  private dropped = { records: 0, bytes: 0 };
  private readonly url: URL;
  /** How to reach the destination when it is the environment itself. */
  private readonly connectInside: (() => Socket) | undefined;

  constructor(
    readonly subscription: SubscribeRequest,
    loopback: EnvironmentLoopback,
  ) {
    this.url = new URL(subscription.destination.URI);
    const port = Number(this.url.port || 80);
    if (SANDBOX_HOSTS.has(this.url.hostname)) this.connectInside = () => loopback(port);
  }

  /** Whether this subscriber wants events of this category. */
  accepts(category: TelemetryType): boolean {
    return this.subscription.types.includes(category);
  }

  push(event: TelemetryEvent): void {
    if (this.closed) return;
    const bytes = Buffer.byteLength(JSON.stringify(event));
    const { maxItems, maxBytes } = this.subscription.buffering;
    if (this.queue.length >= maxItems * QUEUE_FACTOR || this.queuedBytes + bytes > maxBytes * QUEUE_FACTOR) {
      this.dropped.records += 1;
      this.dropped.bytes += bytes;
      return;
    }
    this.queue.push({ event, bytes });
    this.queuedBytes += bytes;
    this.oldestAt ??= performance.now();
    this.schedule();
  }

  /** Stops sending (the listener is about to be frozen). */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  /** Resolves when no POST is in flight. */
  async settled(): Promise<void> {
    while (this.inFlight) await this.inFlight;
  }

  /** Sends everything queued now, regardless of buffering (used before SHUTDOWN). */
  async flush(): Promise<void> {
    this.paused = false;
    await this.settled();
    // One pass over what is queued now: a listener that keeps failing must not hold the caller.
    let batches = Math.ceil(this.queue.length / this.subscription.buffering.maxItems) + 1;
    while (!this.closed && batches-- > 0 && (this.queue.length > 0 || this.dropped.records > 0)) {
      this.send();
      await this.settled();
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.paused || this.closed || this.inFlight) return;
    if (this.queue.length === 0 && this.dropped.records === 0) return;
    const { maxItems, maxBytes, timeoutMs } = this.subscription.buffering;
    const due = (this.oldestAt ?? performance.now()) + timeoutMs - performance.now();
    if (this.queue.length >= maxItems || this.queuedBytes >= maxBytes || due <= 0) {
      this.send();
      return;
    }
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.schedule(), due);
    this.timer.unref();
  }

  private send(): void {
    clearTimeout(this.timer);
    if (this.dropped.records > 0) {
      // The loss report rides at the head of the next batch, like any platform event.
      const record = {
        droppedBytes: this.dropped.bytes,
        droppedRecords: this.dropped.records,
        reason: DROP_REASON,
      };
      this.dropped = { records: 0, bytes: 0 };
      const event = { time: new Date().toISOString(), type: 'platform.logsDropped', record };
      const bytes = Buffer.byteLength(JSON.stringify(event));
      this.queue.unshift({ event, bytes });
      this.queuedBytes += bytes;
    }
    const { maxItems, maxBytes } = this.subscription.buffering;
    const batch: Queued[] = [];
    let bytes = 0;
    while (this.queue.length > 0 && batch.length < maxItems) {
      const next = this.queue[0]!;
      if (batch.length > 0 && bytes + next.bytes > maxBytes) break;
      batch.push(this.queue.shift()!);
      bytes += next.bytes;
    }
    this.queuedBytes -= bytes;
    this.oldestAt = this.queue.length > 0 ? performance.now() : undefined;
    if (batch.length === 0) return;
    const body = Buffer.from(JSON.stringify(batch.map((q) => q.event)));
    this.inFlight = this.deliver(body).then((ok) => {
      if (!ok && !this.closed) {
        this.dropped.records += batch.length;
        this.dropped.bytes += bytes;
      }
      this.inFlight = undefined;
      this.schedule();
    });
  }

  private async deliver(body: Buffer): Promise<boolean> {
    for (let attempt = 0; attempt < DELIVERY_ATTEMPTS; attempt++) {
      if (this.closed) return false;
      if (attempt > 0) await pause(RETRY_BASE_MS * 2 ** (attempt - 1));
      if (await this.post(body)) return true;
    }
    return false;
  }

  private post(body: Buffer): Promise<boolean> {
    return new Promise((resolve) => {
      const req = httpRequest(
        this.url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': body.length },
          timeout: DELIVERY_TIMEOUT_MS,
          ...(this.connectInside ? { createConnection: this.connectInside } : {}),
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve((res.statusCode ?? 500) < 300));
          res.on('error', () => resolve(false));
        },
      );
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(false));
      req.end(body);
    });
  }
}
