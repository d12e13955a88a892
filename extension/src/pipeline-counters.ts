/** Why spans or metric documents were dropped; the `Reason` dimension of the drop metrics. */
export type DropReason =
  /** The buffer was at its span or byte limit when they arrived (newest dropped). */
  | 'buffer_full'
  /** The request carried spans with malformed ids. */
  | 'invalid'
  /** Retries were exhausted (or the backend refused for good). While the circuit is open spans stay buffered. */
  | 'export_failed'
  /** The backend accepted the request but refused these items (X-Ray UnprocessedTraceSegments, 4xx). */
  | 'rejected'
  /**
   * Not sent to X-Ray's segment API or daemon: the trace id's time part is outside the window
   * X-Ray accepts, so it would refuse them (a stock SDK's random ids; `xray-trace-id-window.ts`).
   */
  | 'trace_id_out_of_window'
  /** Still buffered when the SHUTDOWN deadline came. */
  | 'shutdown';

const DROP_REASONS: readonly DropReason[] = [
  'buffer_full',
  'invalid',
  'export_failed',
  'rejected',
  'trace_id_out_of_window',
  'shutdown',
];

// Latency samples kept between two reads; one export per flush makes 100 plenty, and the cap bounds memory.
const MAX_LATENCY_SAMPLES = 100;

/** A point-in-time copy of the pipeline's counters (cumulative since start). */
export interface CountersSnapshot {
  readonly spansReceived: number;
  readonly spansExported: number;
  readonly spansDropped: Readonly<Record<DropReason, number>>;
  readonly metricDocumentsReceived: number;
  readonly metricDocumentsExported: number;
  readonly metricDocumentsDropped: Readonly<Record<DropReason, number>>;
  readonly exportRequests: number;
  readonly exportFailures: number;
  /** Spans currently buffered. */
  readonly queueDepth: number;
  /** Encoded bytes currently buffered. */
  readonly queueBytes: number;
}

/**
 * The extension's self-observation in one place: every stage increments these, and the
 * self-metrics reader turns them into EMF. Counters are cumulative; the reader computes deltas.
 */
export class PipelineCounters {
  spansReceived = 0;
  spansExported = 0;
  readonly spansDropped: Record<DropReason, number> = zeroes();
  metricDocumentsReceived = 0;
  metricDocumentsExported = 0;
  readonly metricDocumentsDropped: Record<DropReason, number> = zeroes();
  exportRequests = 0;
  exportFailures = 0;
  /** Requests the receiver answered as repeats of a batch it had already taken (taken once). */
  batchesRepeated = 0;
  queueDepth = 0;
  queueBytes = 0;
  private latencies: number[] = [];

  /** Records the duration of one export request (successful or not), in milliseconds. */
  recordExportLatency(ms: number): void {
    if (this.latencies.length < MAX_LATENCY_SAMPLES) this.latencies.push(ms);
  }

  /** Returns the export latencies recorded since the previous call and forgets them. */
  takeExportLatencies(): number[] {
    const taken = this.latencies;
    this.latencies = [];
    return taken;
  }

  dropSpans(reason: DropReason, count: number): void {
    if (count > 0) this.spansDropped[reason] += count;
  }

  snapshot(): CountersSnapshot {
    return {
      spansReceived: this.spansReceived,
      spansExported: this.spansExported,
      spansDropped: { ...this.spansDropped },
      metricDocumentsReceived: this.metricDocumentsReceived,
      metricDocumentsExported: this.metricDocumentsExported,
      metricDocumentsDropped: { ...this.metricDocumentsDropped },
      exportRequests: this.exportRequests,
      exportFailures: this.exportFailures,
      queueDepth: this.queueDepth,
      queueBytes: this.queueBytes,
    };
  }
}

function zeroes(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
}
