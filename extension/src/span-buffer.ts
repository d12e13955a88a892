import { pause } from '../../common/deadline';
import { ExportError } from './errors';
import type { CircuitBreaker } from './exporters/circuit-breaker';
import type { TelemetrySpan } from './otlp/span';
import type { PipelineCounters } from './pipeline-counters';
import type { ExportOutcome, SpanExporter } from './span-exporter';

/** Limits of a {@link SpanBuffer}. */
export interface SpanBufferOptions {
  readonly maxSpans: number;
  readonly maxBytes: number;
  readonly maxBatchSpans: number;
  readonly maxRetries: number;
  readonly retryBaseDelayMs: number;
  readonly exportTimeoutMs: number;
  /** Stops export attempts while the backend keeps failing; absent: always try. */
  readonly breaker?: CircuitBreaker;
}

/** How a flush ended. */
export interface FlushResult {
  readonly exported: number;
  readonly dropped: number;
  /** Spans still buffered because the deadline came first. */
  readonly remaining: number;
}

// Queue slots before the consumed head are reclaimed once they exceed this and half the array.
const COMPACT_THRESHOLD = 1024;

/**
 * The bounded span queue between the receiver and an exporter, after OpenTelemetry JS's
 * BatchSpanProcessorBase: bounded in spans and bytes, drops counted, one export in flight,
 * timers unref'd, shutdown runs once. Unlike the SDK processor it exports only when asked
 * (`flush`) and always against a deadline, because in Lambda the flush policy decides when
 * the extension may spend time.
 *
 * Drop policy: drop-newest. When full, arriving spans are refused and counted as
 * `buffer_full`: the refusal is known while the sender is still connected, so the receiver can
 * report it as OTLP partial success, and the traces already buffered stay complete instead of
 * every trace losing its oldest spans. Drop-oldest would also make the buffer a second cost
 * centre during an outage: each arrival would evict (and count) another span, while drop-newest
 * refuses in O(1) without touching the queue.
 *
 * While the circuit breaker is open nothing is attempted and the spans stay buffered, so a
 * short outage loses nothing and a long one loses only what arrives once the buffer is full.
 */
export class SpanBuffer {
  private queue: TelemetrySpan[] = [];
  private head = 0;
  private bytes = 0;
  private flushing: Promise<FlushResult> | undefined;
  private shutdownPromise: Promise<FlushResult> | undefined;

  constructor(
    private readonly exporter: SpanExporter,
    private readonly counters: PipelineCounters,
    private readonly options: SpanBufferOptions,
  ) {}

  /** Spans waiting to be exported. */
  get size(): number {
    return this.queue.length - this.head;
  }

  /** Encoded bytes waiting to be exported. */
  get byteSize(): number {
    return this.bytes;
  }

  /** Buffers `spans`; returns how many were refused (buffer full or shut down), already counted. */
  add(spans: readonly TelemetrySpan[]): number {
    this.counters.spansReceived += spans.length;
    if (this.shutdownPromise) {
      this.counters.dropSpans('shutdown', spans.length);
      return spans.length;
    }
    let refused = 0;
    for (const span of spans) {
      if (this.size >= this.options.maxSpans || this.bytes + span.sizeBytes > this.options.maxBytes) {
        refused++;
        continue;
      }
      this.queue.push(span);
      this.bytes += span.sizeBytes;
    }
    this.counters.dropSpans('buffer_full', refused);
    this.publishDepth();
    return refused;
  }

  /**
   * Exports buffered spans in batches until the buffer is empty or `deadline` (epoch ms) comes.
   * Failed batches are retried with exponential backoff while the deadline allows, then dropped
   * and counted; a batch cut off by the deadline goes back to the buffer for the next flush.
   * Never rejects. Calls made while a flush runs wait for it and then continue. Aborting
   * `signal` ends the flush like the deadline does: the export in flight is abandoned and its
   * batch kept.
   */
  flush(deadline: number, signal?: AbortSignal): Promise<FlushResult> {
    const previous = this.flushing;
    const run = (previous ?? Promise.resolve()).then(() => this.drain(deadline, signal));
    this.flushing = run;
    return run.finally(() => {
      if (this.flushing === run) this.flushing = undefined;
    });
  }

