import { settledBy } from '../../common/deadline';
import { isSampled, parseLambdaTraceHeader } from '../../contracts/lambda-trace-header';
import type { InvokeEvent } from './extensions-api';
import type { TelemetrySpan } from './otlp/span';
import type { RuntimeDoneRecord, TelemetryEvent } from './telemetry-api';

/** What the extension knows about the invocation in progress. */
export interface Invocation {
  readonly requestId: string;
  /** Epoch ms when the function times out. */
  readonly deadlineMs: number;
  /** OpenTelemetry trace id (32 hex) from the trace header's Root. */
  readonly traceId: string | undefined;
  /** The trace header's Parent: the `AWS::Lambda::Function` segment, parent of the handler's entry span. */
  readonly parentId: string | undefined;
  readonly sampled: boolean;
  /** Whether to wait for the handler's entry span after `runtimeDone`. */
  readonly expectSpans: boolean;
}

/** The receiver state the span wait looks at. */
export interface ReceiverActivity {
  readonly inFlight: number;
  whenIdle(): Promise<void>;
}

// runtimeDone records that arrive before their INVOKE is processed wait here; a handful is plenty.
const MAX_EARLY_RECORDS = 16;
// After this many sampled invocations in a row without an entry span, the handler evidently sends
// none (telemetry off, another tracer): stop waiting for one until a span shows up again.
const MISSES_BEFORE_NOT_EXPECTING = 3;

/**
 * Joins the three sources that describe one invocation: the INVOKE event (request id, trace
 * header), the Telemetry API (`platform.runtimeDone`) and the receiver (the handler's spans).
 */
export class InvocationTracker {
  private current: Invocation | undefined;
  private entrySeen = false;
  private misses = 0;
  private readonly doneRecords = new Map<string, RuntimeDoneRecord>();
  /** When the platform emitted each recent `runtimeDone` (its event `time`), bounded like the records. */
  private readonly doneTimes = new Map<string, number>();
  private readonly doneWaiters = new Map<string, (record: RuntimeDoneRecord) => void>();
  private spanWaiters: (() => void)[] = [];

  constructor(private readonly receiver: ReceiverActivity) {}

  /** Starts tracking the invocation of an INVOKE event. */
  begin(event: InvokeEvent): Invocation {
    if (this.current?.expectSpans) this.misses = this.entrySeen ? 0 : this.misses + 1;
    const header = parseLambdaTraceHeader(event.tracing?.value);
    const sampled = isSampled(header);
    this.current = {
      requestId: event.requestId,
      deadlineMs: event.deadlineMs,
      traceId: header.traceId,
      parentId: header.parentId,
      sampled,
      expectSpans: sampled && this.misses < MISSES_BEFORE_NOT_EXPECTING,
    };
    this.entrySeen = false;
    return this.current;
  }

  /** Feeds Telemetry API events; `platform.runtimeDone` releases its waiter. */
  observePlatform(events: readonly TelemetryEvent[]): void {
    for (const event of events) {
      if (event.type !== 'platform.runtimeDone') continue;
      const record = event.record as RuntimeDoneRecord;
      if (typeof record?.requestId !== 'string') continue;
      const emittedAt = Date.parse(event.time);
      if (Number.isFinite(emittedAt)) {
        this.doneTimes.set(record.requestId, emittedAt);
        if (this.doneTimes.size > MAX_EARLY_RECORDS)
          this.doneTimes.delete(this.doneTimes.keys().next().value!);
      }
      const waiter = this.doneWaiters.get(record.requestId);
      if (waiter) {
        this.doneWaiters.delete(record.requestId);
        waiter(record);
        continue;
      }
      this.doneRecords.set(record.requestId, record);
      if (this.doneRecords.size > MAX_EARLY_RECORDS) {
        this.doneRecords.delete(this.doneRecords.keys().next().value!);
      }
    }
  }

  /** When the platform emitted the invocation's `runtimeDone`, if it came recently. */
  runtimeDoneAt(requestId: string): number | undefined {
    return this.doneTimes.get(requestId);
  }

  /** Feeds spans as the receiver accepts them; notes the current invocation's entry span. */
  observeSpans(spans: readonly TelemetrySpan[]): void {
    const current = this.current;
    if (current?.traceId && !this.entrySeen) {
      this.entrySeen = spans.some(
        (span) =>
          span.traceId === current.traceId && (span.parentSpanId === current.parentId || !span.parentSpanId),
      );
      if (this.entrySeen) this.misses = 0;
    }
    const waiters = this.spanWaiters;
    this.spanWaiters = [];
    for (const waiter of waiters) waiter();
  }

  /** Resolves with the invocation's `runtimeDone` record, or `undefined` if it has not come by `until` (epoch ms). */
  runtimeDone(requestId: string, until: number): Promise<RuntimeDoneRecord | undefined> {
    const early = this.doneRecords.get(requestId);
    if (early) {
      this.doneRecords.delete(requestId);
      return Promise.resolve(early);
    }
    let record: RuntimeDoneRecord | undefined;
    const arrived = new Promise<void>((resolve) => {
      this.doneWaiters.set(requestId, (done) => {
        record = done;
        resolve();
      });
    });
    return settledBy(arrived, until).then(() => {
      this.doneWaiters.delete(requestId);
      return record;
    });
  }

  /**
   * Waits until the invocation's spans have most likely arrived — its entry span was received
   * (when spans are expected) and no request to the receiver is in flight — or `until` (epoch ms).
   */
  async waitForSpans(invocation: Invocation, until: number): Promise<void> {
    for (;;) {
      const remaining = until - Date.now();
      if (remaining <= 0) return;
      const entryDone = !invocation.expectSpans || (this.current === invocation && this.entrySeen);
      if (entryDone && this.receiver.inFlight === 0) return;
      const progress =
        this.receiver.inFlight > 0
          ? this.receiver.whenIdle()
          : new Promise<void>((resolve) => this.spanWaiters.push(resolve));
      await settledBy(progress, until);
    }
  }
}
