import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutTraceSegmentsCommand, XRayClient } from '@aws-sdk/client-xray';
import { context, SpanKind, trace } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  type IdGenerator,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { XRayApiExporter } from '../../extension/src/exporters/xray-api-exporter';
import {
  isInXRayTraceIdWindow,
  OUT_OF_WINDOW_MESSAGE,
  XRayTraceIdWindow,
} from '../../extension/src/exporters/xray-trace-id-window';
import { XRayUdpExporter } from '../../extension/src/exporters/xray-udp-exporter';
import { OtlpReceiver } from '../../extension/src/otlp-receiver';
import { PipelineCounters } from '../../extension/src/pipeline-counters';
import { SpanBuffer } from '../../extension/src/span-buffer';
import type { SpanExporter } from '../../extension/src/span-exporter';
import { startXRayHttpEndpoint, type XRayHttpEndpoint } from '../../local/xray/http-endpoint';
import { newSegmentId, newTraceId } from '../../local/xray/trace-header';
import { readStoredSegments, TraceStore } from '../../local/xray/trace-store';
import { startUdpDaemon, type UdpDaemon } from '../../local/xray/udp-daemon';
import { eventually } from '../support/eventually';
import { exportWithOfficialClient } from './otlp-clients';

// X-Ray reads the first 8 hex digits of a trace id as the epoch second the trace started and
// refuses segments whose second is outside its window. The path runs for real: the stock
// OpenTelemetry SDK and its OTLP/protobuf exporter, the extension's receiver, buffer and X-Ray
// exporters, and the local X-Ray stand-in (PutTraceSegments over HTTP, the daemon over UDP).

const DAY_MS = 24 * 60 * 60 * 1000;
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

let dir: string;
let store: TraceStore;
let xray: XRayHttpEndpoint;
let daemon: UdpDaemon;
let receiver: OtlpReceiver | undefined;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'xray-window-'));
  store = new TraceStore(dir);
  xray = await startXRayHttpEndpoint(store, '127.0.0.1', 0);
  daemon = await startUdpDaemon(store, '127.0.0.1', 0);
});

afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
  await Promise.all([xray.close(), daemon.close()]);
  await rm(dir, { recursive: true, force: true });
});

/** What AWSXRayIdGenerator (`@opentelemetry/id-generator-aws-xray`) does: the current epoch second, then 96 random bits. */
const xrayStyleIds: IdGenerator = {
  generateTraceId: () =>
    Math.floor(Date.now() / 1000)
      .toString(16)
      .padStart(8, '0') + randomBytes(12).toString('hex'),
  generateSpanId: () => randomBytes(8).toString('hex'),
};

/** A SERVER span with a DynamoDB CLIENT child, recorded by the SDK with `idGenerator` (absent: the stock random one). */
function recordSpans(idGenerator?: IdGenerator): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'todos' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
    ...(idGenerator ? { idGenerator } : {}),
  });
  const tracer = provider.getTracer('todos-handler');
  const server = tracer.startSpan('GET /todos', { kind: SpanKind.SERVER });
  const client = tracer.startSpan(
    'DynamoDB.Query',
    { kind: SpanKind.CLIENT },
    trace.setSpan(context.active(), server),
  );
  client.setAttributes({ 'rpc.system': 'aws-api', 'rpc.service': 'DynamoDB', 'rpc.method': 'Query' });
  client.end();
  server.end();
  return memory.getFinishedSpans();
}

/**
 * Spans with the stock SDK's random W3C trace id. About 1 id in 1,650 lands inside X-Ray's
 * window by chance; such a draw is recorded again so the test does not depend on luck.
 */
function recordStockSdkSpans(): ReadableSpan[] {
  for (;;) {
    const spans = recordSpans();
    if (!isInXRayTraceIdWindow(spans[0]!.spanContext().traceId, Date.now())) return spans;
  }
}

