/**
 * Merges EMF documents that CloudWatch would file under the same metrics and period into
 * fewer, larger documents whose metric values are arrays, without changing any statistic
 * CloudWatch computes from them.
 *
 * Why the result is exact: CloudWatch treats every member of a metric value array as one
 * sample at the document's `_aws.Timestamp`, and stores samples at one-minute granularity
 * (one second for `StorageResolution: 1`). Documents are merged only when every directive,
 * every dimension value, and the minute (or second) of their timestamps agree, so each
 * sample lands in the same metric and period it would have alone: SampleCount, Sum, Min,
 * Max and every percentile are those of the same multiset of values.
 *
 * Repeated values stay repeated: EMF has no `{Values, Counts}` form (that exists only in
 * `PutMetricData`); a metric target must be a number or an array of at most 100 numbers,
 * and an object there fails CloudWatch's EMF validation. So a merged document holds plain
 * arrays of at most 100 values, and a group with more values is split over several documents.
 */
import {
  EMF_LIMITS,
  type EmfParseOptions,
  type EmfRejection,
  parseEmfDocument,
  type ValidEmfDocument,
} from './emf-document';

/**
 * Why a document was not accepted, as counted: the pipeline's `Reason` dimension values
 * (documents too large for a log event are `invalid`, with rejection code `too-large`).
 */
export type EmfDropReason = 'invalid' | 'buffer_full';

/** What {@link EmfAggregator.add} did with a line. */
export type AddResult =
  | { readonly accepted: true }
  | {
      readonly accepted: false;
      readonly reason: EmfDropReason;
      /** Present for `invalid`: the validator's code and message. */
      readonly rejection?: EmfRejection;
    };

/** Counters of an aggregator since it was created. */
export interface EmfAggregatorStats {
  /** Documents accepted by `add`. */
  readonly accepted: number;
  /** Documents not accepted, by reason. */
  readonly dropped: Readonly<Record<EmfDropReason, number>>;
  /** Documents waiting for `drain`, and their size as received. */
  readonly pendingDocuments: number;
  readonly pendingBytes: number;
  /** Documents `drain` has returned (after merging). */
  readonly drainedDocuments: number;
}

/** Limits of an {@link EmfAggregator}. */
export interface EmfAggregatorOptions {
  /**
   * Documents held between drains.
   * @default 10_000 — one per request for a function doing ~1,000 requests a second per
   * environment and flushing every 10 s.
   */
  readonly maxDocuments?: number;
  /**
   * Bytes (as received) held between drains.
   * @default 4 MiB — a small share of a 128 MB function's memory.
   */
  readonly maxBytes?: number;
  /** Largest accepted input document and largest merged output document, in bytes. @default EMF_LIMITS.maxDocumentBytes */
  readonly maxDocumentBytes?: number;
  /** Clock for the timestamp range check. @default Date.now */
  readonly now?: () => number;
}

const DEFAULT_MAX_DOCUMENTS = 10_000;
const DEFAULT_MAX_BYTES = 4 * 1024 * 1024;

/**
 * Root members CloudWatch reads to build the entity of the telemetry (Service, Environment,
 * platform attributes). They are part of the merge key, so a merged document never turns
 * one into an array and breaks the entity.
 */
const ENTITY_MEMBERS: ReadonlySet<string> = new Set([
  'Service',
  'Environment',
  'ResourceType',
  'Identifier',
  'Host',
  'Lambda.Function',
]);
const ENTITY_PREFIXES = ['K8s.', 'EKS.', 'ECS.', 'EC2.'];

function isEntityMember(name: string): boolean {
  return ENTITY_MEMBERS.has(name) || ENTITY_PREFIXES.some((prefix) => name.startsWith(prefix));
}

interface Group {
  readonly documents: ValidEmfDocument[];
}

