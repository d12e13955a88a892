/**
 * Memory soak of the span path: pushes 1,000,000 spans through the real OTLP receiver (HTTP on
 * loopback, OTLP/JSON) into the span buffer and a null exporter, flushing as the extension
 * does, and prints resident and heap memory every 100,000 spans. Steady state means the curve
 * is flat after warm-up.
 *
 *   npx tsx extension/scripts/soak.ts [totalSpans] [spansPerRequest] [requestsPerFlush]
 *
 * A large `requestsPerFlush` (e.g. 500: 50,000 spans between flushes into a 10,000-span buffer)
 * keeps the buffer full, to show memory stays bounded while the newest spans are refused.
 *   node --expose-gc --import tsx extension/scripts/soak.ts   # also forces a GC before each sample
 *
 * Sender and extension share this process, so the numbers include the sender (a few MB).
 */
import { Agent, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TelemetrySpan } from '../src/otlp/span';
import { OtlpReceiver } from '../src/otlp-receiver';
import { PipelineCounters } from '../src/pipeline-counters';
import { SpanBuffer } from '../src/span-buffer';
import type { ExportOutcome, SpanExporter } from '../src/span-exporter';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const PER_REQUEST = Number(process.argv[3] ?? 100);
const SAMPLE_EVERY = 100_000;
// Flush as the periodic policy would on a busy function: every few requests, with a budget.
const REQUESTS_PER_FLUSH = Number(process.argv[4] ?? 10);
const FLUSH_BUDGET_MS = 100;

/** Accepts everything and keeps nothing: isolates the receiver and buffer. */
class NullExporter implements SpanExporter {
  readonly name = 'null';
  readonly maxBatchSpans = 512;
  spans = 0;
  async export(spans: readonly TelemetrySpan[]): Promise<ExportOutcome> {
    this.spans += spans.length;
    return { rejected: 0 };
  }
  async shutdown(): Promise<void> {}
}

const hex = (n: number) =>
  Array.from({ length: n }, () => Math.floor(Math.random() * 16).toString(16)).join('');

// A handful of distinct bodies, rotated, so the sender's own memory stays constant.
function body(): Buffer {
  const traceId = hex(32);
  const start = BigInt(Date.now()) * 1_000_000n;
  const spans = Array.from({ length: PER_REQUEST }, (_, i) => ({
    traceId,
    spanId: hex(16),
    parentSpanId: i === 0 ? undefined : hex(16),
    name: i === 0 ? 'GET /todos' : 'DynamoDB.Query',
    kind: i === 0 ? 2 : 3,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + 5_000_000n),
    attributes: [
      { key: 'http.route', value: { stringValue: '/todos' } },
      { key: 'rpc.system', value: { stringValue: 'aws-api' } },
      { key: 'http.response.status_code', value: { intValue: '200' } },
    ],
  }));
  return Buffer.from(
    JSON.stringify({
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'soak' } }] },
          scopeSpans: [{ scope: { name: 'soak' }, spans }],
        },
      ],
    }),
  );
}

function post(port: number, agent: Agent, payload: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        path: '/v1/traces',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': payload.length },
      },
      (res) => {
        res.resume();
        res.on('end', resolve);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

function sample(label: string, counters: PipelineCounters): void {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const mb = (n: number) => (n / 1024 / 1024).toFixed(1).padStart(6);
  console.log(
    `${label.padStart(9)} spans  rss ${mb(rss)} MB  heap ${mb(heapUsed)} MB  external ${mb(external + arrayBuffers)} MB  ` +
      `buffered ${String(counters.queueDepth).padStart(5)}  exported ${counters.spansExported}  dropped ${counters.spansDropped.buffer_full}`,
  );
}

async function main(): Promise<void> {
  const counters = new PipelineCounters();
  const exporter = new NullExporter();
  const buffer = new SpanBuffer(exporter, counters, {
    maxSpans: 10_000,
    maxBytes: 4 * 1024 * 1024,
    maxBatchSpans: 50,
    maxRetries: 3,
    retryBaseDelayMs: 10,
    exportTimeoutMs: 1_000,
  });
  const receiver = new OtlpReceiver({
    address: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: 4 * 1024 * 1024,
    spans: buffer,
    counters,
  });
  const { port } = (await receiver.listen()) as AddressInfo;
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const bodies = Array.from({ length: 8 }, body);
  const started = performance.now();
  sample('0', counters);
  let sent = 0;
  let requests = 0;
  while (sent < TOTAL) {
    await post(port, agent, bodies[requests % bodies.length]!);
    requests++;
    sent += PER_REQUEST;
    if (requests % REQUESTS_PER_FLUSH === 0) await buffer.flush(Date.now() + FLUSH_BUDGET_MS);
    if (sent % SAMPLE_EVERY === 0) sample(sent.toLocaleString('en-US'), counters);
  }
  await buffer.flush(Date.now() + FLUSH_BUDGET_MS);
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${counters.spansReceived} received, ${exporter.spans} exported, ${counters.spansDropped.buffer_full} dropped in ${seconds.toFixed(1)} s ` +
      `(${Math.round(counters.spansReceived / seconds)} spans/s)`,
  );
  agent.destroy();
  await receiver.close();
}

void main();
