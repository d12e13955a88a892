import { BadPayloadError } from '../errors';

/** Protobuf wire types (encoding spec): 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32. */
export const WireType = { VARINT: 0, FIXED64: 1, LENGTH_DELIMITED: 2, FIXED32: 5 } as const;

const TWO_POW_32 = 2 ** 32;

/**
 * A minimal reader of the protobuf wire format, enough for OTLP: varints, fixed 32/64-bit values,
 * doubles and length-delimited fields. Every read is bounds-checked; malformed input raises
 * {@link BadPayloadError} instead of reading past the message.
 */
export class ProtobufReader {
  /** Current read position. */
  pos: number;
  private readonly view: DataView;

  constructor(
    readonly buf: Buffer,
    start = 0,
    /** End of the message being read; fields never extend past it. */
    public end = buf.length,
  ) {
    this.pos = start;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  /** True while the current message has fields left. */
  more(): boolean {
    return this.pos < this.end;
  }

  /** Reads a field key; returns `[fieldNumber, wireType]`. */
  tag(): [number, number] {
    const key = this.uint32();
    return [key >>> 3, key & 7];
  }

  /** A varint that fits in 32 bits (tags, lengths, enums, bools); wider bits are discarded. */
  uint32(): number {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      if (shift < 32) result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result >>> 0;
      shift += 7;
      if (shift > 63) throw new BadPayloadError('protobuf: varint longer than 10 bytes');
    }
  }

  /** A 64-bit varint as a signed value (int64); a number when it is a safe integer, else bigint. */
  int64(): number | bigint {
    let lo = 0;
    let hi = 0;
    let shift = 0;
    for (;;) {
      const byte = this.byte();
      if (shift < 28) lo |= (byte & 0x7f) << shift;
      else if (shift === 28) {
        lo |= (byte & 0x0f) << 28;
        hi |= (byte & 0x7f) >>> 4;
      } else hi |= (byte & 0x7f) << (shift - 32);
      if (byte < 0x80) break;
      shift += 7;
      if (shift > 63) throw new BadPayloadError('protobuf: varint longer than 10 bytes');
    }
    return combine(lo >>> 0, hi | 0);
  }

  /** A fixed64 (OTLP timestamps in nanoseconds) as an unsigned bigint. */
  fixed64(): bigint {
    this.need(8);
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  fixed32(): number {
    this.need(4);
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  double(): number {
    this.need(8);
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a length prefix and returns `[start, end]` of the embedded bytes, moving past them. */
  span(): [number, number] {
    const length = this.uint32();
    this.need(length);
    const start = this.pos;
    this.pos += length;
    return [start, this.pos];
  }

  /** A length-delimited field as a view (no copy) of the underlying buffer. */
  bytes(): Buffer {
    const [start, end] = this.span();
    return this.buf.subarray(start, end);
  }

  string(): string {
    const [start, end] = this.span();
    return this.buf.toString('utf8', start, end);
  }

  /** Skips a field whose number this reader does not know, as the protobuf spec requires. */
  skip(wireType: number): void {
    switch (wireType) {
      case WireType.VARINT:
        while (this.byte() >= 0x80) {}
        return;
      case WireType.FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WireType.LENGTH_DELIMITED:
        this.span();
        return;
      case WireType.FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      default:
        throw new BadPayloadError(`protobuf: unsupported wire type ${wireType}`);
    }
  }

  private byte(): number {
    if (this.pos >= this.end) throw new BadPayloadError('protobuf: message truncated');
    return this.buf[this.pos++]!;
  }

  private need(length: number): void {
    if (this.pos + length > this.end) throw new BadPayloadError('protobuf: message truncated');
  }
}

function combine(lo: number, hi: number): number | bigint {
  // Safe when the value lies in (-2^53, 2^53): hi within 21 bits of sign extension.
  if (hi >= -0x200000 && hi < 0x200000) return hi * TWO_POW_32 + lo;
  return (BigInt(hi) << 32n) | BigInt(lo);
}
