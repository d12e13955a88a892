/**
 * OTLP/JSON encoding of finished spans (`ExportTraceServiceRequest`): the span layout here, the
 * value encoding (hex ids, 64-bit integers as decimal strings, `AnyValue`) from the wire contract
 * the extension decodes with (`contracts/otlp-json.ts`). A hand-written encoder rather than the
 * official transformer: it leans on the built-in JSON.stringify and keeps the serializer, and
 * protobuf's runtime, out of the handler's cold start (the README's bundle figures show the
 * difference). The tests check it against the official exporter. JSON is larger than protobuf,
 * which a loopback send does not notice.
 */
import type { Link } from '@opentelemetry/api';
import type { ReadableSpan, TimedEvent } from '@opentelemetry/sdk-trace-base';
import { encodeKeyValues, encodeUnixNano, SPAN_FLAGS } from '../../contracts/otlp-json';

const flags = (traceFlags: number, isRemote: boolean | undefined): number =>
  (traceFlags & 0xff) | SPAN_FLAGS.HAS_IS_REMOTE | (isRemote ? SPAN_FLAGS.IS_REMOTE : 0);

function encodeEvent(event: TimedEvent) {
  return {
    attributes: encodeKeyValues(event.attributes ?? {}),
    name: event.name,
    timeUnixNano: encodeUnixNano(event.time),
    droppedAttributesCount: event.droppedAttributesCount ?? 0,
  };
}

function encodeLink(link: Link) {
  return {
    attributes: encodeKeyValues(link.attributes ?? {}),
    spanId: link.context.spanId,
    traceId: link.context.traceId,
    ...(link.context.traceState ? { traceState: link.context.traceState.serialize() } : {}),
    droppedAttributesCount: link.droppedAttributesCount ?? 0,
    flags: flags(link.context.traceFlags, link.context.isRemote),
  };
}

function encodeSpan(span: ReadableSpan) {
  const context = span.spanContext();
  const parent = span.parentSpanContext;
  return {
    traceId: context.traceId,
    spanId: context.spanId,
    ...(parent ? { parentSpanId: parent.spanId } : {}),
    ...(context.traceState ? { traceState: context.traceState.serialize() } : {}),
    name: span.name,
    // OTLP's SpanKind counts from SPAN_KIND_UNSPECIFIED = 0; the API's from INTERNAL = 0.
    kind: span.kind + 1,
    startTimeUnixNano: encodeUnixNano(span.startTime),
    endTimeUnixNano: encodeUnixNano(span.endTime),
    attributes: encodeKeyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map(encodeEvent),
    droppedEventsCount: span.droppedEventsCount,
    status: { code: span.status.code, ...(span.status.message ? { message: span.status.message } : {}) },
    links: span.links.map(encodeLink),
    droppedLinksCount: span.droppedLinksCount,
    flags: flags(context.traceFlags, parent?.isRemote),
  };
}

/**
 * Encodes spans as one OTLP/JSON `ExportTraceServiceRequest`, grouped by
 * resource and instrumentation scope.
 */
export function encodeOtlpJson(spans: readonly ReadableSpan[]): string {
  const byResource = new Map<ReadableSpan['resource'], Map<string, ReadableSpan[]>>();
  for (const span of spans) {
    let scopes = byResource.get(span.resource);
    if (!scopes) {
      scopes = new Map();
      byResource.set(span.resource, scopes);
    }
    const scope = span.instrumentationScope;
    const scopeKey = `${scope.name}\u0000${scope.version ?? ''}\u0000${scope.schemaUrl ?? ''}`;
    const list = scopes.get(scopeKey);
    if (list) list.push(span);
    else scopes.set(scopeKey, [span]);
  }
  const resourceSpans = [...byResource].map(([resource, scopes]) => ({
    resource: { attributes: encodeKeyValues(resource.attributes), droppedAttributesCount: 0 },
    scopeSpans: [...scopes.values()].map((list) => {
      const scope = list[0]!.instrumentationScope;
      return {
        scope: { name: scope.name, ...(scope.version ? { version: scope.version } : {}) },
        spans: list.map(encodeSpan),
        ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}),
      };
    }),
    ...(resource.schemaUrl ? { schemaUrl: resource.schemaUrl } : {}),
  }));
  return JSON.stringify({ resourceSpans });
}
