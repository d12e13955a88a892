import { describe, expect, it } from 'vitest';
import { formatETag, ifNoneMatchMatches, parseIfMatch } from '../../functions/todos/etag';

const revision = { version: 3, seq: '01937a1e-0000-7000-8000-0123456789ab' };

describe('ETags', () => {
  it('formats a strong tag that If-Match parses back', () => {
    // Act
    const tag = formatETag(revision);

    // Assess
    expect(tag).toBe('"3.01937a1e-0000-7000-8000-0123456789ab"');
    expect(parseIfMatch(tag)).toEqual({ kind: 'oneOf', revisions: [revision] });
  });

  it('reads absent and * If-Match as any existing todo', () => {
    // Act + Assess
    expect(parseIfMatch(undefined)).toEqual({ kind: 'any' });
    expect(parseIfMatch(' * ')).toEqual({ kind: 'any' });
  });

  it('keeps only strong tags of this API from an If-Match list', () => {
    // Act
    const parsed = parseIfMatch(
      `W/${formatETag(revision)}, "foreign", ${formatETag({ ...revision, version: 4 })}`,
    );

    // Assess
    expect(parsed).toEqual({ kind: 'oneOf', revisions: [{ ...revision, version: 4 }] });
  });

  it('matches If-None-Match weakly', () => {
    // Act + Assess
    expect(ifNoneMatchMatches(`W/${formatETag(revision)}`, revision)).toBe(true);
    expect(ifNoneMatchMatches(`"x", ${formatETag(revision)}`, revision)).toBe(true);
    expect(ifNoneMatchMatches(formatETag({ ...revision, version: 2 }), revision)).toBe(false);
    expect(ifNoneMatchMatches(undefined, revision)).toBe(false);
  });
});
