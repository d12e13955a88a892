import { gzipSync } from 'node:zlib';
import { ExportResultCode } from '@opentelemetry/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { TelemetrySpan } from '../../extension/src/otlp/span';
import { OtlpReceiver } from '../../extension/src/otlp-receiver';
import { PipelineCounters } from '../../extension/src/pipeline-counters';
import { exportWithOfficialClient, recordSampleSpans } from './otlp-clients';

/** A sink that keeps everything, or refuses beyond `capacity` like a full buffer. */
function collectingSink(capacity = Number.POSITIVE_INFINITY) {
  const spans: TelemetrySpan[] = [];
  return {
    spans,
    add(batch: readonly TelemetrySpan[]): number {
      const room = Math.max(0, capacity - spans.length);
      spans.push(...batch.slice(0, room));
      return Math.max(0, batch.length - room);
    },
  };
}

let receiver: OtlpReceiver | undefined;
afterEach(async () => {
  await receiver?.close();
  receiver = undefined;
});

async function startReceiver(sink = collectingSink(), emfLines?: string[]) {
  receiver = new OtlpReceiver({
    address: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 1024 * 1024,
    spans: sink,
    emf: emfLines
      ? {
          add(line: string) {
            emfLines.push(line);
            return !line.includes('"reject"');
          },
        }
      : undefined,
    counters: new PipelineCounters(),
  });
  const { port } = await receiver.listen();
  return { base: `http://127.0.0.1:${port}`, sink };
}

