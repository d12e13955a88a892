// Real OpenTelemetry SDK spans and the official OTLP/HTTP exporters, used as clients of the receiver.
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { CompressionAlgorithm } from '@opentelemetry/otlp-exporter-base';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** Records a SERVER span with a DynamoDB CLIENT child (and an exception on the child) through the SDK. */
export function recordSampleSpans(): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'todos', 'cloud.region': 'eu-west-1' }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('todos-handler', '1.0.0');
  // No context manager is registered, so the parent is passed explicitly.
  const server = tracer.startSpan('GET /todos/{id}', { kind: SpanKind.SERVER });
  {
    server.setAttributes({
      'http.request.method': 'GET',
      'http.route': '/todos/{id}',
      'http.response.status_code': 500,
      'faas.coldstart': true,
      'request.bytes': 12345678901,
      'ratio.value': 0.25,
      'tags.list': ['a', 'b'],
    });
    const client = tracer.startSpan(
      'DynamoDB.GetItem',
      { kind: SpanKind.CLIENT },
      trace.setSpan(context.active(), server),
    );
    client.setAttributes({
      'rpc.system': 'aws-api',
      'rpc.service': 'DynamoDB',
      'rpc.method': 'GetItem',
      'aws.dynamodb.table_names': ['todos'],
    });
    client.recordException(Object.assign(new Error('boom'), { name: 'InternalServerError' }));
    client.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    client.end();
    server.end();
  }
  return memory.getFinishedSpans();
}

/** Sends `spans` to `url` with the official exporter for `encoding`; resolves with the export result code. */
export function exportWithOfficialClient(
  url: string,
  encoding: 'json' | 'protobuf',
  spans: ReadableSpan[],
  gzip: boolean,
): Promise<number> {
  const options = { url, compression: gzip ? CompressionAlgorithm.GZIP : CompressionAlgorithm.NONE };
  const exporter = encoding === 'json' ? new JsonTraceExporter(options) : new ProtoTraceExporter(options);
  return new Promise((resolve) => {
    exporter.export(spans, (result) => {
      void exporter.shutdown();
      resolve(result.code);
    });
  });
}
