/**
 * The X-Ray trace header (`X-Amzn-Trace-Id`, `_X_AMZN_TRACE_ID`) and X-Ray ids.
 *
 * Format: `Root=1-<8 hex epoch seconds>-<24 hex>;Parent=<16 hex>;Sampled=1`, other
 * `Key=Value` pairs (`Lineage=…`) may follow and are kept.
 *
 * Emulator-side on purpose: the handler and the extension read this header through
 * `contracts/lambda-trace-header.ts`; the sandbox plays Lambda and X-Ray, writes the header they
 * read, and keeps its own parser so that the suite checks the contract against an independent
 * reading instead of agreeing with it by construction.
 */
import { randomBytes } from 'node:crypto';

export interface TraceHeader {
  /** `1-5bef4de7-ad49b0e87f6ef6c87fc2e700`. */
  readonly root: string;
  /** The caller's segment id, 16 hex. */
  readonly parent?: string;
  /** `true` for `Sampled=1`, `false` for `Sampled=0`, undefined when the caller left the decision open. */
  readonly sampled?: boolean;
  /** Any other fields, in order, as `Key=Value`. */
  readonly extra: readonly string[];
}

const ROOT = /^1-[0-9a-f]{8}-[0-9a-f]{24}$/;
const SEGMENT_ID = /^[0-9a-f]{16}$/;

/** A new X-Ray trace id: version 1, the current epoch second, 96 random bits. */
export function newTraceId(now: number = Date.now()): string {
  const epoch = Math.floor(now / 1000)
    .toString(16)
    .padStart(8, '0');
  return `1-${epoch}-${randomBytes(12).toString('hex')}`;
}

/** A new segment or subsegment id: 64 random bits as 16 hex digits. */
export function newSegmentId(): string {
  return randomBytes(8).toString('hex');
}

/** Whether a string is a valid X-Ray trace id. */
export const isTraceId = (value: unknown): value is string => typeof value === 'string' && ROOT.test(value);

/** Whether a string is a valid X-Ray segment id. */
export const isSegmentId = (value: unknown): value is string =>
  typeof value === 'string' && SEGMENT_ID.test(value);

/**
 * Parses a trace header; `undefined` when it has no valid `Root`, which X-Ray treats as no
 * header at all (a new trace is started).
 */
export function parseTraceHeader(value: string | undefined): TraceHeader | undefined {
  if (!value) return undefined;
  let root: string | undefined;
  let parent: string | undefined;
  let sampled: boolean | undefined;
  const extra: string[] = [];
  for (const part of value.split(';')) {
    const [rawKey, ...rest] = part.split('=');
    const key = rawKey?.trim() ?? '';
    const field = rest.join('=').trim();
    if (key === 'Root') root = field.toLowerCase();
    else if (key === 'Parent') parent = isSegmentId(field.toLowerCase()) ? field.toLowerCase() : undefined;
    else if (key === 'Sampled') sampled = field === '1' ? true : field === '0' ? false : undefined;
    else if (key) extra.push(`${key}=${field}`);
  }
  if (!isTraceId(root)) return undefined;
  return { root, ...(parent ? { parent } : {}), ...(sampled === undefined ? {} : { sampled }), extra };
}

/** Formats a trace header in the field order X-Ray writes it. */
export function formatTraceHeader(header: TraceHeader): string {
  const fields = [`Root=${header.root}`];
  if (header.parent) fields.push(`Parent=${header.parent}`);
  if (header.sampled !== undefined) fields.push(`Sampled=${header.sampled ? '1' : '0'}`);
  return [...fields, ...header.extra].join(';');
}
