/**
 * Pagination cursors: opaque to clients, bound to the owner they were issued
 * to, and signed so that a forged or edited cursor is refused instead of
 * steering a query.
 *
 * Token: `base64url(JSON [seq, id]) "." base64url(HMAC-SHA256(key, "v1\n" owner "\n" payload))`,
 * the MAC truncated to 128 bits (NIST SP 800-107 allows truncation to ≥ 64 bits).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { InvalidCursorError } from './errors';

/** Where the next page starts: the last todo of the previous page. */
export interface CursorPosition {
  readonly seq: string;
  readonly id: string;
}

const MAC_BYTES = 16;
/** A position is two short strings; anything longer than this was not made here. */
export const MAX_TOKEN_LENGTH = 512;

/** Encodes and signs a cursor for `owner`. */
export function encodeCursor(position: CursorPosition, owner: string, key: Buffer): string {
  const payload = Buffer.from(JSON.stringify([position.seq, position.id]), 'utf8').toString('base64url');
  return `${payload}.${mac(payload, owner, key).toString('base64url')}`;
}

/**
 * Verifies and decodes a cursor.
 *
 * @throws InvalidCursorError when the token is malformed, altered, or issued to another owner.
 */
export function decodeCursor(token: string, owner: string, key: Buffer): CursorPosition {
  const parts = token.length <= MAX_TOKEN_LENGTH ? token.split('.') : [];
  const [payload, signature] = parts;
  if (parts.length !== 2 || !payload || !signature || !/^[\w-]+$/.test(payload + signature)) {
    throw new InvalidCursorError();
  }
  const expected = mac(payload, owner, key);
  const given = Buffer.from(signature, 'base64url');
  // The last base64 character carries unused bits, so several spellings decode to the same
  // bytes; only the canonical one is accepted, so every altered token is refused.
  const canonical = given.toString('base64url') === signature;
  if (!canonical || given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new InvalidCursorError();
  }
  try {
    const decoded: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
    if (Array.isArray(decoded) && decoded.length === 2 && decoded.every((part) => typeof part === 'string')) {
      return { seq: decoded[0] as string, id: decoded[1] as string };
    }
  } catch (cause) {
    throw new InvalidCursorError({ cause });
  }
  throw new InvalidCursorError();
}

function mac(payload: string, owner: string, key: Buffer): Buffer {
  return createHmac('sha256', key).update(`v1\n${owner}\n${payload}`).digest().subarray(0, MAC_BYTES);
}
