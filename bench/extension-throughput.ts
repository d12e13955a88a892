/**
 * Extension throughput: how many spans per second the project's extension takes at its OTLP
 * receiver and exports (X-Ray PutTraceSegments, its default) to a null sink, pinned to one core,
 * and its resident memory under a burst far above its buffer. The bench drives the Lambda
 * lifecycle itself through the measurement probe: INVOKE, spans during the invoke, then
 * `platform.runtimeDone`, after which the extension flushes within its post-runtime budget.
 */
import { randomUUID } from 'node:crypto';
import { access } from 'node:fs/promises';
import http from 'node:http';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { withTimeout } from '../common/deadline';
import { spawnTracked } from './child-process';
import { extensionEnvironment, initOf } from './extension-start/extension-start';
import { RegisterProbe } from './extension-start/register-probe';
import { randomLoopbackAddress } from './loopback-address';
import { NullSink } from './null-sink';
import { encodeSpanBatch, postSpans, type SpanBatch } from './otlp-span-load';
import { treeRssMb } from './process-memory';
import { progress } from './progress';
import type { ExtensionThroughputResult } from './run-result';
import { summarize } from './statistics';

// 20 spans per request is a handler invocation with a generous number of DynamoDB calls.
const SPANS_PER_REQUEST = 20;
// Requests in flight at once from the load generator: enough to keep one core busy.
const CONCURRENCY = 8;
// Each simulated invocation sends for this long, then ends; a 250 ms invoke with 100 ms of
// post-runtime budget makes flushing part of the measured rate, as it is in Lambda.
const INVOKE_WINDOW_MS = 250;
const NEXT_TIMEOUT_MS = 5_000;
const RSS_SAMPLE_MS = 25;
const AFTER_BURST_SETTLE_MS = 200;

async function hasTaskset(): Promise<boolean> {
  try {
    await access('/usr/bin/taskset');
    return true;
  } catch {
    return false;
  }
}

