/**
 * Entity tags of todos and the `If-Match` / `If-None-Match` rules (RFC 9110 §8.8.3, §13.1).
 *
 * A tag is strong and names one revision of one incarnation of a todo:
 * `"<version>.<seq>"`. The version grows with every write; `seq` is made when the
 * todo is created, so a todo deleted and created again under the same id never
 * matches a tag of its predecessor.
 */

/** The parts of a todo a tag is made from. */
export interface Revision {
  readonly version: number;
  readonly seq: string;
}

/** `If-Match` as a store precondition: any existing todo, or one of these revisions. */
export type IfMatch =
  | { readonly kind: 'any' }
  | { readonly kind: 'oneOf'; readonly revisions: readonly Revision[] };

/** An entity tag as this API writes it (strong) or a client may send it (weak, `W/`). */
export const ENTITY_TAG_PATTERN = /^(W\/)?"(\d{1,15})\.([0-9a-f-]{36})"$/;

/** The strong ETag of a revision. */
export function formatETag(revision: Revision): string {
  return `"${revision.version}.${revision.seq}"`;
}

/**
 * Reads `If-Match`. Absent or `*` → any existing todo. Otherwise the strong tags
 * listed; weak or foreign tags never match under strong comparison, so a list of
 * only those is an empty `oneOf` that fails on any todo.
 */
export function parseIfMatch(header: string | undefined): IfMatch {
  if (header === undefined || header.trim() === '*') return { kind: 'any' };
  const revisions: Revision[] = [];
  for (const tag of splitTags(header)) {
    const parsed = ENTITY_TAG_PATTERN.exec(tag);
    if (parsed && !parsed[1]) revisions.push({ version: Number(parsed[2]), seq: parsed[3]! });
  }
  return { kind: 'oneOf', revisions };
}

/** True when `If-None-Match` matches the current revision (weak comparison, `*` matches any). */
export function ifNoneMatchMatches(header: string | undefined, current: Revision): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  const strong = formatETag(current);
  return splitTags(header).some((tag) => tag.replace(/^W\//, '') === strong);
}

/** Splits a comma-separated list of entity tags; commas may occur inside a quoted tag. */
function splitTags(header: string): string[] {
  return header.match(/(?:W\/)?"[^"]*"|[^,\s]+/g) ?? [];
}
