/** Reading OTLP/JSON trace requests back into plain spans for assertions. */
import type { ReceivedRequest } from './receiver';

type OtlpValue = {
  stringValue?: string;
  intValue?: number | string;
  doubleValue?: number;
  boolValue?: boolean;
  arrayValue?: { values: OtlpValue[] };
};
interface OtlpKeyValue {
  key: string;
  value: OtlpValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  events: { name: string; attributes: OtlpKeyValue[] }[];
  status: { code: number; message?: string };
  flags?: number;
}
interface OtlpTraceRequest {
  resourceSpans: { resource: { attributes: OtlpKeyValue[] }; scopeSpans: { spans: OtlpSpan[] }[] }[];
}

type PlainValue = string | number | boolean | PlainValue[];

function plain(value: OtlpValue): PlainValue {
  if (value.arrayValue) return value.arrayValue.values.map(plain);
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.intValue !== undefined) return Number(value.intValue);
  if (value.doubleValue !== undefined) return value.doubleValue;
  return value.boolValue ?? '';
}

const attributesOf = (list: OtlpKeyValue[]): Record<string, PlainValue> =>
  Object.fromEntries(list.map(({ key, value }) => [key, plain(value)]));

export interface DecodedSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId?: string;
  readonly name: string;
  /** OTLP SpanKind: 2 = SERVER, 3 = CLIENT. */
  readonly kind: number;
  readonly attributes: Record<string, PlainValue>;
  readonly resource: Record<string, PlainValue>;
  readonly events: { name: string; attributes: Record<string, PlainValue> }[];
  readonly status: { code: number; message?: string };
}

/** Every span of every `/v1/traces` request, in arrival order. */
export function decodeTraceRequests(requests: readonly ReceivedRequest[]): DecodedSpan[] {
  return requests
    .filter((request) => request.path === '/v1/traces')
    .flatMap((request) => {
      const body = JSON.parse(request.body) as OtlpTraceRequest;
      return body.resourceSpans.flatMap((resourceSpans) =>
        resourceSpans.scopeSpans.flatMap((scope) =>
          scope.spans.map((span) => ({
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId,
            name: span.name,
            kind: span.kind,
            attributes: attributesOf(span.attributes),
            resource: attributesOf(resourceSpans.resource.attributes),
            events: span.events.map((event) => ({
              name: event.name,
              attributes: attributesOf(event.attributes),
            })),
            status: span.status,
          })),
        ),
      );
    });
}

/** Every EMF document of every `/emf` request. */
export function decodeEmfRequests(requests: readonly ReceivedRequest[]): Record<string, unknown>[] {
  return requests
    .filter((request) => request.path === '/emf')
    .flatMap((request) => request.body.split('\n').filter((line) => line.trim() !== ''))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}
