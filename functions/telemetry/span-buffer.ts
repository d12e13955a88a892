/**
 * The handler's span processor: finished, sampled spans wait here until the
 * invocation's response is formed, then leave in one OTLP request. Bounded,
 * because spans ended by work that outlives invocations would otherwise grow
 * without limit while the receiver is away; what does not fit is counted.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/** The most spans held between two sends (an invocation makes a handful). */
const MAX_PENDING_SPANS = 2_048;

/** A bounded span processor drained explicitly by the caller. */
export class PendingSpans implements SpanProcessor {
  #spans: ReadableSpan[] = [];

  constructor(
    private readonly onDrop: (count: number) => void,
    private readonly limit: number = MAX_PENDING_SPANS,
  ) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnd(span: ReadableSpan): void {
    // The SDK calls onEnd for sampled spans only; an unsampled one is a
    // NonRecordingSpan and never gets here.
    if (this.#spans.length >= this.limit) this.onDrop(1);
    else this.#spans.push(span);
  }

  /** Takes every pending span. */
  drain(): ReadableSpan[] {
    const spans = this.#spans;
    this.#spans = [];
    return spans;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
