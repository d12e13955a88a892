/**
 * Wire contract: OTLP/JSON values, as the OTLP/HTTP specification maps protobuf to JSON.
 *
 * - ids are hex strings, enums are integers;
 * - 64-bit integers (`intValue`, `*TimeUnixNano`) are written as decimal strings, as the
 *   protobuf JSON mapping writes int64 and fixed64 (a JSON number loses precision above 2^53),
 *   and read from either strings or numbers, since the specification asks receivers to accept
 *   both;
 * - `AnyValue` is one of string, bool, int, double, array, key-value list or bytes (base64).
 *
 * The handler encodes its spans with it and the extension decodes them and encodes its OTLP
 * export with it, so one integer means the same on every hop. Dependency-free on purpose:
 * esbuild inlines it into both bundles.
 */

/** An OTLP `AnyValue` in JSON, as read: integers may come as numbers or strings. */
interface OtlpJsonAnyValue {
  readonly stringValue?: string;
  readonly boolValue?: boolean;
  readonly intValue?: string | number;
  readonly doubleValue?: number | string;
  readonly arrayValue?: { readonly values?: readonly OtlpJsonAnyValue[] };
  readonly kvlistValue?: { readonly values?: readonly OtlpJsonKeyValue[] };
  readonly bytesValue?: string;
}

/** An OTLP `KeyValue` in JSON. */
export interface OtlpJsonKeyValue {
  readonly key?: string;
  readonly value?: OtlpJsonAnyValue;
}

/**
 * A value OTLP can carry, as this project's code holds it: integers are numbers, or bigint past
 * 2^53; bytes are bytes; a key-value list is a plain object; `null` is the empty `AnyValue`.
 */
export type OtlpValue =
  | string
  | number
  | bigint
  | boolean
  | Uint8Array
  | null
  | readonly OtlpValue[]
  | { readonly [key: string]: OtlpValue };

/**
 * What the encoder accepts: an {@link OtlpValue}, or `undefined` where OpenTelemetry's API allows
 * it (an attribute left out; inside an array, the empty value).
 */
export type EncodableOtlpValue =
  | OtlpValue
  | undefined
  | readonly EncodableOtlpValue[]
  | { readonly [key: string]: EncodableOtlpValue };

/** OTLP `Span.flags`: the low byte holds the W3C trace flags, then "has is_remote" and "is_remote". */
export const SPAN_FLAGS = { HAS_IS_REMOTE: 0x100, IS_REMOTE: 0x200 } as const;

/** Encodes one value as an OTLP/JSON `AnyValue`. */
function encodeAnyValue(value: EncodableOtlpValue): OtlpJsonAnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { intValue: value.toString() } : { doubleValue: value };
  }
  if (value instanceof Uint8Array) return { bytesValue: Buffer.from(value).toString('base64') };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(encodeAnyValue) } };
  if (value !== null && typeof value === 'object') {
    return {
      kvlistValue: { values: encodeKeyValues(value as Readonly<Record<string, EncodableOtlpValue>>) },
    };
  }
  return {};
}

/** Encodes attributes as OTLP/JSON `KeyValue`s; `undefined` entries are left out, as the SDK does. */
export function encodeKeyValues(
  attributes: Readonly<Record<string, EncodableOtlpValue>>,
): OtlpJsonKeyValue[] {
  const list: OtlpJsonKeyValue[] = [];
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value !== undefined) list.push({ key, value: encodeAnyValue(value) });
  }
  return list;
}

/** Nanoseconds since the epoch as OTLP/JSON writes them, from a bigint or an `[seconds, nanos]` pair. */
export function encodeUnixNano(time: bigint | readonly [number, number]): string {
  const nanos = typeof time === 'bigint' ? time : BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
  return nanos.toString();
}

/** Why a value could not be decoded; the receiver turns it into a 400 for the sender. */
class OtlpJsonValueError extends Error {
  override readonly name = 'OtlpJsonValueError';
}

// Key-value lists may nest; a sender could nest them without end, so decoding stops here.
const MAX_VALUE_DEPTH = 16;

/** Decodes an OTLP/JSON `AnyValue`; integers past 2^53 become bigint. */
function decodeAnyValue(value: OtlpJsonAnyValue | null | undefined, depth = 0): OtlpValue {
  if (value === undefined || value === null) return null;
  if (depth > MAX_VALUE_DEPTH) throw new OtlpJsonValueError('attribute values nested too deep');
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.intValue !== undefined) return decodeInt(value.intValue);
  if (value.doubleValue !== undefined) return Number(value.doubleValue);
  if (value.arrayValue !== undefined) {
    return (value.arrayValue.values ?? []).map((item) => decodeAnyValue(item, depth + 1));
  }
  if (value.kvlistValue !== undefined) return decodeKeyValues(value.kvlistValue.values, depth + 1);
  if (value.bytesValue !== undefined) return Uint8Array.from(Buffer.from(value.bytesValue, 'base64'));
  return null;
}

/** Decodes OTLP/JSON `KeyValue`s into a plain object; entries without a key are skipped. */
export function decodeKeyValues(
  list: readonly OtlpJsonKeyValue[] | undefined,
  depth = 0,
): Record<string, OtlpValue> {
  const result: Record<string, OtlpValue> = {};
  for (const kv of list ?? []) if (kv.key !== undefined) result[kv.key] = decodeAnyValue(kv.value, depth);
  return result;
}

/** Decodes a `*TimeUnixNano` field (decimal string or number); absent is 0. */
export function decodeUnixNano(value: string | number | undefined): bigint {
  if (value === undefined) return 0n;
  try {
    return BigInt(typeof value === 'number' ? Math.trunc(value) : value);
  } catch {
    throw new OtlpJsonValueError(`"${String(value)}" is not a timestamp in nanoseconds`);
  }
}

function decodeInt(value: string | number): number | bigint {
  const number = Number(value);
  if (Number.isSafeInteger(number)) return number;
  try {
    return BigInt(value);
  } catch {
    throw new OtlpJsonValueError(`"${String(value)}" is not an integer`);
  }
}