/** Receiver → buffer → `exporter`, as the extension wires them; returns where to post and what to read. */
async function startPipeline(exporter: SpanExporter) {
  const counters = new PipelineCounters();
  const buffer = new SpanBuffer(exporter, counters, {
    maxSpans: 100,
    maxBytes: 1024 * 1024,
    maxBatchSpans: 50,
    maxRetries: 0,
    retryBaseDelayMs: 10,
    exportTimeoutMs: 5_000,
  });
  receiver = new OtlpReceiver({
    address: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 1024 * 1024,
    spans: buffer,
    counters,
  });
  const { port } = await receiver.listen();
  return { url: `http://127.0.0.1:${port}/v1/traces`, buffer, counters };
}

/** The window on the real clock in front of `segments`, its log lines kept instead of written to stderr. */
function recordingWindow(segments: SpanExporter) {
  const logged: { message: string; fields: Record<string, unknown> }[] = [];
  const exporter = new XRayTraceIdWindow(segments, Date.now, (message, fields) =>
    logged.push({ message, fields }),
  );
  return { exporter, logged };
}

/** A PutTraceSegments exporter to the stand-in, behind a recording window. */
function recordingApiExporter() {
  return recordingWindow(new XRayApiExporter({ endpoint: xray.url, region: 'eu-west-1', credentials }));
}

describe('spans headed for X-Ray PutTraceSegments', () => {
  it('does not send stock-SDK spans, counts them as trace_id_out_of_window and logs that once', async () => {
    // Prepare
    const { exporter, logged } = recordingApiExporter();
    const { url, buffer, counters } = await startPipeline(exporter);

    // Act: two invocations' worth, each flushed as the extension would after the response
    for (let invocation = 0; invocation < 2; invocation++) {
      const code = await exportWithOfficialClient(url, 'protobuf', recordStockSdkSpans(), false);
      expect(code).toBe(ExportResultCode.SUCCESS);
      await buffer.flush(Date.now() + 5_000);
    }

    // Assess
    const snapshot = counters.snapshot();
    expect(snapshot.spansReceived).toBe(4);
    expect(snapshot.spansDropped.trace_id_out_of_window).toBe(4);
    expect(snapshot.spansDropped.rejected).toBe(0);
    expect(snapshot.spansExported).toBe(0);
    expect(snapshot.exportFailures).toBe(0);
    expect(logged).toHaveLength(1);
    expect(logged[0]!.message).toBe(OUT_OF_WINDOW_MESSAGE);
    expect(logged[0]!.message).toContain('AWSXRayIdGenerator');
    expect(logged[0]!.fields).toMatchObject({ reason: 'trace_id_out_of_window' });
    expect(await readStoredSegments(dir)).toEqual([]);
  });

  it('exports spans whose trace id starts with the current epoch second, as AWSXRayIdGenerator makes them', async () => {
    // Prepare
    const { exporter, logged } = recordingApiExporter();
    const { url, buffer, counters } = await startPipeline(exporter);
    const spans = recordSpans(xrayStyleIds);

    // Act
    await exportWithOfficialClient(url, 'protobuf', spans, false);
    const result = await buffer.flush(Date.now() + 5_000);

    // Assess
    expect(result).toEqual({ exported: 2, dropped: 0, remaining: 0 });
    expect(counters.snapshot().spansDropped.trace_id_out_of_window).toBe(0);
    expect(logged).toEqual([]);
    const traceId = spans[0]!.spanContext().traceId;
    const stored = await readStoredSegments(dir);
    expect(stored.map((segment) => segment.document.trace_id)).toEqual([
      `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`,
      `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`,
    ]);
  });

  it('sends the in-window spans of a mixed batch and withholds only the others', async () => {
    // Prepare
    const { exporter } = recordingApiExporter();
    const { url, buffer, counters } = await startPipeline(exporter);

    // Act
    await exportWithOfficialClient(
      url,
      'protobuf',
      [...recordStockSdkSpans(), ...recordSpans(xrayStyleIds)],
      false,
    );
    const result = await buffer.flush(Date.now() + 5_000);

    // Assess
    expect(result).toEqual({ exported: 2, dropped: 2, remaining: 0 });
    expect(counters.snapshot().spansDropped.trace_id_out_of_window).toBe(2);
    expect(await readStoredSegments(dir)).toHaveLength(2);
  });
});

