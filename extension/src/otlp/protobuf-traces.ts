import { BadPayloadError } from '../errors';
import { ProtobufReader, WireType } from './protobuf-reader';
import type {
  Attributes,
  AttributeValue,
  DecodedTraces,
  InstrumentationScope,
  SpanEvent,
  SpanKind,
  SpanLink,
  SpanStatus,
  StatusCode,
  TelemetrySpan,
} from './span';

// Field numbers from opentelemetry/proto/collector/trace/v1 and trace/v1, common/v1, resource/v1.

/**
 * Decodes an `ExportTraceServiceRequest` in the protobuf encoding into spans.
 * Throws {@link BadPayloadError} for bytes that are not a well-formed request.
 */
export function decodeProtobufTraces(body: Buffer): DecodedTraces {
  const reader = new ProtobufReader(body);
  const spans: TelemetrySpan[] = [];
  let invalid = 0;
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) {
      invalid += readResourceSpans(reader, spans);
    } else reader.skip(wire);
  }
  return { spans, invalid };
}

function readResourceSpans(reader: ProtobufReader, out: TelemetrySpan[]): number {
  const outer = enter(reader);
  let resource: Attributes = {};
  const scopeSpans: [number, number][] = [];
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) resource = readResource(reader);
    else if (field === 2 && wire === WireType.LENGTH_DELIMITED) scopeSpans.push(reader.span());
    else reader.skip(wire);
  }
  reader.end = outer;
  // Resource may follow its scope spans on the wire; read spans once it is known.
  let invalid = 0;
  const resume = reader.pos;
  for (const [start, stop] of scopeSpans) {
    reader.pos = start;
    invalid += readScopeSpans(reader, stop, resource, out);
  }
  reader.pos = resume;
  reader.end = outer;
  return invalid;
}

function readResource(reader: ProtobufReader): Attributes {
  const outer = enter(reader);
  const attributes: Record<string, AttributeValue> = {};
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) readKeyValue(reader, attributes);
    else reader.skip(wire);
  }
  return leave(reader, outer, attributes);
}

function readScopeSpans(
  reader: ProtobufReader,
  stop: number,
  resource: Attributes,
  out: TelemetrySpan[],
): number {
  const outer = reader.end;
  reader.end = stop;
  let scope: InstrumentationScope = { name: '', version: undefined };
  const spans: [number, number][] = [];
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) scope = readScope(reader);
    else if (field === 2 && wire === WireType.LENGTH_DELIMITED) spans.push(reader.span());
    else reader.skip(wire);
  }
  let invalid = 0;
  for (const [start, end] of spans) {
    reader.pos = start;
    reader.end = end;
    const span = readSpan(reader, resource, scope, end - start);
    if (span) out.push(span);
    else invalid++;
  }
  reader.end = outer;
  return invalid;
}

function readScope(reader: ProtobufReader): InstrumentationScope {
  const outer = enter(reader);
  let name = '';
  let version: string | undefined;
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) name = reader.string();
    else if (field === 2 && wire === WireType.LENGTH_DELIMITED) version = reader.string() || undefined;
    else reader.skip(wire);
  }
  return leave(reader, outer, { name, version });
}

function readSpan(
  reader: ProtobufReader,
  resource: Attributes,
  scope: InstrumentationScope,
  sizeBytes: number,
): TelemetrySpan | undefined {
  let traceId = '';
  let spanId = '';
  let parentSpanId: string | undefined;
  let traceState: string | undefined;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: Record<string, AttributeValue> = {};
  const events: SpanEvent[] = [];
  const links: SpanLink[] = [];
  let status: SpanStatus = { code: 0, message: undefined };
  while (reader.more()) {
    const [field, wire] = reader.tag();
    switch (wire === WireType.LENGTH_DELIMITED ? field : wire === WireType.FIXED64 ? -field : 0) {
      case 1:
        traceId = reader.bytes().toString('hex');
        break;
      case 2:
        spanId = reader.bytes().toString('hex');
        break;
      case 3:
        traceState = reader.string() || undefined;
        break;
      case 4:
        parentSpanId = reader.bytes().toString('hex') || undefined;
        break;
      case 5:
        name = reader.string();
        break;
      case 9:
        readKeyValue(reader, attributes);
        break;
      case 11:
        events.push(readEvent(reader));
        break;
      case 13:
        links.push(readLink(reader));
        break;
      case 15:
        status = readStatus(reader);
        break;
      case -7:
        startTimeUnixNano = reader.fixed64();
        break;
      case -8:
        endTimeUnixNano = reader.fixed64();
        break;
      default:
        if (field === 6 && wire === WireType.VARINT) kind = reader.uint32();
        else reader.skip(wire);
    }
  }
  if (!/^[0-9a-f]{32}$/.test(traceId) || !/^[0-9a-f]{16}$/.test(spanId) || /^0+$/.test(traceId))
    return undefined;
  return {
    traceId,
    spanId,
    parentSpanId,
    traceState,
    name,
    kind: (kind <= 5 ? kind : 0) as SpanKind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    events,
    links,
    status,
    resource,
    scope,
    sizeBytes,
  };
}

