/**
 * The local X-Ray store: every segment document and every raw OTLP payload the sandbox
 * receives or writes, appended as JSON lines under one directory (`.local/xray/` by default):
 *
 * - `segments.jsonl`: `{ received, source, document }`, one segment or subsegment per line.
 * - `otlp.jsonl`: `{ received, source, contentType, contentEncoding?, sampled?, body }`, the
 *   payload base64-encoded exactly as it arrived (protobuf or JSON, gzip or not).
 */
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';

/** Where a stored item came from. */
export type TraceSource = 'udp' | 'put-trace-segments' | 'otlp-http' | 'lambda-service';

/** An X-Ray segment or subsegment document (only the fields the sandbox reads are typed). */
export interface SegmentDocument {
  name: string;
  id: string;
  trace_id?: string;
  parent_id?: string;
  type?: 'subsegment';
  start_time: number;
  end_time?: number;
  in_progress?: boolean;
  origin?: string;
  namespace?: string;
  error?: boolean;
  throttle?: boolean;
  fault?: boolean;
  http?: { request?: Record<string, unknown>; response?: { status?: number } };
  aws?: Record<string, unknown>;
  cause?: unknown;
  annotations?: Record<string, unknown>;
  metadata?: Record<string, unknown>;
  subsegments?: SegmentDocument[];
  [field: string]: unknown;
}

export interface StoredSegment {
  /** ISO time the store received it. */
  received: string;
  source: TraceSource;
  document: SegmentDocument;
}

export interface StoredOtlpPayload {
  received: string;
  source: 'udp' | 'otlp-http';
  contentType: string;
  contentEncoding?: string;
  /** For UDP payloads: `T1S` (sampled) or `T1U`. */
  sampled?: boolean;
  /** The payload as received, base64. */
  body: string;
}

const SEGMENTS_FILE = 'segments.jsonl';
const OTLP_FILE = 'otlp.jsonl';

/** Appends to the store; writes are serialised so lines never interleave. */
export class TraceStore {
  private pending: Promise<void> = Promise.resolve();
  private ready: Promise<void> | undefined;

  constructor(readonly directory: string) {}

  /** Stores segment documents (a segment with embedded subsegments counts as one). */
  addSegments(source: TraceSource, documents: readonly SegmentDocument[]): Promise<void> {
    const received = new Date().toISOString();
    const lines = documents.map((document) =>
      JSON.stringify({ received, source, document } satisfies StoredSegment),
    );
    return this.append(SEGMENTS_FILE, lines);
  }

  /** Stores one raw OTLP payload. */
  addOtlp(payload: Omit<StoredOtlpPayload, 'received'>): Promise<void> {
    const line = JSON.stringify({ received: new Date().toISOString(), ...payload });
    return this.append(OTLP_FILE, [line]);
  }

  /** Resolves when everything accepted so far is on disk. */
  flush(): Promise<void> {
    return this.pending;
  }

  private append(file: string, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return this.pending;
    this.ready ??= mkdir(this.directory, { recursive: true }).then(() => undefined);
    const ready = this.ready;
    const write = this.pending.then(async () => {
      await ready;
      await appendFile(path.join(this.directory, file), `${lines.join('\n')}\n`);
    });
    // One failed write (disk full, directory removed) must not block every later one.
    this.pending = write.catch(() => undefined);
    return write;
  }
}

async function readJsonLines<T>(file: string): Promise<T[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const items: T[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    try {
      items.push(JSON.parse(line) as T);
    } catch {
      // A line cut short by a crash mid-write is skipped; the rest of the store stays readable.
    }
  }
  return items;
}

/**
 * The stored segment documents as X-Ray keeps them: one per trace and segment id, the one that
 * arrived last (X-Ray replaces a segment sent again under the same id, as an in-progress segment
 * is replaced by its completed form, and a batch a client sent twice is stored once), in the
 * order those documents arrived.
 */
export async function readStoredSegments(directory: string): Promise<StoredSegment[]> {
  const latest = new Map<string, StoredSegment>();
  for (const stored of await readJsonLines<StoredSegment>(path.join(directory, SEGMENTS_FILE))) {
    const key = `${stored.document.trace_id ?? ''}/${stored.document.id}`;
    latest.delete(key);
    latest.set(key, stored);
  }
  return [...latest.values()];
}

/** Every stored OTLP payload, in arrival order. */
export const readStoredOtlp = (directory: string): Promise<StoredOtlpPayload[]> =>
  readJsonLines<StoredOtlpPayload>(path.join(directory, OTLP_FILE));