describe('spans headed for the X-Ray daemon over UDP', () => {
  it('sends no datagram for stock-SDK spans and counts them as trace_id_out_of_window', async () => {
    // Prepare
    const { exporter, logged } = recordingWindow(
      new XRayUdpExporter({ host: '127.0.0.1', port: daemon.port }, 'eu-west-1'),
    );
    const { url, buffer, counters } = await startPipeline(exporter);
    const inWindow = recordSpans(xrayStyleIds);

    // Act: the stock spans come first, so had they been sent they would land first
    await exportWithOfficialClient(url, 'protobuf', [...recordStockSdkSpans(), ...inWindow], false);
    await buffer.flush(Date.now() + 5_000);
    await exporter.shutdown();

    // Assess
    const stored = await eventually(
      () => readStoredSegments(dir),
      (found) => found.length >= 2,
    );
    expect(new Set(stored.map((segment) => segment.document.id))).toEqual(
      new Set(inWindow.map((span) => span.spanContext().spanId)),
    );
    expect(daemon.rejected()).toBe(0);
    expect(counters.snapshot().spansDropped.trace_id_out_of_window).toBe(2);
    expect(counters.snapshot().spansExported).toBe(2);
    expect(logged).toHaveLength(1);
  });
});

describe("X-Ray's trace id window", () => {
  const now = Date.UTC(2026, 10, 30, 12, 0, 0);
  const traceIdAt = (ms: number) =>
    `${Math.floor(ms / 1000)
      .toString(16)
      .padStart(8, '0')}${'0'.repeat(23)}1`;

  it.each([
    ['started now', now, true],
    ['started 30 days ago', now - 30 * DAY_MS, true],
    ['started a second more than 30 days ago', now - 30 * DAY_MS - 1_000, false],
    ['starting 5 minutes ahead (clock skew)', now + 5 * 60_000, true],
    ['starting more than 5 minutes ahead', now + 5 * 60_000 + 1_000, false],
    ['whose first 32 bits, read as a time, fall in 2106', 0xffffffff * 1000, false],
  ])('holds a trace id %s: %s', (_case, at, accepted) => {
    // Act
    const inWindow = isInXRayTraceIdWindow(traceIdAt(at), now);

    // Assess
    expect(inWindow).toBe(accepted);
  });
});

describe('local X-Ray stand-in', () => {
  const segment = (traceId: string) => ({
    name: 'todos',
    id: newSegmentId(),
    trace_id: traceId,
    start_time: Date.now() / 1000 - 0.2,
    end_time: Date.now() / 1000,
  });
  const client = () =>
    new XRayClient({ endpoint: xray.url, region: 'us-east-1', credentials: { ...credentials } });

  it('lists segments whose trace id time is outside the window as unprocessed InvalidTraceId and stores only the rest', async () => {
    // Prepare
    const old = segment(newTraceId(Date.now() - 31 * DAY_MS));
    const ahead = segment(newTraceId(Date.now() + DAY_MS));
    const current = segment(newTraceId());

    // Act
    const result = await client().send(
      new PutTraceSegmentsCommand({
        TraceSegmentDocuments: [old, ahead, current].map((document) => JSON.stringify(document)),
      }),
    );

    // Assess
    expect(result.UnprocessedTraceSegments).toEqual([
      { Id: old.id, ErrorCode: 'InvalidTraceId', Message: 'Invalid segment. ErrorCode: InvalidTraceId' },
      { Id: ahead.id, ErrorCode: 'InvalidTraceId', Message: 'Invalid segment. ErrorCode: InvalidTraceId' },
    ]);
    const stored = await readStoredSegments(dir);
    expect(stored.map((entry) => entry.document.id)).toEqual([current.id]);
  });

  it('does not store a daemon datagram whose trace id time is outside the window', async () => {
    // Prepare
    const old = segment(newTraceId(Date.now() - 31 * DAY_MS));
    const socket = createSocket('udp4');

    // Act
    await new Promise<void>((resolve, reject) =>
      socket.send(
        Buffer.from(`{"format": "json", "version": 1}\n${JSON.stringify(old)}`),
        daemon.port,
        '127.0.0.1',
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    socket.close();

    // Assess
    await eventually(
      () => daemon.rejected(),
      (count) => count === 1,
    );
    expect(await readStoredSegments(dir)).toEqual([]);
  });
});
