/**
 * UUIDv7 (RFC 9562 §5.7): 48-bit Unix milliseconds, then randomness, so ids sort
 * by creation time.
 */
import { randomBytes } from 'node:crypto';

let lastMs = -1;
let counter = 0;

/**
 * Makes a UUIDv7. Within one process ids are strictly increasing: inside one
 * millisecond the 12-bit `rand_a` field is a counter (RFC 9562 §6.2, method 1)
 * seeded randomly below 2^11 so that at least 2,048 ids fit before the timestamp
 * is advanced by one.
 *
 * @example uuidV7() // '0192f3a1-6b2c-7a31-9c4e-1f0b2d3e4a5b'
 */
export function uuidV7(now: number = Date.now()): string {
  const random = randomBytes(10);
  if (now > lastMs) {
    lastMs = now;
    counter = ((random[0]! << 8) | random[1]!) & 0x7ff;
  } else if (counter < 0xfff) {
    counter++;
  } else {
    lastMs++;
    counter = 0;
  }
  const bytes = Buffer.alloc(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (counter >> 8);
  bytes[7] = counter & 0xff;
  random.copy(bytes, 8, 2, 10);
  bytes[8] = 0x80 | (bytes[8]! & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