/** Sends batches until `stopAt` (or `maxSpans` sent); returns accepted spans and per-second buckets. */
async function sendLoad(
  agent: http.Agent,
  receiver: string,
  batches: readonly SpanBatch[],
  stopAt: number,
  maxSpans: number,
  perSecond: Map<number, number>,
): Promise<{ sent: number; accepted: number }> {
  let sent = 0;
  let accepted = 0;
  let index = 0;
  const worker = async (): Promise<void> => {
    while (performance.now() < stopAt && sent < maxSpans) {
      const batch = batches[index++ % batches.length]!;
      sent += batch.spans;
      const ok = await postSpans(agent, receiver, batch);
      accepted += ok;
      const second = Math.floor(performance.now() / 1000);
      perSecond.set(second, (perSecond.get(second) ?? 0) + ok);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { sent, accepted };
}

/** One simulated invocation: INVOKE, `load` during it, `platform.runtimeDone`, wait for `next`. */
async function invocation(probe: RegisterProbe, load: () => Promise<void>): Promise<number> {
  const requestId = randomUUID();
  const traceHeader = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${randomUUID().replace(/-/g, '').slice(0, 24)};Parent=${randomUUID().replace(/-/g, '').slice(0, 16)};Sampled=1`;
  const next = probe.invoke(requestId, Date.now() + 30_000, traceHeader);
  const started = performance.now();
  await probe.deliver([
    { time: new Date().toISOString(), type: 'platform.start', record: { requestId, version: '$LATEST' } },
  ]);
  await load();
  const runtimeDoneAt = performance.now();
  await probe.deliver([
    {
      time: new Date().toISOString(),
      type: 'platform.runtimeDone',
      record: {
        requestId,
        status: 'success',
        metrics: { durationMs: runtimeDoneAt - started, producedBytes: 0 },
      },
    },
  ]);
  const nextAt = await withTimeout(next, NEXT_TIMEOUT_MS, 'the extension’s event/next after runtimeDone');
  return nextAt - runtimeDoneAt;
}

/** Measures the project's extension started from `launcher` (`<layer>/extensions/telemetry-extension`). */
export async function measureExtensionThroughput(
  launcher: string,
  seconds: number,
  burstSpans: number,
): Promise<ExtensionThroughputResult> {
  await access(launcher).catch(() => {
    throw new Error(`${launcher} is missing; the extension build failed`);
  });
  const sink = await NullSink.start();
  const address = randomLoopbackAddress();
  const probe = await RegisterProbe.start(address);
  const pin = await hasTaskset();
  // Core 1 for the extension; the load generator and sink share the other one.
  const [command, args] = pin ? ['taskset', ['-c', '1', launcher]] : [launcher, []];
  const child = spawnTracked(command as string, args as string[], {
    env: extensionEnvironment(probe.runtimeApi, address, {
      TELEMETRY_TRACES_EXPORTER: 'xray',
      AWS_ENDPOINT_URL_XRAY: sink.url,
    }),
  });
  const agent = new http.Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const receiver = `${address}:4318`;
  try {
    await initOf(probe, child, 'the extension');
    if (!probe.telemetryDestination) throw new Error('the extension did not subscribe to the Telemetry API');
    const batches = Array.from({ length: 32 }, () => encodeSpanBatch(SPANS_PER_REQUEST));

    // Sustained phase.
    const perSecond = new Map<number, number>();
    let sent = 0;
    let accepted = 0;
    const loadStarted = performance.now();
    const loadEnds = loadStarted + seconds * 1000;
    let invocations = 0;
    while (performance.now() < loadEnds) {
      await invocation(probe, async () => {
        const outcome = await sendLoad(
          agent,
          receiver,
          batches,
          performance.now() + INVOKE_WINDOW_MS,
          Number.POSITIVE_INFINITY,
          perSecond,
        );
        sent += outcome.sent;
        accepted += outcome.accepted;
      });
      invocations++;
    }
    // Invocations without load until the buffer is empty (or the sink stops growing).
    let previous = -1;
    while (sink.counts.spans !== previous && sink.counts.spans < accepted) {
      previous = sink.counts.spans;
      await invocation(probe, async () => undefined);
    }
    const elapsedSec = (performance.now() - loadStarted) / 1000;
    const exportedSustained = sink.counts.spans;
    progress(
      'throughput',
      `${invocations} invocations, ${accepted} spans accepted, ${exportedSustained} exported`,
    );

    // Burst phase: far above the buffer, in one invocation; memory sampled throughout.
    const rssMbBefore = await treeRssMb(child.pid);
    let rssMbPeak = rssMbBefore;
    const sampler = setInterval(() => {
      void treeRssMb(child.pid).then((rss) => {
        rssMbPeak = Math.max(rssMbPeak, rss);
      });
    }, RSS_SAMPLE_MS);
    let burstSent = 0;
    try {
      await invocation(probe, async () => {
        const outcome = await sendLoad(
          agent,
          receiver,
          batches,
          Number.POSITIVE_INFINITY,
          burstSpans,
          new Map(),
        );
        burstSent = outcome.sent;
      });
    } finally {
      clearInterval(sampler);
    }
    rssMbPeak = Math.max(rssMbPeak, await treeRssMb(child.pid));
    // A fixed pause before the last reading: the burst's buffers are released over the next few
    // collections, and nothing signals when the heap has shrunk back.
    await sleep(AFTER_BURST_SETTLE_MS);
    const rssMbAfter = await treeRssMb(child.pid);

    // SHUTDOWN flushes what is left; everything accepted is then either exported or dropped.
    probe.shutdown();
    await child.stop(2_000);
    const windows = [...perSecond.entries()]
      .sort(([a], [b]) => a - b)
      .slice(1, -1)
      .map(([, count]) => count);
    return {
      spans: sent + burstSent,
      // Whole seconds only: the first and last are partial.
      receivedSpansPerSec: summarize(
        windows.length > 0 ? windows : [accepted / elapsedSec],
        'spans/s received',
      ),
      exportedSpansPerSec: exportedSustained / elapsedSec,
      exportedSpans: sink.counts.spans,
      // Rejected at the receiver (buffer full) or accepted and never exported: both are losses.
      // The sink counts segment documents; any the extension adds of its own would offset losses,
      // so this is a lower bound on what was lost.
      droppedSpans: Math.max(0, sent + burstSent - sink.counts.spans),
      burstSpans: burstSent,
      rssMbBefore,
      rssMbPeak,
      rssMbAfter,
    };
  } finally {
    agent.destroy();
    probe.shutdown();
    await child.stop(2_000);
    await probe.close();
    await sink.close();
  }
}
