import { createSocket } from 'node:dgram';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import { afterEach, describe, expect, it } from 'vitest';
import { ExportError } from '../../extension/src/errors';
import { OtlpJsonExporter } from '../../extension/src/exporters/otlp-json-exporter';
import { XRayApiExporter } from '../../extension/src/exporters/xray-api-exporter';
import { XRayUdpExporter } from '../../extension/src/exporters/xray-udp-exporter';
import type { TelemetrySpan } from '../../extension/src/otlp/span';
import { OtlpReceiver } from '../../extension/src/otlp-receiver';
import { PipelineCounters } from '../../extension/src/pipeline-counters';
import { span } from './span-fixtures';

const credentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session-token-from-lambda',
};

interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A real HTTP server standing in for X-Ray: records requests and answers with `reply`. */
async function startBackend(reply: (req: Received) => { status: number; body: string }) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = {
        method: req.method!,
        path: req.url!,
        headers: req.headers,
        body: Buffer.concat(chunks),
      };
      received.push(entry);
      const { status, body } = reply(entry);
      res.writeHead(status, { 'content-type': 'application/json' }).end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => new Promise((resolve) => server.close(() => resolve())));
  return { endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received };
}

/** Recomputes the signature of a received request with the AWS SDK's own signer. */
async function expectedAuthorization(req: Received, endpoint: string): Promise<string> {
  const signed = /SignedHeaders=([^,]+)/.exec(String(req.headers.authorization))![1]!.split(';');
  const headers: Record<string, string> = {};
  for (const name of signed) headers[name] = String(req.headers[name]);
  const amzDate = String(req.headers['x-amz-date']);
  const signingDate = new Date(
    `${amzDate.slice(0, 4)}-${amzDate.slice(4, 6)}-${amzDate.slice(6, 8)}T${amzDate.slice(9, 11)}:${amzDate.slice(11, 13)}:${amzDate.slice(13, 15)}Z`,
  );
  const url = new URL(endpoint);
  const signer = new SignatureV4({
    service: 'xray',
    region: 'eu-west-1',
    credentials,
    sha256: Sha256,
    applyChecksum: false,
  });
  const result = await signer.sign(
    {
      method: req.method,
      protocol: url.protocol,
      hostname: url.hostname,
      port: Number(url.port),
      path: req.path,
      query: {},
      headers,
      body: req.body,
    },
    { signingDate },
  );
  return String(result.headers.authorization);
}

const manySpans = (count: number): TelemetrySpan[] =>
  Array.from({ length: count }, (_, i) => span({ spanId: (i + 1).toString(16).padStart(16, '0') }));

