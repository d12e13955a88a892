import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../../functions/todos/cursor';
import { InvalidCursorError } from '../../functions/todos/errors';

const key = Buffer.from('cursor-test-key');
const position = fc.record({ seq: fc.uuid({ version: 7 }), id: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) });

describe('pagination cursors', () => {
  it('decode to the position they were made from, for their owner', () => {
    fc.assert(
      fc.property(position, fc.string({ minLength: 1 }), (at, owner) => {
        // Act
        const decoded = decodeCursor(encodeCursor(at, owner, key), owner, key);

        // Assess
        expect(decoded).toEqual(at);
      }),
    );
  });

  it('are refused after any one character is changed', () => {
    fc.assert(
      fc.property(position, fc.nat(), fc.constantFrom(...'ABCabc019-_.'), (at, index, replacement) => {
        // Prepare
        const token = encodeCursor(at, 'owner', key);
        const where = index % token.length;
        fc.pre(token[where] !== replacement);
        const tampered = token.slice(0, where) + replacement + token.slice(where + 1);

        // Act + Assess
        expect(() => decodeCursor(tampered, 'owner', key)).toThrow(InvalidCursorError);
      }),
    );
  });

  it('are refused when only unused bits of the last signature character change', () => {
    // Prepare: 16 signature bytes end in a character whose low 4 bits decode to nothing.
    const token = encodeCursor({ seq: '0192f3a1-6b2c-7a31-9c4e-1f0b2d3e4a5b', id: 'a' }, 'owner', key);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(token.at(-1)!);
    const sibling = alphabet[last ^ 1]!;

    // Act + Assess
    expect(() => decodeCursor(token.slice(0, -1) + sibling, 'owner', key)).toThrow(InvalidCursorError);
  });

  it('are refused for another owner and under another key', () => {
    // Prepare
    const token = encodeCursor({ seq: '0192f3a1-6b2c-7a31-9c4e-1f0b2d3e4a5b', id: 'a' }, 'alice', key);

    // Act + Assess
    expect(() => decodeCursor(token, 'bob', key)).toThrow(InvalidCursorError);
    expect(() => decodeCursor(token, 'alice', Buffer.from('rotated'))).toThrow(InvalidCursorError);
  });
});
