/**
 * The console's index of the local X-Ray store. It follows `segments.jsonl` by byte offset,
 * reading only what was appended since the last refresh, and keeps per trace the position of
 * the latest copy of each segment (X-Ray replaces a segment sent again under the same id) with
 * the few facts the list and the map need. Summaries are recomputed only for traces that
 * changed; documents are read back from the store by position when a trace is opened, so the
 * index holds facts, not documents, and stays small with tens of thousands of traces.
 *
 * The HTTP API's access log (when the sandbox writes one) is followed the same way and joined to
 * traces by trace id, or by the API request id the handler's span carries.
 */
import path from 'node:path';
import type { SegmentDocument, StoredSegment } from '../../xray/trace-store';
import type { ServiceMap, TimeRange, TraceDetail, TraceList } from '../console-api';
import { type AccessLogEntry, AccessLogTail } from './access-log';
import { FileTail, readLinesAt } from './file-tail';
import { readRequestLogs } from './request-logs';
import { type SegmentFacts, segmentFacts } from './segment-facts';
import { buildServiceMap } from './service-map';
import { matchesTraceQuery, type TraceQuery } from './trace-query';
import { type SummedTrace, sumTrace } from './trace-summary';
import { timelineOf } from './trace-timeline';

/** Changed traces moved into place one by one up to this many (or a tenth of the list); more are sorted at once. */
const MOVE_LIMIT = 500;

export interface TraceIndexOptions {
  /** The X-Ray store's directory (`<stateDir>/xray`). */
  readonly xrayDirectory: string;
  /** The log streams' root (`<stateDir>/logs`): function logs and the HTTP API access log. */
  readonly logsDirectory: string;
}

interface StoredFacts {
  readonly facts: SegmentFacts;
  readonly offset: number;
  readonly length: number;
}

interface IndexedTrace {
  /** The latest copy of each segment, by segment id. */
  readonly segments: Map<string, StoredFacts>;
  summed?: SummedTrace;
}

/**
 * @example
 * const index = new TraceIndex({ xrayDirectory: sandbox.paths.xray, logsDirectory: sandbox.paths.logs });
 * const map = await index.serviceMap({ from: Date.now() - 900_000, to: Date.now() });
 */
export class TraceIndex {
  private readonly segmentsFile: string;
  private readonly segmentsTail: FileTail;
  private readonly accessTail: AccessLogTail;
  private readonly byTrace = new Map<string, IndexedTrace>();
  private readonly accessByTrace = new Map<string, AccessLogEntry>();
  private readonly accessByRequest = new Map<string, AccessLogEntry>();
  /** API request id → trace id, from the handler spans, to join access log lines without a trace id. */
  private readonly traceByApiRequest = new Map<string, string>();
  private readonly changed = new Set<string>();
  /** Summed traces by start time, oldest first; rebuilt after a refresh that changed any. */
  private ordered: SummedTrace[] = [];
  private pending: Promise<void> = Promise.resolve();

  constructor(private readonly options: TraceIndexOptions) {
    this.segmentsFile = path.join(options.xrayDirectory, 'segments.jsonl');
    this.segmentsTail = new FileTail(this.segmentsFile);
    this.accessTail = new AccessLogTail(options.logsDirectory);
  }

  /** Reads what the store and the access log gained since the last refresh. Refreshes run one at a time. */
  refresh(): Promise<void> {
    const run = this.pending.then(() => this.readNew());
    this.pending = run.catch(() => undefined);
    return run;
  }

  /** The service map of the traces that started in `range`. */
  async serviceMap(range: TimeRange): Promise<ServiceMap> {
    await this.refresh();
    return buildServiceMap(range, this.inRange(range));
  }

  /** The traces of `range` that match `query`, newest first. */
  async traces(range: TimeRange, query: TraceQuery): Promise<TraceList> {
    await this.refresh();
    const inRange = this.inRange(range);
    const routes = new Set<string>();
    const traces = [];
    let total = 0;
    for (let index = inRange.length - 1; index >= 0; index -= 1) {
      const trace = inRange[index]!;
      if (trace.summary.route !== undefined) routes.add(trace.summary.route);
      if (!matchesTraceQuery(trace, query)) continue;
      total += 1;
      if (traces.length < query.limit) traces.push(trace.summary);
    }
    return { range, total, traces, routes: [...routes].sort() };
  }