describe('X-Ray PutTraceSegments exporter', () => {
  it('sends segment documents signed with SigV4 that the AWS SDK signer reproduces', async () => {
    // Prepare
    const backend = await startBackend(() => ({ status: 200, body: '{"UnprocessedTraceSegments":[]}' }));
    const exporter = new XRayApiExporter({
      endpoint: backend.endpoint,
      region: 'eu-west-1',
      credentials,
    });
    const spans = manySpans(3);

    // Act
    const outcome = await exporter.export(spans, new AbortController().signal);
    await exporter.shutdown();

    // Assess
    expect(outcome).toEqual({ rejected: 0 });
    const [req] = backend.received;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/TraceSegments');
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers['x-amz-security-token']).toBe(credentials.sessionToken);
    expect(String(req?.headers.authorization)).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/xray\/aws4_request, SignedHeaders=[a-z0-9;-]+, Signature=[0-9a-f]{64}$/,
    );
    const body = JSON.parse(req!.body.toString()) as { TraceSegmentDocuments: string[] };
    expect(body.TraceSegmentDocuments).toHaveLength(3);
    const docs = body.TraceSegmentDocuments.map((doc) => JSON.parse(doc) as { id: string; trace_id: string });
    expect(docs.map((doc) => doc.id)).toEqual(spans.map((s) => s.spanId));
    expect(docs[0]?.trace_id).toBe('1-5bef4de7-ad49b0e87f6ef6c87fc2e700');
    expect(req!.headers.authorization).toBe(await expectedAuthorization(req!, backend.endpoint));
  });

  it('counts documents X-Ray lists as unprocessed as rejected', async () => {
    // Prepare
    const backend = await startBackend(() => ({
      status: 200,
      body: '{"UnprocessedTraceSegments":[{"Id":"0000000000000001","ErrorCode":"InvalidTraceId","Message":"old"}]}',
    }));
    const exporter = new XRayApiExporter({
      endpoint: backend.endpoint,
      region: 'eu-west-1',
      credentials: undefined,
    });

    // Act
    const outcome = await exporter.export(manySpans(2), new AbortController().signal);

    // Assess
    expect(outcome).toEqual({ rejected: 1 });
    expect(backend.received[0]?.headers.authorization).toBeUndefined();
  });

  it('fails retryably on 5xx and 429 and finally on other 4xx', async () => {
    // Prepare
    const statuses = [503, 429, 400];
    const backend = await startBackend(() => ({ status: statuses.shift()!, body: '{"message":"x"}' }));
    const exporter = new XRayApiExporter({
      endpoint: backend.endpoint,
      region: 'eu-west-1',
      credentials,
    });
    const attempt = () =>
      exporter.export(manySpans(1), new AbortController().signal).then(
        () => undefined,
        (error: unknown) => error as ExportError,
      );

    // Act
    const errors = [await attempt(), await attempt(), await attempt()];

    // Assess
    expect(errors.map((error) => [error?.status, error?.retryable])).toEqual([
      [503, true],
      [429, true],
      [400, false],
    ]);
    expect(errors.every((error) => error instanceof ExportError)).toBe(true);
  });
});

describe('X-Ray daemon UDP exporter', () => {
  it('sends one datagram per segment with the daemon header', async () => {
    // Prepare
    const socket = createSocket('udp4');
    const datagrams: string[] = [];
    socket.on('message', (message) => datagrams.push(message.toString()));
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => socket.close(() => resolve())));
    const exporter = new XRayUdpExporter({ host: '127.0.0.1', port: socket.address().port }, 'eu-west-1');

    // Act
    await exporter.export(manySpans(2), new AbortController().signal);
    await exporter.shutdown();
    await expect.poll(() => datagrams.length).toBe(2);

    // Assess
    for (const datagram of datagrams) {
      const [header, document] = datagram.split('\n');
      expect(JSON.parse(header!)).toEqual({ format: 'json', version: 1 });
      expect(JSON.parse(document!)).toMatchObject({
        trace_id: '1-5bef4de7-ad49b0e87f6ef6c87fc2e700',
        type: 'subsegment',
      });
    }
  });
});

describe('OTLP/JSON exporter', () => {
  it('re-encodes spans that an OTLP receiver decodes to the same spans, with the configured headers', async () => {
    // Prepare
    const decoded: TelemetrySpan[] = [];
    const receiver = new OtlpReceiver({
      address: { host: '127.0.0.1', port: 0 },
      maxBodyBytes: 1 << 20,
      spans: {
        add(spans: readonly TelemetrySpan[]) {
          decoded.push(...spans);
          return 0;
        },
      },
      counters: new PipelineCounters(),
    });
    const { port } = await receiver.listen();
    closers.push(() => receiver.close());
    const original = span({
      kind: 3,
      attributes: { s: 'x', i: 7, d: 0.5, b: true, big: 2n ** 60n, list: ['a', 1], map: { k: 'v' } },
      events: [{ name: 'exception', timeUnixNano: 5n, attributes: { 'exception.type': 'E' } }],
      status: { code: 2, message: 'bad' },
    });
    const exporter = new OtlpJsonExporter({
      endpoint: `http://127.0.0.1:${port}/v1/traces`,
      headers: { 'x-api-key': 'secret' },
      credentials,
    });

    // Act
    const outcome = await exporter.export([original], new AbortController().signal);

    // Assess
    expect(outcome).toEqual({ rejected: 0 });
    const { sizeBytes: _a, ...expected } = original;
    const { sizeBytes: _b, ...actual } = decoded[0]!;
    expect(actual).toEqual(expected);
  });
});
