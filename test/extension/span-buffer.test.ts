import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ExportError } from '../../extension/src/errors';
import { CircuitBreaker } from '../../extension/src/exporters/circuit-breaker';
import type { TelemetrySpan } from '../../extension/src/otlp/span';
import { PipelineCounters } from '../../extension/src/pipeline-counters';
import { SpanBuffer } from '../../extension/src/span-buffer';
import type { ExportOutcome, SpanExporter } from '../../extension/src/span-exporter';
import { span } from './span-fixtures';

// The exporter here is a scripted stand-in: the buffer's contract is with the SpanExporter
// interface, and the real exporters are tested against real HTTP/UDP servers elsewhere.
class ScriptedExporter implements SpanExporter {
  readonly name = 'scripted';
  readonly maxBatchSpans = 1_000;
  readonly batches: string[][] = [];
  inFlight = 0;
  maxInFlight = 0;
  shutdowns = 0;
  constructor(private readonly script: (attempt: number, signal: AbortSignal) => Promise<ExportOutcome>) {}
  async export(spans: readonly TelemetrySpan[], signal: AbortSignal): Promise<ExportOutcome> {
    const attempt = this.batches.length;
    this.batches.push(spans.map((s) => s.spanId));
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.script(attempt, signal);
    } finally {
      this.inFlight--;
    }
  }
  async shutdown(): Promise<void> {
    this.shutdowns++;
  }
}

const ok = () => Promise.resolve({ rejected: 0 });
const spans = (count: number, sizeBytes = 100) =>
  Array.from({ length: count }, (_, i) => span({ spanId: i.toString(16).padStart(16, '0'), sizeBytes }));
const options = {
  maxSpans: 10,
  maxBytes: 10_000,
  maxBatchSpans: 4,
  maxRetries: 2,
  retryBaseDelayMs: 100,
  exportTimeoutMs: 1_000,
};

beforeEach(() => {
  vi.useFakeTimers({ now: 1_700_000_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('span buffer', () => {
  it('refuses the newest spans beyond the span limit and counts them', () => {
    // Prepare
    const counters = new PipelineCounters();
    const buffer = new SpanBuffer(new ScriptedExporter(ok), counters, options);

    // Act
    const refused = buffer.add(spans(13));

    // Assess
    expect(refused).toBe(3);
    expect(buffer.size).toBe(10);
    expect(counters.spansDropped.buffer_full).toBe(3);
    expect(counters.spansReceived).toBe(13);
    expect(counters.queueDepth).toBe(10);
  });

  it('refuses spans that would exceed the byte limit', () => {
    // Prepare
    const counters = new PipelineCounters();
    const buffer = new SpanBuffer(new ScriptedExporter(ok), counters, { ...options, maxBytes: 1_000 });

    // Act
    const refused = buffer.add(spans(5, 300));

    // Assess
    expect(refused).toBe(2);
    expect(buffer.byteSize).toBe(900);
  });

  it('exports everything in batches with one export in flight even when flushes overlap', async () => {
    // Prepare
    const counters = new PipelineCounters();
    const exporter = new ScriptedExporter(
      () => new Promise((resolve) => setTimeout(() => resolve({ rejected: 0 }), 10)),
    );
    const buffer = new SpanBuffer(exporter, counters, options);
    buffer.add(spans(10));

    // Act
    const first = buffer.flush(Date.now() + 5_000);
    const second = buffer.flush(Date.now() + 5_000);
    await vi.runAllTimersAsync();
    await Promise.all([first, second]);

    // Assess
    expect(exporter.batches.map((b) => b.length)).toEqual([4, 4, 2]);
    expect(exporter.maxInFlight).toBe(1);
    expect(counters.spansExported).toBe(10);
    expect(buffer.size).toBe(0);
    expect(counters.queueDepth).toBe(0);
  });

  it('retries a retryable failure with backoff and then succeeds', async () => {
    // Prepare
    const counters = new PipelineCounters();
    const exporter = new ScriptedExporter((attempt) =>
      attempt < 2 ? Promise.reject(new ExportError('503', true, 503)) : ok(),
    );
    const buffer = new SpanBuffer(exporter, counters, options);
    buffer.add(spans(2));

    // Act
    const flushed = buffer.flush(Date.now() + 5_000);
    await vi.runAllTimersAsync();
    const result = await flushed;

    // Assess
    expect(exporter.batches).toHaveLength(3);
    expect(result).toEqual({ exported: 2, dropped: 0, remaining: 0 });
    expect(counters.exportFailures).toBe(2);
  });

  it('drops and counts a batch once retries are exhausted, and never retries a non-retryable failure', async () => {
    // Prepare
    const counters = new PipelineCounters();
    const exporter = new ScriptedExporter((attempt) =>
      Promise.reject(new ExportError('nope', attempt < 3, attempt < 3 ? 500 : 400)),
    );
    const buffer = new SpanBuffer(exporter, counters, { ...options, maxBatchSpans: 2 });
    buffer.add(spans(4));

    // Act
    const flushed = buffer.flush(Date.now() + 60_000);
    await vi.runAllTimersAsync();
    const result = await flushed;

    // Assess: batch 1 tried 3 times (1 + 2 retries), batch 2 once (400 is final)
    expect(exporter.batches.map((b) => b.length)).toEqual([2, 2, 2, 2]);
    expect(result).toEqual({ exported: 0, dropped: 4, remaining: 0 });
    expect(counters.spansDropped.export_failed).toBe(4);
  });

  it('keeps a batch cut off by the deadline buffered and exports it at the next flush', async () => {
    // Prepare
    const counters = new PipelineCounters();
    let hang = true;
    const exporter = new ScriptedExporter((_, signal) =>
      hang
        ? new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new ExportError('aborted', true))),
          )
        : ok(),
    );
    const buffer = new SpanBuffer(exporter, counters, options);
    buffer.add(spans(3));

    // Act
    const cut = buffer.flush(Date.now() + 50);
    await vi.advanceTimersByTimeAsync(60);
    const first = await cut;
    hang = false;
    const next = buffer.flush(Date.now() + 1_000);
    await vi.runAllTimersAsync();
    const second = await next;

    // Assess
    expect(first).toEqual({ exported: 0, dropped: 0, remaining: 3 });
    expect(second).toEqual({ exported: 3, dropped: 0, remaining: 0 });
    expect(exporter.batches[1]).toEqual(exporter.batches[0]);
    expect(counters.spansDropped.export_failed).toBe(0);
  });

  it('counts spans the backend reports unprocessed as rejected', async () => {
    // Prepare
    const counters = new PipelineCounters();
    const buffer = new SpanBuffer(
      new ScriptedExporter(() => Promise.resolve({ rejected: 1 })),
      counters,
      options,
    );
    buffer.add(spans(3));

    // Act
    const result = await buffer.flush(Date.now() + 1_000);

    // Assess
    expect(result).toEqual({ exported: 2, dropped: 1, remaining: 0 });
    expect(counters.spansDropped.rejected).toBe(1);
  });

  it('shuts down once: flushes, counts what is left as dropped, refuses later spans', async () => {
    // Prepare
    const counters = new PipelineCounters();
    const exporter = new ScriptedExporter(
      (_, signal) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(() => resolve({ rejected: 0 }), 40);
          signal.addEventListener('abort', () => {
            clearTimeout(timer);
            reject(new ExportError('aborted', true));
          });
        }),
    );
    const buffer = new SpanBuffer(exporter, counters, options);
    buffer.add(spans(10));

    // Act: time for two of the three batches
    const first = buffer.shutdown(Date.now() + 100);
    const second = buffer.shutdown(Date.now() + 10_000);
    await vi.runAllTimersAsync();
    const [a, b] = await Promise.all([first, second]);
    const accounted = counters.spansExported + counters.spansDropped.shutdown;
    const droppedAtShutdown = counters.spansDropped.shutdown;
    const refused = buffer.add(spans(1));

    // Assess
    expect(a).toBe(b);
    expect(exporter.shutdowns).toBe(1);
    expect(accounted).toBe(10);
    expect(droppedAtShutdown).toBeGreaterThan(0);
    expect(refused).toBe(1);
    expect(counters.spansDropped.shutdown).toBe(droppedAtShutdown + 1);
    expect(buffer.size).toBe(0);
  });
});

