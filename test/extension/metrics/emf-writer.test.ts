import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CloudWatchLogsEmfWriter,
  type HttpPoster,
  type LogsCredentials,
  logsEndpoint,
  PUT_LOG_EVENTS_LIMITS,
  type RequestSigner,
  StdoutEmfWriter,
} from '../../../extension/src/metrics/emf-writer';

const REGION = 'eu-west-1';
const CREDENTIALS: LogsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token',
};
const T0 = 1_764_000_000_000;

function smithySigner(credentials: LogsCredentials, region: string): SignatureV4 {
  return new SignatureV4({ service: 'logs', region, credentials, sha256: Sha256, applyChecksum: false });
}

/** Signs with the AWS SDK's own SigV4 implementation. */
const sign: RequestSigner = async (request, service, region, credentials) => {
  expect(service).toBe('logs');
  const signed = await smithySigner(credentials, region).sign({
    method: request.method,
    protocol: request.url.protocol,
    hostname: request.url.hostname,
    port: Number(request.url.port),
    path: request.url.pathname,
    query: {},
    headers: { ...request.headers, host: request.url.host },
    body: request.body.toString('utf8'),
  });
  return signed.headers as Record<string, string>;
};

/** A plain node:http client, as the extension's own poster is. */
const post: HttpPoster = (url, headers, body, signal) =>
  new Promise((resolve, reject) => {
    const req = httpRequest(
      url,
      { method: 'POST', headers: { ...headers, 'content-length': String(body.length) }, signal },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });

interface StoredEvent {
  timestamp: number;
  message: string;
}

/**
 * A stand-in for the CloudWatch Logs JSON API (no CloudWatch can run here): it checks each
 * request as the service would (target, EMF format header, SigV4 signature recomputed from the
 * received request, PutLogEvents limits) and keeps the streams.
 */
class FakeLogsService {
  readonly streams = new Map<string, StoredEvent[]>();
  readonly calls: { target: string; events: number }[] = [];
  readonly problems: string[] = [];
  failNext: { status: number; type: string } | undefined;
  private server: Server | undefined;

  constructor(readonly groups: Set<string>) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        void this.handle(req, Buffer.concat(chunks)).then(([status, body]) => {
          res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
        });
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, body: Buffer): Promise<[number, unknown]> {
    const problem = await this.signatureProblem(req, body);
    if (problem) {
      this.problems.push(problem);
      return [403, { __type: 'InvalidSignatureException', message: problem }];
    }
    if (req.headers['content-type'] !== 'application/x-amz-json-1.1') this.problems.push('content-type');
    if (req.headers['x-amzn-logs-format'] !== 'json/emf') this.problems.push('x-amzn-logs-format');
    const target = String(req.headers['x-amz-target']);
    const input = JSON.parse(body.toString('utf8')) as {
      logGroupName: string;
      logStreamName: string;
      logEvents?: StoredEvent[];
    };
    this.calls.push({ target, events: input.logEvents?.length ?? 0 });
    if (this.failNext) {
      const failure = this.failNext;
      this.failNext = undefined;
      return [failure.status, { __type: failure.type, message: 'injected' }];
    }
    const key = `${input.logGroupName}/${input.logStreamName}`;
    if (target === 'Logs_20140328.CreateLogStream') {
      if (!this.groups.has(input.logGroupName)) return [400, { __type: 'ResourceNotFoundException' }];
      if (this.streams.has(key)) return [400, { __type: 'ResourceAlreadyExistsException' }];
      this.streams.set(key, []);
      return [200, {}];
    }
    if (target !== 'Logs_20140328.PutLogEvents') return [400, { __type: 'UnknownOperationException' }];
    const stream = this.streams.get(key);
    if (stream === undefined) return [400, { __type: 'com.amazonaws.logs#ResourceNotFoundException' }];
    const events = input.logEvents ?? [];
    const bytes = events.reduce((total, event) => total + Buffer.byteLength(event.message) + 26, 0);
    const ordered = events.every((event, i) => i === 0 || events[i - 1]!.timestamp <= event.timestamp);
    const span = events.length === 0 ? 0 : events[events.length - 1]!.timestamp - events[0]!.timestamp;
    if (
      events.length === 0 ||
      events.length > 10_000 ||
      bytes > 1_048_576 ||
      !ordered ||
      span > 24 * 3_600_000
    ) {
      this.problems.push(
        `PutLogEvents limits: ${events.length} events, ${bytes} bytes, ordered ${ordered}, span ${span}`,
      );
      return [400, { __type: 'InvalidParameterException' }];
    }
    // Like the service, refuse events older than 14 days (relative to the newest one here).
    const tooOld = events.findLastIndex((event) => event.timestamp < T0 - 14 * 24 * 3_600_000);
    stream.push(...events.slice(tooOld + 1));
    return [200, tooOld >= 0 ? { rejectedLogEventsInfo: { tooOldLogEventEndIndex: tooOld } } : {}];
  }

  private async signatureProblem(req: IncomingMessage, body: Buffer): Promise<string | undefined> {
    const authorization = String(req.headers.authorization ?? '');
    const match =
      /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/logs\/aws4_request, SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$/.exec(
        authorization,
      );
    if (!match) return `malformed authorization: ${authorization}`;
    const [, accessKeyId, , region, signedHeaders] = match;
    if (accessKeyId !== CREDENTIALS.accessKeyId) return 'unknown access key';
    if (req.headers['x-amz-security-token'] !== CREDENTIALS.sessionToken) return 'missing session token';
    const headers: Record<string, string> = {};
    for (const name of signedHeaders!.split(';')) headers[name] = String(req.headers[name]);
    const amzDate = String(req.headers['x-amz-date']);
    const signingDate = new Date(
      `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
    );
    const [hostname, port] = String(req.headers.host).split(':');
    const recomputed = await smithySigner(CREDENTIALS, region!).sign(
      {
        method: req.method!,
        protocol: 'http:',
        hostname: hostname!,
        port: Number(port),
        path: req.url!,
        query: {},
        headers,
        body: body.toString('utf8'),
      },
      { signingDate },
    );
    return recomputed.headers.authorization === authorization ? undefined : 'signature does not match';
  }
}

function emf(timestamp: number, value: number, padding = ''): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [{ Namespace: 'App', Dimensions: [[]], Metrics: [{ Name: 'Size', Unit: 'Bytes' }] }],
    },
    Size: value,
    ...(padding ? { padding } : {}),
  });
}

describe('CloudWatchLogsEmfWriter', () => {
  let service: FakeLogsService;
  let endpoint: string;

  beforeEach(async () => {
    service = new FakeLogsService(new Set(['/telemetry/metrics']));
    endpoint = await service.start();
  });

  afterEach(async () => {
    await service.stop();
  });

  function writer(logGroupName = '/telemetry/metrics'): CloudWatchLogsEmfWriter {
    return new CloudWatchLogsEmfWriter({
      logGroupName,
      logStreamName: '2026/11/27/telemetry-extension/abc',
      region: REGION,
      endpoint,
      credentials: CREDENTIALS,
      sign,
      post,
    });
  }

  it('creates the missing stream, then delivers the documents in chronological order, signed', async () => {
    // Prepare
    const documents = [emf(T0 + 2_000, 3), emf(T0, 1), emf(T0 + 1_000, 2)];

    // Act
    const result = await writer().write(documents);

    // Assess
    expect(service.problems).toEqual([]);
    expect(result).toEqual({ written: 3, rejected: 0, unwritten: [] });
    expect(service.calls.map((call) => call.target)).toEqual([
      'Logs_20140328.PutLogEvents',
      'Logs_20140328.CreateLogStream',
      'Logs_20140328.PutLogEvents',
    ]);
    const stored = service.streams.get('/telemetry/metrics/2026/11/27/telemetry-extension/abc')!;
    expect(stored.map((event) => JSON.parse(event.message).Size)).toEqual([1, 2, 3]);
    expect(stored.map((event) => event.timestamp)).toEqual([T0, T0 + 1_000, T0 + 2_000]);
  });

  it('splits requests at the byte limit, counting 26 bytes per event', async () => {
    // Prepare: 12 documents of ~100 KiB exceed one 1 MiB request.
    const padding = 'x'.repeat(100 * 1024);
    const documents = Array.from({ length: 12 }, (_, i) => emf(T0 + i, i, padding));

    // Act
    const result = await writer().write(documents);

    // Assess
    expect(service.problems).toEqual([]);
    expect(result.written).toBe(12);
    const puts = service.calls.filter(
      (call) => call.target === 'Logs_20140328.PutLogEvents' && call.events > 0,
    );
    expect(puts.length).toBeGreaterThan(1);
    expect(puts.slice(-2).reduce((total, call) => total + call.events, 0)).toBe(12);
  });

  it('splits requests at 10,000 events and at a 24-hour span', async () => {
    // Prepare
    // Events this small reach the count limit before the byte limit (10,000 × ~60 bytes).
    const many = Array.from({ length: 10_001 }, (_, i) =>
      JSON.stringify({ _aws: { Timestamp: T0 - 3_600_000 + i } }),
    );
    const spread = [emf(T0 - 25 * 3_600_000, 1), emf(T0, 2)];

    // Act
    const first = await writer().write(many);
    const second = await writer().write(spread);

    // Assess
    expect(service.problems).toEqual([]);
    expect([first.written, second.written]).toEqual([10_001, 2]);
    const puts = service.calls.filter(
      (call) => call.target === 'Logs_20140328.PutLogEvents' && call.events > 0,
    );
    expect(puts.map((call) => call.events)).toEqual([10_000, 10_000, 1, 1, 1]);
  });

  it('counts events the service refuses as rejected, not written', async () => {
    // Act
    const result = await writer().write([emf(T0 - 15 * 24 * 3_600_000, 1), emf(T0, 2)]);

    // Assess
    expect(result).toEqual({ written: 1, rejected: 1, unwritten: [] });
  });

  it('hands back undelivered documents with a retryable error when the service fails', async () => {
    // Prepare
    const documents = [emf(T0, 1), emf(T0 + 1, 2)];
    service.failNext = { status: 503, type: 'ServiceUnavailableException' };

    // Act
    const result = await writer().write(documents);

    // Assess
    expect(result.written).toBe(0);
    expect(result.unwritten).toEqual(documents);
    expect(result.error?.retryable).toBe(true);
  });

  it('reports a missing log group as a failure that retrying will not fix', async () => {
    // Act
    const result = await writer('/does/not/exist').write([emf(T0, 1)]);

    // Assess
    expect(result.error?.retryable).toBe(false);
    expect(result.error?.message).toContain('CreateLogStream');
    expect(result.unwritten).toHaveLength(1);
  });

  it('hands everything back when the caller aborts', async () => {
    // Prepare
    const controller = new AbortController();
    controller.abort();

    // Act
    const result = await writer().write([emf(T0, 1)], controller.signal);

    // Assess
    expect(result).toMatchObject({ written: 0, unwritten: [emf(T0, 1)] });
    expect(result.error?.retryable).toBe(true);
  });

  it('drops a document larger than a whole request as rejected', async () => {
    // Act
    const result = await writer().write([emf(T0, 1, 'y'.repeat(PUT_LOG_EVENTS_LIMITS.maxBatchBytes))]);

    // Assess
    expect(result).toEqual({ written: 0, rejected: 1, unwritten: [] });
  });
});

describe('StdoutEmfWriter', () => {
  it('writes one line per document in a single write', async () => {
    // Prepare
    const writes: string[] = [];
    const stream = new Writable({
      write(chunk: Buffer, _encoding, callback) {
        writes.push(chunk.toString('utf8'));
        callback();
      },
    });

    // Act
    const result = await new StdoutEmfWriter(stream).write([emf(T0, 1), emf(T0, 2)]);

    // Assess
    expect(result).toEqual({ written: 2, rejected: 0, unwritten: [] });
    expect(writes).toEqual([`${emf(T0, 1)}\n${emf(T0, 2)}\n`]);
  });

  it('hands the documents back when the stream fails', async () => {
    // Prepare
    const stream = new Writable({
      write(_chunk, _encoding, callback) {
        callback(new Error('EPIPE'));
      },
    });
    stream.on('error', () => {});

    // Act
    const result = await new StdoutEmfWriter(stream).write([emf(T0, 1)]);

    // Assess
    expect(result.unwritten).toEqual([emf(T0, 1)]);
    expect(result.error?.message).toContain('EPIPE');
  });
});

describe('logsEndpoint', () => {
  it('prefers AWS_ENDPOINT_URL_LOGS, then AWS_ENDPOINT_URL, then the regional endpoint', () => {
    // Act
    const results = [
      logsEndpoint('eu-west-1', { logs: 'http://127.0.0.1:4566/', all: 'http://other' }),
      logsEndpoint('eu-west-1', { all: 'http://127.0.0.1:4566' }),
      logsEndpoint('eu-west-1'),
      logsEndpoint('cn-north-1'),
    ];

    // Assess
    expect(results).toEqual([
      'http://127.0.0.1:4566',
      'http://127.0.0.1:4566',
      'https://logs.eu-west-1.amazonaws.com',
      'https://logs.cn-north-1.amazonaws.com.cn',
    ]);
  });
});