function readEvent(reader: ProtobufReader): SpanEvent {
  const outer = enter(reader);
  let name = '';
  let timeUnixNano = 0n;
  const attributes: Record<string, AttributeValue> = {};
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.FIXED64) timeUnixNano = reader.fixed64();
    else if (field === 2 && wire === WireType.LENGTH_DELIMITED) name = reader.string();
    else if (field === 3 && wire === WireType.LENGTH_DELIMITED) readKeyValue(reader, attributes);
    else reader.skip(wire);
  }
  return leave(reader, outer, { name, timeUnixNano, attributes });
}

function readLink(reader: ProtobufReader): SpanLink {
  const outer = enter(reader);
  let traceId = '';
  let spanId = '';
  const attributes: Record<string, AttributeValue> = {};
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) traceId = reader.bytes().toString('hex');
    else if (field === 2 && wire === WireType.LENGTH_DELIMITED) spanId = reader.bytes().toString('hex');
    else if (field === 4 && wire === WireType.LENGTH_DELIMITED) readKeyValue(reader, attributes);
    else reader.skip(wire);
  }
  return leave(reader, outer, { traceId, spanId, attributes });
}

function readStatus(reader: ProtobufReader): SpanStatus {
  const outer = enter(reader);
  let code = 0;
  let message: string | undefined;
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 2 && wire === WireType.LENGTH_DELIMITED) message = reader.string() || undefined;
    else if (field === 3 && wire === WireType.VARINT) code = reader.uint32();
    else reader.skip(wire);
  }
  return leave(reader, outer, { code: (code <= 2 ? code : 0) as StatusCode, message });
}

function readKeyValue(reader: ProtobufReader, into: Record<string, AttributeValue>): void {
  const outer = enter(reader);
  let key = '';
  let value: AttributeValue = null;
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) key = reader.string();
    else if (field === 2 && wire === WireType.LENGTH_DELIMITED) value = readAnyValue(reader);
    else reader.skip(wire);
  }
  into[key] = value;
  reader.end = outer;
}

const MAX_VALUE_DEPTH = 16;

function readAnyValue(reader: ProtobufReader, depth = 0): AttributeValue {
  if (depth > MAX_VALUE_DEPTH) throw new BadPayloadError('protobuf: attribute values nested too deep');
  const outer = enter(reader);
  let value: AttributeValue = null;
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) value = reader.string();
    else if (field === 2 && wire === WireType.VARINT) value = reader.uint32() !== 0;
    else if (field === 3 && wire === WireType.VARINT) value = reader.int64();
    else if (field === 4 && wire === WireType.FIXED64) value = reader.double();
    else if (field === 5 && wire === WireType.LENGTH_DELIMITED) value = readArray(reader, depth);
    else if (field === 6 && wire === WireType.LENGTH_DELIMITED) value = readKeyValueList(reader, depth);
    else if (field === 7 && wire === WireType.LENGTH_DELIMITED) value = Uint8Array.from(reader.bytes());
    else reader.skip(wire);
  }
  return leave(reader, outer, value);
}

function readArray(reader: ProtobufReader, depth: number): AttributeValue[] {
  const outer = enter(reader);
  const values: AttributeValue[] = [];
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) values.push(readAnyValue(reader, depth + 1));
    else reader.skip(wire);
  }
  return leave(reader, outer, values);
}

function readKeyValueList(reader: ProtobufReader, depth: number): Record<string, AttributeValue> {
  const outer = enter(reader);
  const values: Record<string, AttributeValue> = {};
  while (reader.more()) {
    const [field, wire] = reader.tag();
    if (field === 1 && wire === WireType.LENGTH_DELIMITED) {
      const inner = enter(reader);
      let key = '';
      let value: AttributeValue = null;
      while (reader.more()) {
        const [f, w] = reader.tag();
        if (f === 1 && w === WireType.LENGTH_DELIMITED) key = reader.string();
        else if (f === 2 && w === WireType.LENGTH_DELIMITED) value = readAnyValue(reader, depth + 1);
        else reader.skip(w);
      }
      values[key] = value;
      reader.end = inner;
    } else reader.skip(wire);
  }
  return leave(reader, outer, values);
}

/** Narrows the reader to the embedded message at the current position; returns the outer end to restore. */
function enter(reader: ProtobufReader): number {
  const outer = reader.end;
  const [start, end] = reader.span();
  reader.pos = start;
  reader.end = end;
  return outer;
}

function leave<T>(reader: ProtobufReader, outer: number, value: T): T {
  reader.end = outer;
  return value;
}
