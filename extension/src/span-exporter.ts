/**
 * The contract between the span buffer and a backend: what an exporter must do and what it
 * reports back. Exporters live in `exporters/`; the buffer knows them only through this.
 */
import type { TelemetrySpan } from './otlp/span';
import type { DropReason } from './pipeline-counters';

/** What one export call reports back. */
export interface ExportOutcome {
  /** Spans of the batch the backend refused for good (e.g. X-Ray's UnprocessedTraceSegments). */
  readonly rejected: number;
  /**
   * Spans of the batch the exporter did not send because the backend would refuse them, and
   * the reason to count them under (X-Ray: trace ids outside its window). Neither exported nor rejected.
   */
  readonly withheld?: { readonly reason: DropReason; readonly count: number };
}

/** A backend for spans. Implementations throw `ExportError` (`errors.ts`) and honour `signal`. */
export interface SpanExporter {
  readonly name: string;
  /** Largest batch one call accepts (PutTraceSegments: 50 documents). */
  readonly maxBatchSpans: number;
  export(spans: readonly TelemetrySpan[], signal: AbortSignal): Promise<ExportOutcome>;
  /** Releases sockets; called once, after the last export. */
  shutdown(): Promise<void>;
}
