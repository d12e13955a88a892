import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeOtlpJson } from '../../functions/telemetry/otlp-json';
import { startTestReceiver, type TestReceiver } from './support/receiver';

let receiver: TestReceiver;

beforeAll(async () => {
  receiver = await startTestReceiver();
});

afterAll(async () => {
  await receiver.close();
});

/** Spans exercising every field the encoder writes: remote parent, links, events, every attribute type, status. */
function recordSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'orders', 'faas.max_memory': 268435456 }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('scope-a', '1.2.3');
  const remote = trace.setSpanContext(context.active(), {
    traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700',
    spanId: '9a9197af755a6419',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const server = tracer.startSpan(
    'GET /orders/{id}',
    {
      kind: SpanKind.SERVER,
      attributes: { 'http.response.status_code': 200, ratio: 0.5, 'faas.coldstart': true, tags: ['a', 'b'] },
      links: [
        {
          context: { traceId: 'aa'.repeat(16), spanId: 'bb'.repeat(8), traceFlags: 1 },
          attributes: { k: 'v' },
        },
      ],
    },
    remote,
  );
  const client = provider
    .getTracer('scope-b')
    .startSpan('DynamoDB.GetItem', { kind: SpanKind.CLIENT }, trace.setSpan(context.active(), server));
  client.recordException(new RangeError('throttled'));
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'ProvisionedThroughputExceededException' });
  client.end();
  server.end();
  return memory.getFinishedSpans();
}

describe('OTLP/JSON encoding', () => {
  it('encodes spans as the official OpenTelemetry OTLP/HTTP JSON exporter does, int64 as strings', async () => {
    // Prepare
    const spans = recordSpans();
    const exporter = new OTLPTraceExporter({ url: `http://${receiver.address}/v1/traces` });

    // Act
    const ours = JSON.parse(encodeOtlpJson(spans)) as unknown;
    const exported = await new Promise<number>((resolve) =>
      exporter.export(spans, (result) => resolve(result.code)),
    );
    await exporter.shutdown();

    // Assess
    expect(exported).toBe(0);
    const official = JSON.parse(receiver.requests.at(-1)?.body ?? '{}') as unknown;
    expect(ours).toEqual(withInt64AsStrings(official));
    expect(ours).toMatchObject({
      resourceSpans: [
        { scopeSpans: [{ scope: { name: 'scope-b' } }, { scope: { name: 'scope-a', version: '1.2.3' } }] },
      ],
    });
  });
});

/**
 * The official JSON exporter writes `intValue` as a JSON number; the wire contract writes it as
 * a decimal string, as the protobuf JSON mapping writes int64 (receivers accept both). The
 * comparison applies that one documented difference to the official output.
 */
function withInt64AsStrings(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withInt64AsStrings);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([key, field]) => [
      key,
      key === 'intValue' && typeof field === 'number' ? String(field) : withInt64AsStrings(field),
    ]),
  );
}