describe('OTLP receiver', () => {
  for (const encoding of ['json', 'protobuf'] as const) {
    for (const gzip of [false, true]) {
      it(`decodes spans sent by the official ${encoding} exporter${gzip ? ' with gzip' : ''}`, async () => {
        // Prepare
        const { base, sink } = await startReceiver();
        const sent = recordSampleSpans();

        // Act
        const code = await exportWithOfficialClient(`${base}/v1/traces`, encoding, sent, gzip);

        // Assess
        expect(code).toBe(ExportResultCode.SUCCESS);
        expect(sink.spans).toHaveLength(2);
        const server = sink.spans.find((span) => span.kind === 2)!;
        const client = sink.spans.find((span) => span.kind === 3)!;
        const sentServer = sent.find((span) => span.name === 'GET /todos/{id}')!;
        expect(server.traceId).toBe(sentServer.spanContext().traceId);
        expect(server.spanId).toBe(sentServer.spanContext().spanId);
        expect(server.parentSpanId).toBeUndefined();
        expect(client.parentSpanId).toBe(server.spanId);
        expect(server.name).toBe('GET /todos/{id}');
        expect(server.attributes).toMatchObject({
          'http.request.method': 'GET',
          'http.route': '/todos/{id}',
          'http.response.status_code': 500,
          'faas.coldstart': true,
          'request.bytes': 12345678901,
          'ratio.value': 0.25,
          'tags.list': ['a', 'b'],
        });
        const [seconds, nanos] = sentServer.startTime;
        expect(server.startTimeUnixNano).toBe(BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
        expect(
          server.endTimeUnixNano > server.startTimeUnixNano ||
            server.endTimeUnixNano === server.startTimeUnixNano,
        ).toBe(true);
        expect(server.resource['service.name']).toBe('todos');
        expect(server.scope).toEqual({ name: 'todos-handler', version: '1.0.0' });
        expect(client.attributes['aws.dynamodb.table_names']).toEqual(['todos']);
        expect(client.status).toEqual({ code: 2, message: 'boom' });
        expect(client.events[0]?.name).toBe('exception');
        expect(client.events[0]?.attributes['exception.type']).toBe('InternalServerError');
        expect(client.sizeBytes).toBeGreaterThan(0);
      });
    }
  }

  it('reports spans refused by a full buffer as partial success in protobuf', async () => {
    // Prepare
    const { base } = await startReceiver(collectingSink(1));
    const body = protobufRequestWithSpans(3);

    // Act
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body,
    });

    // Assess: ExportTraceServiceResponse{partial_success{rejected_spans=2, error_message}}
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(bytes[0]).toBe(0x0a);
    expect(bytes[2]).toBe(0x08);
    expect(bytes[3]).toBe(2);
    expect(bytes.toString('utf8')).toContain('span buffer full');
  });

  it('answers an empty JSON response when every span is accepted and rejects invalid ids in JSON', async () => {
    // Prepare
    const { base, sink } = await startReceiver();
    const request = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [
                {
                  traceId: '5759e988bd862e3fe1be46a994272793',
                  spanId: '53995c3f42cd8ad8',
                  name: 'ok',
                  kind: 'SPAN_KIND_SERVER',
                  startTimeUnixNano: '1700000000000000000',
                  endTimeUnixNano: 1700000000500000000,
                },
                { traceId: 'nothex', spanId: '53995c3f42cd8ad8', name: 'bad' },
              ],
            },
          ],
        },
      ],
    };

    // Act
    const res = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' },
      body: gzipSync(JSON.stringify(request)),
    });

    // Assess
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      partialSuccess: { rejectedSpans: '1', errorMessage: 'spans with invalid ids' },
    });
    expect(sink.spans.map((span) => [span.name, span.kind, span.startTimeUnixNano])).toEqual([
      ['ok', 2, 1700000000000000000n],
    ]);
  });

  it('answers malformed protobuf with a problem document and keeps serving', async () => {
    // Prepare
    const { base, sink } = await startReceiver();

    // Act
    const bad = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: Buffer.from([0x0a, 0x7f, 0x01]),
    });
    const good = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-protobuf' },
      body: protobufRequestWithSpans(1),
    });

    // Assess
    expect(bad.status).toBe(400);
    expect(bad.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await bad.json()) as { status: number; requestId: string; detail: string };
    expect(problem.status).toBe(400);
    expect(problem.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(problem.detail).toContain('truncated');
    expect(good.status).toBe(200);
    expect(sink.spans).toHaveLength(1);
  });

  it('refuses unsupported content types, unknown paths and oversized bodies', async () => {
    // Prepare
    const { base } = await startReceiver();

    // Act
    const text = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x',
    });
    const missing = await fetch(`${base}/v1/logs`, { method: 'POST', body: 'x' });
    const big = await fetch(`${base}/v1/traces`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: Buffer.alloc(2 * 1024 * 1024, 0x20),
    });

    // Assess
    expect([text.status, missing.status, big.status]).toEqual([415, 404, 413]);
  });

  it('hands newline-delimited EMF documents to the metrics intake one by one', async () => {
    // Prepare
    const lines: string[] = [];
    const { base } = await startReceiver(collectingSink(), lines);

    // Act
    const res = await fetch(`${base}/emf`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"_aws":{"a":1}}\n\n{"_aws":{"reject":1}}\n',
    });

    // Assess
    expect(await res.json()).toEqual({ accepted: 1, rejected: 1 });
    expect(lines).toEqual(['{"_aws":{"a":1}}', '{"_aws":{"reject":1}}']);
  });
});

/** Hand-assembled ExportTraceServiceRequest with `count` minimal spans in one scope. */
function protobufRequestWithSpans(count: number): Buffer {
  const field = (tag: number, payload: Buffer) =>
    Buffer.concat([Buffer.from([tag, payload.length]), payload]);
  const spans: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    spans.push(
      field(
        0x12,
        Buffer.concat([
          field(0x0a, Buffer.from('5759e988bd862e3fe1be46a994272793', 'hex')),
          field(0x12, Buffer.from(`53995c3f42cd8ad${i}`, 'hex')),
          field(0x2a, Buffer.from(`span-${i}`)),
        ]),
      ),
    );
  }
  return field(0x0a, field(0x12, Buffer.concat(spans)));
}
