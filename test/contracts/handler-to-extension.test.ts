import { context, SpanKind, SpanStatusCode, TraceFlags, trace } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetrySpan } from '../../extension/src/otlp/span';
import { OtlpReceiver } from '../../extension/src/otlp-receiver';
import { PipelineCounters } from '../../extension/src/pipeline-counters';
import { encodeOtlpJson } from '../../functions/telemetry/otlp-json';
import { ReceiverClient } from '../../functions/telemetry/receiver-client';

// The handler and the extension meet only on the wire: the handler's own encoder and client on
// one side, the extension's own receiver and decoder on the other, real HTTP on loopback between.

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function startExtensionReceiver() {
  const spans: TelemetrySpan[] = [];
  const emf: string[] = [];
  receiver = new OtlpReceiver({
    address: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 1024 * 1024,
    spans: { add: (batch) => spans.push(...batch) && 0 },
    emf: { add: (line) => emf.push(line) > 0 },
    counters: new PipelineCounters(),
  });
  const { port } = await receiver.listen();
  return { client: new ReceiverClient(`127.0.0.1:${port}`, { stdout: () => undefined }), spans, emf };
}

/** What a handler records: a SERVER span continuing Lambda's trace, a CLIENT child with an exception. */
function recordHandlerSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'todos', 'faas.max_memory': 134217728 }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('functions-telemetry', '0.1.0');
  const lambda = trace.setSpanContext(context.active(), {
    traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700',
    spanId: '9a9197af755a6419',
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
  });
  const server = tracer.startSpan(
    'GET /todos/{id}',
    {
      kind: SpanKind.SERVER,
      attributes: {
        'http.response.status_code': 503,
        'http.response.body.size': 9_007_199_254_740_991,
        ratio: 0.25,
        'faas.coldstart': true,
        tags: ['a', 'b'],
      },
      links: [{ context: { traceId: 'aa'.repeat(16), spanId: 'bb'.repeat(8), traceFlags: 1 } }],
    },
    lambda,
  );
  const client = tracer.startSpan(
    'DynamoDB.GetItem',
    { kind: SpanKind.CLIENT },
    trace.setSpan(lambda, server),
  );
  client.recordException(new RangeError('throttled'));
  client.setStatus({ code: SpanStatusCode.ERROR, message: 'ProvisionedThroughputExceededException' });
  client.end();
  server.end();
  return memory.getFinishedSpans();
}

const nanos = ([seconds, fraction]: readonly [number, number]) =>
  BigInt(seconds) * 1_000_000_000n + BigInt(fraction);

describe('handler to extension wire', () => {
  it('delivers every span field the handler encodes to the extension decoder unchanged', async () => {
    // Prepare
    const { client, spans } = await startExtensionReceiver();
    const sent = recordHandlerSpans();

    // Act
    client.sendSpans(encodeOtlpJson(sent), sent.length);
    await client.settled();

    // Assess
    expect(client.counters).toMatchObject({ spansSent: 2, spansDropped: 0, sendFailures: 0 });
    const [dynamo, server] = sent;
    const serverSpan = spans.find((span) => span.name === 'GET /todos/{id}');
    const clientSpan = spans.find((span) => span.name === 'DynamoDB.GetItem');
    expect(serverSpan).toMatchObject({
      traceId: '5bef4de7ad49b0e87f6ef6c87fc2e700',
      spanId: server!.spanContext().spanId,
      parentSpanId: '9a9197af755a6419',
      kind: 2,
      startTimeUnixNano: nanos(server!.startTime),
      endTimeUnixNano: nanos(server!.endTime),
      attributes: {
        'http.response.status_code': 503,
        'http.response.body.size': 9_007_199_254_740_991,
        ratio: 0.25,
        'faas.coldstart': true,
        tags: ['a', 'b'],
      },
      links: [{ traceId: 'aa'.repeat(16), spanId: 'bb'.repeat(8), attributes: {} }],
      status: { code: 0 },
      resource: { 'service.name': 'todos', 'faas.max_memory': 134217728 },
      scope: { name: 'functions-telemetry', version: '0.1.0' },
    });
    expect(clientSpan).toMatchObject({
      parentSpanId: server!.spanContext().spanId,
      kind: 3,
      status: { code: 2, message: 'ProvisionedThroughputExceededException' },
      events: [
        {
          name: 'exception',
          timeUnixNano: nanos(dynamo!.events[0]!.time),
          attributes: { 'exception.type': 'RangeError', 'exception.message': 'throttled' },
        },
      ],
    });
  });

  it('delivers EMF documents one per line, none written to stdout', async () => {
    // Prepare
    const { client, emf } = await startExtensionReceiver();
    const documents = [
      JSON.stringify({ _aws: { Timestamp: 1, CloudWatchMetrics: [] }, RequestBytes: 12 }),
      JSON.stringify({ _aws: { Timestamp: 2, CloudWatchMetrics: [] }, RequestBytes: 34 }),
    ];

    // Act
    client.sendEmf(documents);
    await client.settled();

    // Assess
    expect(emf).toEqual(documents);
    expect(client.counters).toMatchObject({ emfSent: 2, emfToStdout: 0, sendFailures: 0 });
  });
});