/**
 * A bounded buffer of EMF documents that merges them on {@link drain}.
 *
 * Drop policy: when the buffer is full (documents or bytes), the NEW document is refused
 * with `buffer_full` and counted. The documents already held are older, closer to export
 * and already merged into groups; refusing the newcomer costs O(1) and lets the receiver
 * tell the sender at once, which can then write the document to its own stdout instead,
 * so the metric still reaches CloudWatch.
 *
 * Properties that are neither metrics nor dimensions (trace id, request id, …) cannot all
 * stay scalars in one document. CloudWatch ignores such members for metrics and keeps them
 * only as log content, so they are kept as log content: a member equal in every merged
 * document stays as it is; one that differs becomes an array with one element per merged
 * document, in order (`null` where a document lacked it). When each document carried one
 * value per metric (the handler's case), `traceId[i]` is the trace of value `i` of every
 * metric array, so a metric can still be followed to its trace, at the price of ~40 bytes
 * per document for each such member.
 *
 * @example
 * const aggregator = new EmfAggregator();
 * for (const line of body.split('\n')) if (line.trim()) aggregator.add(line);
 * for (const document of aggregator.drain()) console.log(document);
 */
export class EmfAggregator {
  private readonly maxDocuments: number;
  private readonly maxBytes: number;
  private readonly maxDocumentBytes: number;
  private readonly now: () => number;
  private groups = new Map<string, Group>();
  private pendingDocuments = 0;
  private pendingBytes = 0;
  private accepted = 0;
  private drainedDocuments = 0;
  private readonly dropped: Record<EmfDropReason, number> = { invalid: 0, buffer_full: 0 };

  constructor(options: EmfAggregatorOptions = {}) {
    this.maxDocuments = options.maxDocuments ?? DEFAULT_MAX_DOCUMENTS;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.maxDocumentBytes = options.maxDocumentBytes ?? EMF_LIMITS.maxDocumentBytes;
    this.now = options.now ?? Date.now;
  }

  /** Validates one EMF document (one line, no trailing newline needed) and buffers it. */
  add(line: string): AddResult {
    const bytes = Buffer.byteLength(line, 'utf8');
    if (this.pendingDocuments >= this.maxDocuments || this.pendingBytes + bytes > this.maxBytes) {
      this.dropped.buffer_full++;
      return { accepted: false, reason: 'buffer_full' };
    }
    const parseOptions: EmfParseOptions = { now: this.now(), maxDocumentBytes: this.maxDocumentBytes };
    const parsed = parseEmfDocument(line, parseOptions);
    if (!parsed.ok) {
      this.dropped.invalid++;
      return { accepted: false, reason: 'invalid', rejection: parsed.rejection };
    }
    const key = mergeKey(parsed.value);
    let group = this.groups.get(key);
    if (group === undefined) {
      group = { documents: [] };
      this.groups.set(key, group);
    }
    group.documents.push(parsed.value);
    this.pendingDocuments++;
    this.pendingBytes += bytes;
    this.accepted++;
    return { accepted: true };
  }

  /** Documents currently buffered. */
  get size(): number {
    return this.pendingDocuments;
  }

  /** Counters since creation, for self-metrics. */
  stats(): EmfAggregatorStats {
    return {
      accepted: this.accepted,
      dropped: { ...this.dropped },
      pendingDocuments: this.pendingDocuments,
      pendingBytes: this.pendingBytes,
      drainedDocuments: this.drainedDocuments,
    };
  }

  /**
   * Empties the buffer and returns merged documents, serialized, one log line each (no
   * newline). Each holds at most 100 values per metric and at most `maxDocumentBytes` bytes
   * (a single input document is never split, and is at most that size itself).
   */
  drain(): string[] {
    const groups = this.groups;
    this.groups = new Map();
    this.pendingDocuments = 0;
    this.pendingBytes = 0;
    const out: string[] = [];
    for (const group of groups.values()) {
      for (const chunk of chunksByValueCount(group.documents)) this.emitWithinSize(chunk, out);
    }
    this.drainedDocuments += out.length;
    return out;
  }