  /**
   * Flushes everything until `deadline`, counts what is left as dropped (`shutdown`), and shuts
   * the exporter down. Runs once; later calls return the first call's result.
   */
  shutdown(deadline: number): Promise<FlushResult> {
    this.shutdownPromise ??= this.flush(deadline).then(async (result) => {
      const left = this.size;
      this.counters.dropSpans('shutdown', left);
      this.queue = [];
      this.head = 0;
      this.bytes = 0;
      this.publishDepth();
      await this.exporter.shutdown().catch(() => undefined);
      return { ...result, dropped: result.dropped + left, remaining: 0 };
    });
    return this.shutdownPromise;
  }

  private async drain(deadline: number, signal: AbortSignal | undefined): Promise<FlushResult> {
    let exported = 0;
    let dropped = 0;
    const batchLimit = Math.min(this.options.maxBatchSpans, this.exporter.maxBatchSpans);
    while (this.size > 0 && Date.now() < deadline && !signal?.aborted) {
      if (this.options.breaker && !this.options.breaker.allow()) break;
      const batch = this.take(batchLimit);
      const outcome = await this.exportWithRetries(batch, deadline, signal);
      if (outcome === 'deadline') {
        this.putBack(batch);
        break;
      }
      if (outcome === 'failed') {
        this.counters.dropSpans('export_failed', batch.length);
        dropped += batch.length;
      } else {
        const withheld = outcome.withheld?.count ?? 0;
        if (outcome.withheld) this.counters.dropSpans(outcome.withheld.reason, withheld);
        this.counters.dropSpans('rejected', outcome.rejected);
        const sent = batch.length - outcome.rejected - withheld;
        this.counters.spansExported += sent;
        exported += sent;
        dropped += outcome.rejected + withheld;
      }
    }
    this.publishDepth();
    return { exported, dropped, remaining: this.size };
  }

  private async exportWithRetries(
    batch: readonly TelemetrySpan[],
    deadline: number,
    signal: AbortSignal | undefined,
  ): Promise<ExportOutcome | 'failed' | 'deadline'> {
    const breaker = this.options.breaker;
    for (let attempt = 0; ; attempt++) {
      const remaining = deadline - Date.now();
      if (remaining <= 0 || signal?.aborted) return 'deadline';
      if (attempt > 0 && breaker && !breaker.allow()) return 'deadline';
      const started = performance.now();
      const controller = new AbortController();
      const timeout = remaining < this.options.exportTimeoutMs;
      const timer = setTimeout(() => controller.abort(), Math.min(remaining, this.options.exportTimeoutMs));
      timer.unref();
      const cancel = () => controller.abort();
      signal?.addEventListener('abort', cancel, { once: true });
      this.counters.exportRequests++;
      try {
        const outcome = await this.exporter.export(batch, controller.signal);
        breaker?.recordSuccess();
        return outcome;
      } catch (error) {
        this.counters.exportFailures++;
        // A backend that gives no answer within the budget is as unusable here as one that refuses.
        breaker?.recordFailure();
        // Cut off by the flush deadline rather than by the backend: keep the spans for the next flush.
        if (controller.signal.aborted && (timeout || signal?.aborted)) return 'deadline';
        const retryable = !(error instanceof ExportError) || error.retryable;
        if (!retryable || attempt >= this.options.maxRetries) return 'failed';
        // Full jitter (AWS architecture blog): base * 2^attempt, uniformly shrunk, never past the deadline.
        const delay = Math.random() * this.options.retryBaseDelayMs * 2 ** attempt;
        if (Date.now() + delay >= deadline) return 'deadline';
        // Ends early when the flush is aborted, so a backoff never holds it past its abort.
        await pause(delay, signal);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', cancel);
        this.counters.recordExportLatency(performance.now() - started);
      }
    }
  }

  private take(limit: number): TelemetrySpan[] {
    if (this.head > COMPACT_THRESHOLD && this.head * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.head);
      this.head = 0;
    }
    const batch = this.queue.slice(this.head, this.head + limit);
    this.head += batch.length;
    for (const span of batch) this.bytes -= span.sizeBytes;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    return batch;
  }

  // Only `drain` takes from the head and only one drain runs at a time, so the batch goes back in front.
  private putBack(batch: readonly TelemetrySpan[]): void {
    if (this.head >= batch.length) {
      this.head -= batch.length;
      for (let i = 0; i < batch.length; i++) this.queue[this.head + i] = batch[i]!;
    } else {
      this.queue = [...batch, ...this.queue.slice(this.head)];
      this.head = 0;
    }
    for (const span of batch) this.bytes += span.sizeBytes;
  }

  private publishDepth(): void {
    this.counters.queueDepth = this.size;
    this.counters.queueBytes = this.bytes;
  }
}
