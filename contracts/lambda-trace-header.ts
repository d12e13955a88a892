/**
 * Wire contract: the Lambda / X-Ray trace header.
 *
 *   Root=1-5bef4de7-ad49b0e87f6ef6c87fc2e700;Parent=9a9197af755a6419;Sampled=1
 *
 * Lambda hands it to the runtime (`_X_AMZN_TRACE_ID`, `Lambda-Runtime-Trace-Id`) and to
 * extensions (the INVOKE event's `tracing.value`); the function writes it on downstream calls
 * (`X-Amzn-Trace-Id`). The handler's tracer and the extension both read it here, so the two
 * sides cannot disagree about what an invocation's trace is or whether it is sampled.
 *
 * Ids travel in OpenTelemetry's form (32 and 16 lower-case hex digits); X-Ray's trace id
 * `1-<8 hex epoch seconds>-<24 hex>` is the same 128 bits with a version and a dash.
 *
 * Dependency-free on purpose: esbuild inlines it into the handler bundle and the extension
 * bundle alike, and neither depends on the other. The local sandbox keeps its own emulator-side
 * parser (`local/xray/trace-header.ts`) so that it checks this one rather than agreeing with it
 * by construction.
 */

/** What a Lambda trace header says about an invocation. */
export interface LambdaTraceHeader {
  /** The `Root` as an OpenTelemetry trace id (32 hex); absent when missing or malformed. */
  readonly traceId?: string;
  /** The `Parent` segment id (16 hex): the caller's segment, or Lambda's function segment. */
  readonly parentId?: string;
  /**
   * `Sampled=1` → true, `Sampled=0` → false; absent or `Sampled=?` → undefined: the caller
   * left the decision to this function (see {@link isSampled}).
   */
  readonly sampled?: boolean;
}

const ROOT = /^1-([0-9a-f]{8})-([0-9a-f]{24})$/;
const PARENT = /^[0-9a-f]{16}$/;

/**
 * Parses a trace header. Keys may come in any order; unknown keys (`Lineage`, `Self`) are
 * ignored; hex is accepted in either case and returned lower-case. A malformed `Root` or
 * `Parent` is treated as absent, never as an error: telemetry must not fail an invocation.
 */
export function parseLambdaTraceHeader(value: string | undefined): LambdaTraceHeader {
  if (!value) return {};
  let traceId: string | undefined;
  let parentId: string | undefined;
  let sampled: boolean | undefined;
  for (const part of value.split(';')) {
    const separator = part.indexOf('=');
    if (separator < 0) continue;
    const key = part.slice(0, separator).trim();
    const field = part
      .slice(separator + 1)
      .trim()
      .toLowerCase();
    if (key === 'Root') traceId = fromXRayTraceId(field);
    else if (key === 'Parent') parentId = PARENT.test(field) ? field : undefined;
    else if (key === 'Sampled') sampled = field === '1' ? true : field === '0' ? false : undefined;
  }
  return {
    ...(traceId ? { traceId } : {}),
    ...(parentId ? { parentId } : {}),
    ...(sampled === undefined ? {} : { sampled }),
  };
}

/**
 * The one sampling rule of both sides: an invocation is recorded unless its header says
 * `Sampled=0`. An undecided header (no `Sampled`, or `?`) leaves the decision to the function,
 * whose tracer records it, so the extension must expect its spans too. Without a `Root` there
 * is no trace to continue.
 */
export function isSampled(header: LambdaTraceHeader): boolean {
  return header.traceId !== undefined && header.sampled !== false;
}

/** The header that makes span `parentId` of trace `traceId` the parent of a downstream call. */
export function formatLambdaTraceHeader(traceId: string, parentId: string, sampled: boolean): string {
  return `Root=${toXRayTraceId(traceId)};Parent=${parentId};Sampled=${sampled ? '1' : '0'}`;
}

/** `5759e988bd862e3fe1be46a994272793` → `1-5759e988-bd862e3fe1be46a994272793`. */
export function toXRayTraceId(traceId: string): string {
  return `1-${traceId.slice(0, 8)}-${traceId.slice(8)}`;
}

/** `1-5759e988-bd862e3fe1be46a994272793` → `5759e988bd862e3fe1be46a994272793`; undefined when malformed. */
export function fromXRayTraceId(xrayTraceId: string): string | undefined {
  const root = ROOT.exec(xrayTraceId.toLowerCase());
  return root ? `${root[1]}${root[2]}` : undefined;
}
