/**
 * `npx tsx bench/extension-soak.ts`: a memory soak of the extension's span path. Spans go through
 * the real OTLP receiver (HTTP on loopback, OTLP/JSON) into the span buffer and on to an exporter
 * that keeps nothing, flushed every few requests as a busy function's periodic flush would, and
 * resident and heap memory are printed ten times along the way. Steady state means the curve is
 * flat after warm-up.
 *
 * The exporter is in-process rather than bench's HTTP null sink so that the figures are the
 * receiver's and the buffer's alone, not an exporter's encoding and sockets. Sender and extension
 * code share this process, so the figures include the sender and tsx.
 */
import http from 'node:http';
import { readConfig } from '../extension/src/config';
import { OtlpReceiver } from '../extension/src/otlp-receiver';
import { PipelineCounters } from '../extension/src/pipeline-counters';
import { SpanBuffer } from '../extension/src/span-buffer';
import type { ExportOutcome, SpanExporter } from '../extension/src/span-exporter';
import { parseFlags } from '../local/command-line';
import { positiveInteger, UsageError } from './options';
import { encodeSpanBatch, postSpans } from './otlp-span-load';

const USAGE = `Usage: npx tsx bench/extension-soak.ts [options]

Pushes spans through the extension's OTLP receiver and span buffer to an exporter that keeps
nothing, printing memory ten times along the way.

  --spans N                spans to send in all (default: 1000000)
  --spans-per-request N    spans in one OTLP request (default: 100)
  --requests-per-flush N   requests between flushes (default: 10); a large value, e.g. 500,
                           keeps the buffer full, to show memory stays bounded while the
                           newest spans are refused
  --help                   print this text

To force a garbage collection before each sample:
  node --expose-gc --import tsx bench/extension-soak.ts
`;

// Distinct request bodies sent in rotation: enough that no single one is special, few enough
// that the sender's own memory stays constant.
const BODIES = 8;
const SAMPLES = 10;

/** Accepts everything and keeps nothing. */
class DiscardingExporter implements SpanExporter {
  readonly name = 'discard';
  readonly maxBatchSpans: number;
  spans = 0;

  constructor(maxBatchSpans: number) {
    this.maxBatchSpans = maxBatchSpans;
  }

  async export(spans: readonly unknown[]): Promise<ExportOutcome> {
    this.spans += spans.length;
    return { rejected: 0 };
  }

  async shutdown(): Promise<void> {}
}

interface SoakOptions {
  spans: number;
  spansPerRequest: number;
  requestsPerFlush: number;
  help: boolean;
}

function readOptions(argv: readonly string[]): SoakOptions {
  const values = parseFlags(argv, {
    spans: { type: 'string' },
    'spans-per-request': { type: 'string' },
    'requests-per-flush': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  return {
    spans: positiveInteger('--spans', values.spans, 1_000_000),
    spansPerRequest: positiveInteger('--spans-per-request', values['spans-per-request'], 100),
    requestsPerFlush: positiveInteger('--requests-per-flush', values['requests-per-flush'], 10),
    help: values.help ?? false,
  };
}

function printSample(sent: number, counters: PipelineCounters): void {
  (globalThis as { gc?: () => void }).gc?.();
  const { rss, heapUsed, external, arrayBuffers } = process.memoryUsage();
  const mb = (bytes: number) => (bytes / 1024 / 1024).toFixed(1).padStart(6);
  console.log(
    `${sent.toLocaleString('en-US').padStart(9)} spans  rss ${mb(rss)} MB  heap ${mb(heapUsed)} MB  ` +
      `external ${mb(external + arrayBuffers)} MB  buffered ${String(counters.queueDepth).padStart(5)}  ` +
      `exported ${counters.spansExported}  dropped ${counters.spansDropped.buffer_full}`,
  );
}

async function soak(options: SoakOptions): Promise<void> {
  // The extension's defaults, as it reads them from an environment that sets nothing else.
  const config = readConfig({ AWS_LAMBDA_RUNTIME_API: '127.0.0.1:9001' });
  const counters = new PipelineCounters();
  const exporter = new DiscardingExporter(config.buffer.maxBatchSpans);
  const buffer = new SpanBuffer(exporter, counters, { ...config.buffer, ...config.flush });
  const receiver = new OtlpReceiver({
    address: { host: '127.0.0.1', port: 0 },
    maxBodyBytes: config.receiver.maxBodyBytes,
    spans: buffer,
    counters,
  });
  const { port } = await receiver.listen();
  const address = `127.0.0.1:${port}`;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const bodies = Array.from({ length: BODIES }, () => encodeSpanBatch(options.spansPerRequest));
  const flush = () => buffer.flush(Date.now() + config.flush.postRuntimeBudgetMs);
  const sampleEvery = Math.ceil(options.spans / SAMPLES);
  const started = performance.now();
  printSample(0, counters);
  let sent = 0;
  let requests = 0;
  let nextSample = sampleEvery;
  try {
    while (sent < options.spans) {
      await postSpans(agent, address, bodies[requests % BODIES]!);
      requests++;
      sent += options.spansPerRequest;
      if (requests % options.requestsPerFlush === 0) await flush();
      if (sent >= nextSample) {
        printSample(sent, counters);
        nextSample += sampleEvery;
      }
    }
    await flush();
  } finally {
    agent.destroy();
    await receiver.close();
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${counters.spansReceived} received, ${exporter.spans} exported, ` +
      `${counters.spansDropped.buffer_full} dropped in ${seconds.toFixed(1)} s ` +
      `(${Math.round(counters.spansReceived / seconds)} spans/s)`,
  );
}

try {
  const options = readOptions(process.argv.slice(2));
  if (options.help) process.stdout.write(USAGE);
  else await soak(options);
} catch (error) {
  if (!(error instanceof UsageError)) throw error;
  console.error(`extension-soak: ${error.message}`);
  process.exitCode = 2;
}