  private emitWithinSize(chunk: readonly ValidEmfDocument[], out: string[]): void {
    const text = serializeMerged(chunk);
    if (chunk.length === 1 || Buffer.byteLength(text, 'utf8') <= this.maxDocumentBytes) {
      out.push(text);
      return;
    }
    // Halving keeps the cost at O(n log n) serializations in the rare case of large members.
    const middle = Math.ceil(chunk.length / 2);
    this.emitWithinSize(chunk.slice(0, middle), out);
    this.emitWithinSize(chunk.slice(middle), out);
  }
}

/**
 * The identity a document is merged by: the `_aws` block without its timestamp (namespaces,
 * dimension sets, metric names, units, resolutions and any other `_aws` member), the value
 * of every dimension and entity member, and the period its samples fall in (a minute, or a
 * second when any metric is high-resolution).
 */
function mergeKey(valid: ValidEmfDocument): string {
  const { Timestamp: _timestamp, ...metadata } = valid.document._aws;
  const period = valid.highResolution ? 1_000 : 60_000;
  const identity: [string, unknown][] = [];
  for (const [name, value] of Object.entries(valid.document)) {
    if (valid.dimensionValues.has(name) || isEntityMember(name)) identity.push([name, value]);
  }
  identity.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  return JSON.stringify([Math.floor(valid.timestamp / period), metadata, identity]);
}

/** Consecutive runs of documents whose values fit 100 per metric. A document is never split. */
function* chunksByValueCount(documents: readonly ValidEmfDocument[]): Generator<ValidEmfDocument[]> {
  let chunk: ValidEmfDocument[] = [];
  const counts = new Map<string, number>();
  for (const document of documents) {
    let fits = true;
    for (const [name, values] of document.metricValues) {
      if ((counts.get(name) ?? 0) + values.length > EMF_LIMITS.maxValuesPerMetric) {
        fits = false;
        break;
      }
    }
    if (!fits) {
      yield chunk;
      chunk = [];
      counts.clear();
    }
    chunk.push(document);
    for (const [name, values] of document.metricValues)
      counts.set(name, (counts.get(name) ?? 0) + values.length);
  }
  if (chunk.length > 0) yield chunk;
}

/**
 * One document from a chunk of documents of the same group. Members are written by hand
 * rather than through an object so that any member name (even `__proto__`) round-trips.
 */
function serializeMerged(chunk: readonly ValidEmfDocument[]): string {
  const first = chunk[0]!;
  let timestamp = first.timestamp;
  for (const item of chunk) if (item.timestamp < timestamp) timestamp = item.timestamp;
  const parts: string[] = [`"_aws":${JSON.stringify({ ...first.document._aws, Timestamp: timestamp })}`];

  const names: string[] = [];
  const seen = new Set<string>(['_aws']);
  for (const item of chunk) {
    for (const name of Object.keys(item.document)) {
      if (!seen.has(name)) {
        seen.add(name);
        names.push(name);
      }
    }
  }

  for (const name of names) {
    let value: unknown;
    if (first.metricValues.has(name)) {
      const values: number[] = [];
      for (const item of chunk) values.push(...item.metricValues.get(name)!);
      value = values.length === 1 ? values[0] : values;
    } else if (first.dimensionValues.has(name) || isEntityMember(name)) {
      value = first.document[name];
    } else {
      value = mergedProperty(chunk, name);
    }
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(value)}`);
  }
  return `{${parts.join(',')}}`;
}

function mergedProperty(chunk: readonly ValidEmfDocument[], name: string): unknown {
  const serialized = chunk.map((item) =>
    Object.hasOwn(item.document, name) ? JSON.stringify(item.document[name]) : undefined,
  );
  const firstText = serialized[0];
  if (firstText !== undefined && serialized.every((text) => text === firstText)) {
    return chunk[0]!.document[name];
  }
  return chunk.map((item) => (Object.hasOwn(item.document, name) ? item.document[name] : null));
}