  /** Every span of a trace and its request's log lines; `undefined` when the store has no such trace. */
  async trace(traceId: string): Promise<TraceDetail | undefined> {
    await this.refresh();
    const indexed = this.byTrace.get(traceId);
    if (!indexed) return undefined;
    const summed = this.summed(traceId, indexed);
    const positions = [...indexed.segments.values()].sort((a, b) => a.offset - b.offset);
    const documents: SegmentDocument[] = [];
    for (const line of await readLinesAt(this.segmentsFile, positions)) {
      try {
        documents.push((JSON.parse(line) as StoredSegment).document);
      } catch {
        // The store was rewritten under us; the rest of the trace still shows.
      }
    }
    const { summary } = summed;
    const functionName = summed.nodes.find(
      (node) => node.type === 'AWS::Lambda' || node.type === 'AWS::Lambda::Function',
    )?.name;
    const logs =
      summary.requestId && functionName
        ? await readRequestLogs({
            logsDirectory: this.options.logsDirectory,
            functionName,
            requestId: summary.requestId,
            from: summary.startTime,
            to: summary.startTime + summary.durationMs,
            ...(summary.version ? { version: summary.version } : {}),
          })
        : [];
    return { summary, spans: timelineOf(documents), logs };
  }

  private async readNew(): Promise<void> {
    for (const line of await this.segmentsTail.readNew()) {
      let stored: StoredSegment;
      try {
        stored = JSON.parse(line.text) as StoredSegment;
      } catch {
        continue; // A line cut short by a crash; the store's own reader skips it too.
      }
      const facts = stored?.document ? segmentFacts(stored.document) : undefined;
      const traceId = stored?.document?.trace_id;
      if (!facts || !traceId) continue;
      let trace = this.byTrace.get(traceId);
      if (!trace) {
        trace = { segments: new Map() };
        this.byTrace.set(traceId, trace);
      }
      trace.segments.set(facts.id, { facts, offset: line.offset, length: line.length });
      if (facts.apiRequestId) this.traceByApiRequest.set(facts.apiRequestId, traceId);
      this.changed.add(traceId);
    }
    for (const entry of await this.accessTail.readNew()) {
      this.accessByRequest.set(entry.requestId, entry);
      if (entry.traceId) this.accessByTrace.set(entry.traceId, entry);
      const traceId = entry.traceId ?? this.traceByApiRequest.get(entry.requestId);
      if (traceId && this.byTrace.has(traceId)) this.changed.add(traceId);
    }
    if (this.changed.size === 0) return;
    this.reorder();
  }

  /**
   * Brings the start-ordered list up to date with the changed traces: a few changes (the usual
   * refresh) are moved into place one by one, many (a first load) cost one sort.
   */
  private reorder(): void {
    const fullSort = this.changed.size > Math.max(MOVE_LIMIT, this.ordered.length / 10);
    for (const traceId of this.changed) {
      const trace = this.byTrace.get(traceId);
      if (!trace) continue;
      const before = trace.summed;
      trace.summed = undefined;
      const after = this.summed(traceId, trace);
      if (fullSort) continue;
      const at = before ? this.positionOf(before) : -1;
      if (at !== -1) this.ordered.splice(at, 1);
      this.ordered.splice(this.firstAfter(after.summary.startTime), 0, after);
    }
    this.changed.clear();
    if (!fullSort) return;
    this.ordered = [...this.byTrace].map(([traceId, trace]) => this.summed(traceId, trace));
    this.ordered.sort((a, b) => a.summary.startTime - b.summary.startTime);
  }

  /** Where a summed trace sits in the ordered list, or -1. */
  private positionOf(summed: SummedTrace): number {
    for (let at = this.firstAtOrAfter(summed.summary.startTime); at < this.ordered.length; at += 1) {
      const candidate = this.ordered[at]!;
      if (candidate === summed) return at;
      if (candidate.summary.startTime !== summed.summary.startTime) return -1;
    }
    return -1;
  }

  private summed(traceId: string, trace: IndexedTrace): SummedTrace {
    if (trace.summed) return trace.summed;
    const facts = [...trace.segments.values()].map((stored) => stored.facts);
    const apiRequestId = facts.find((fact) => fact.apiRequestId)?.apiRequestId;
    const access =
      this.accessByTrace.get(traceId) ?? (apiRequestId ? this.accessByRequest.get(apiRequestId) : undefined);
    trace.summed = sumTrace(traceId, facts, access);
    return trace.summed;
  }

  /** Traces that started within the range, oldest first. */
  private inRange(range: TimeRange): SummedTrace[] {
    const first = this.firstAtOrAfter(range.from);
    let last = first;
    while (last < this.ordered.length && this.ordered[last]!.summary.startTime <= range.to) last += 1;
    return this.ordered.slice(first, last);
  }

  private firstAtOrAfter(time: number): number {
    return this.search((start) => start < time);
  }

  private firstAfter(time: number): number {
    return this.search((start) => start <= time);
  }

  /** The first index whose start time `before` rejects (the list is ordered by start). */
  private search(before: (start: number) => boolean): number {
    let low = 0;
    let high = this.ordered.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (before(this.ordered[middle]!.summary.startTime)) low = middle + 1;
      else high = middle;
    }
    return low;
  }
}
