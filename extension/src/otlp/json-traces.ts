import { decodeKeyValues, decodeUnixNano, type OtlpJsonKeyValue } from '../../../contracts/otlp-json';
import { BadPayloadError } from '../errors';
import type {
  Attributes,
  DecodedTraces,
  InstrumentationScope,
  SpanKind,
  SpanStatus,
  StatusCode,
  TelemetrySpan,
} from './span';

// OTLP/JSON (protobuf JSON mapping with OTLP's exceptions): lowerCamelCase keys, ids as hex
// strings, enums as integers or their names; values and 64-bit integers are read by the wire
// contract (contracts/otlp-json.ts) the handler encodes with.

interface JsonSpan {
  traceId?: string;
  spanId?: string;
  parentSpanId?: string;
  traceState?: string;
  name?: string;
  kind?: number | string;
  startTimeUnixNano?: string | number;
  endTimeUnixNano?: string | number;
  attributes?: OtlpJsonKeyValue[];
  events?: { timeUnixNano?: string | number; name?: string; attributes?: OtlpJsonKeyValue[] }[];
  links?: { traceId?: string; spanId?: string; attributes?: OtlpJsonKeyValue[] }[];
  status?: { code?: number | string; message?: string };
}
interface JsonRequest {
  resourceSpans?: {
    resource?: { attributes?: OtlpJsonKeyValue[] };
    scopeSpans?: { scope?: { name?: string; version?: string }; spans?: JsonSpan[] }[];
  }[];
}

const SPAN_KINDS: Record<string, SpanKind> = {
  SPAN_KIND_UNSPECIFIED: 0,
  SPAN_KIND_INTERNAL: 1,
  SPAN_KIND_SERVER: 2,
  SPAN_KIND_CLIENT: 3,
  SPAN_KIND_PRODUCER: 4,
  SPAN_KIND_CONSUMER: 5,
};
const STATUS_CODES: Record<string, StatusCode> = {
  STATUS_CODE_UNSET: 0,
  STATUS_CODE_OK: 1,
  STATUS_CODE_ERROR: 2,
};

/**
 * Decodes an `ExportTraceServiceRequest` in the OTLP/JSON encoding into spans. Each span's
 * `sizeBytes` is its share of the body, so the buffer bounds JSON and protobuf alike.
 * Throws {@link BadPayloadError} when the body is not JSON or not shaped like a request.
 */
export function decodeJsonTraces(body: Buffer): DecodedTraces {
  let request: JsonRequest;
  try {
    request = JSON.parse(body.toString('utf8')) as JsonRequest;
  } catch {
    throw new BadPayloadError('body is not valid JSON');
  }
  if (typeof request !== 'object' || request === null || !Array.isArray(request.resourceSpans ?? [])) {
    throw new BadPayloadError(
      'body is not an OTLP ExportTraceServiceRequest (resourceSpans must be an array)',
    );
  }
  let total = 0;
  for (const rs of request.resourceSpans ?? [])
    for (const ss of rs.scopeSpans ?? []) total += ss.spans?.length ?? 0;
  const sizeBytes = total > 0 ? Math.ceil(body.length / total) : 0;

  const spans: TelemetrySpan[] = [];
  let invalid = 0;
  for (const rs of request.resourceSpans ?? []) {
    const resource = attributes(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      const scope: InstrumentationScope = {
        name: ss.scope?.name ?? '',
        version: ss.scope?.version || undefined,
      };
      for (const span of ss.spans ?? []) {
        const decoded = decodeSpan(span, resource, scope, sizeBytes);
        if (decoded) spans.push(decoded);
        else invalid++;
      }
    }
  }
  return { spans, invalid };
}

function decodeSpan(
  span: JsonSpan,
  resource: Attributes,
  scope: InstrumentationScope,
  sizeBytes: number,
): TelemetrySpan | undefined {
  const traceId = span.traceId?.toLowerCase() ?? '';
  const spanId = span.spanId?.toLowerCase() ?? '';
  if (!/^[0-9a-f]{32}$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(traceId))
    return undefined;
  const kind = typeof span.kind === 'string' ? (SPAN_KINDS[span.kind] ?? 0) : (span.kind ?? 0);
  const code = span.status?.code;
  const status: SpanStatus = {
    code: typeof code === 'string' ? (STATUS_CODES[code] ?? 0) : ((code ?? 0) as StatusCode),
    message: span.status?.message || undefined,
  };
  return {
    traceId,
    spanId,
    parentSpanId: span.parentSpanId?.toLowerCase() || undefined,
    traceState: span.traceState || undefined,
    name: span.name ?? '',
    kind: (kind >= 0 && kind <= 5 ? kind : 0) as SpanKind,
    startTimeUnixNano: nanos(span.startTimeUnixNano),
    endTimeUnixNano: nanos(span.endTimeUnixNano),
    attributes: attributes(span.attributes),
    events: (span.events ?? []).map((event) => ({
      name: event.name ?? '',
      timeUnixNano: nanos(event.timeUnixNano),
      attributes: attributes(event.attributes),
    })),
    links: (span.links ?? []).map((link) => ({
      traceId: link.traceId?.toLowerCase() ?? '',
      spanId: link.spanId?.toLowerCase() ?? '',
      attributes: attributes(link.attributes),
    })),
    status,
    resource,
    scope,
    sizeBytes,
  };
}

function nanos(value: string | number | undefined): bigint {
  try {
    return decodeUnixNano(value);
  } catch (error) {
    throw new BadPayloadError((error as Error).message);
  }
}

function attributes(list: readonly OtlpJsonKeyValue[] | undefined): Attributes {
  try {
    return decodeKeyValues(list);
  } catch (error) {
    throw new BadPayloadError((error as Error).message);
  }
}