describe('span buffer behind a circuit breaker', () => {
  it('stops calling a failing exporter after the threshold, keeps the spans, and lets one trial through after the cool-down', async () => {
    // Prepare
    let healthy = false;
    const exporter = new ScriptedExporter(() =>
      healthy ? ok() : Promise.reject(new ExportError('503 from backend', true, 503)),
    );
    const breaker = new CircuitBreaker({ failureThreshold: 3, cooldownMs: 30_000 });
    const counters = new PipelineCounters();
    const buffer = new SpanBuffer(exporter, counters, { ...options, maxRetries: 0, breaker });

    // Act: three flushes of one batch fail once each and open the circuit; the fourth makes no request
    for (let i = 0; i < 4; i++) {
      buffer.add(spans(4));
      await buffer.flush(Date.now() + 100);
    }
    const requestsWhileOpen = exporter.batches.length;
    const keptWhileOpen = buffer.size;
    const stateWhileOpen = breaker.state;
    await vi.advanceTimersByTimeAsync(30_000);
    healthy = true;
    const afterCooldown = await buffer.flush(Date.now() + 100);

    // Assess
    expect(requestsWhileOpen).toBe(3);
    expect(keptWhileOpen).toBe(4);
    expect(stateWhileOpen).toBe('open');
    expect(counters.spansDropped.export_failed).toBe(12);
    expect(afterCooldown.exported).toBe(4);
    expect(exporter.batches).toHaveLength(4);
    expect(breaker.state).toBe('closed');
  });

  it('keeps the batch when the flush is aborted mid-export, and counts the unanswered attempt as a failure', async () => {
    // Prepare: an exporter that hangs until aborted
    const exporter = new ScriptedExporter(
      (_, signal) =>
        new Promise((_resolve, reject) =>
          signal.addEventListener('abort', () => reject(new ExportError('aborted', true))),
        ),
    );
    const breaker = new CircuitBreaker({ failureThreshold: 1, cooldownMs: 30_000 });
    const counters = new PipelineCounters();
    const buffer = new SpanBuffer(exporter, counters, { ...options, breaker });
    buffer.add(spans(3));
    const controller = new AbortController();

    // Act
    const flushing = buffer.flush(Date.now() + 10_000, controller.signal);
    await vi.advanceTimersByTimeAsync(5);
    controller.abort();
    const result = await flushing;

    // Assess
    expect(result).toEqual({ exported: 0, dropped: 0, remaining: 3 });
    expect(buffer.size).toBe(3);
    expect(breaker.state).toBe('open');
  });
});
