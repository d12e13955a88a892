/**
 * `SEARCH('{Namespace,Dim1,Dim2} terms', 'Stat', period)` over the local metric store, with
 * CloudWatch's matching rules as far as a local store needs them: the schema `{...}` selects the
 * metrics of that namespace whose dimension set is exactly the listed names; every term must
 * match: `Key="value"` (or `MetricName="X"`) exactly, a bare `"phrase"` or word anywhere in the
 * metric name or a dimension value (case-insensitive, as CloudWatch's partial matches are).
 * Boolean operators (`AND`, `OR`, `NOT`) and parentheses are not supported locally.
 */
import type { ExtractedMetric } from '../../logs/emf';

/** A standalone SEARCH expression, parsed. */
export interface SearchQuery {
  readonly namespace: string;
  /** The exact dimension set of the schema. */
  readonly dimensionNames: readonly string[];
  readonly terms: readonly SearchTerm[];
  readonly stat: string;
  /** Seconds; absent when the expression leaves it to the widget. */
  readonly period?: number;
}

type SearchTerm =
  | { readonly kind: 'property'; readonly name: string; readonly value: string }
  | { readonly kind: 'word'; readonly value: string };

/** A SEARCH the local store cannot run; the message says why. */
class SearchError extends Error {
  override readonly name = 'SearchError';
}

const STANDALONE = /^\s*SEARCH\s*\(\s*'((?:[^'\\]|\\.)*)'\s*,\s*'([^']+)'\s*(?:,\s*(\d+)\s*)?\)\s*$/i;
const TERM =
  /\s*(?:([A-Za-z_][\w.:/-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"()]+))|"((?:[^"\\]|\\.)*)"|([^\s"()=]+))/y;

/** Whether the expression uses SEARCH anywhere. */
export const usesSearch = (expression: string): boolean => /\bSEARCH\s*\(/i.test(expression);

/** Parses a SEARCH that is the whole expression; throws {@link SearchError} otherwise. */
export function parseSearch(expression: string): SearchQuery {
  const call = STANDALONE.exec(expression);
  if (!call) {
    throw new SearchError(
      'SEARCH inside other metric math is not supported locally; only a standalone SEARCH(...) expression is',
    );
  }
  const [, text = '', stat = '', period] = call;
  const schema = /^\s*\{([^}]*)\}/.exec(text);
  if (!schema) throw new SearchError('a SEARCH without a {Namespace,...} schema is not supported locally');
  const [namespace = '', ...dimensionNames] = (schema[1] ?? '')
    .split(',')
    .map((part) => part.trim().replace(/^"|"$/g, ''));
  const rest = text.slice(schema[0].length);
  const terms: SearchTerm[] = [];
  TERM.lastIndex = 0;
  while (TERM.lastIndex < rest.length) {
    if (rest.slice(TERM.lastIndex).trim() === '') break;
    const match = TERM.exec(rest);
    if (!match) throw new SearchError(`unsupported SEARCH term near "${rest.slice(TERM.lastIndex).trim()}"`);
    const [, name, quoted, bare, phrase, word] = match;
    if (name !== undefined) terms.push({ kind: 'property', name, value: quoted ?? bare ?? '' });
    else {
      const value = phrase ?? word ?? '';
      if (/^(AND|OR|NOT)$/.test(value))
        throw new SearchError(`SEARCH operator ${value} is not supported locally`);
      terms.push({ kind: 'word', value });
    }
  }
  return { namespace, dimensionNames, terms, stat, ...(period ? { period: Number(period) } : {}) };
}

const matchesTerm = (datum: ExtractedMetric, term: SearchTerm): boolean => {
  if (term.kind === 'property') {
    return term.name === 'MetricName'
      ? datum.metricName === term.value
      : datum.dimensions[term.name] === term.value;
  }
  const wanted = term.value.toLowerCase();
  return [datum.metricName, ...Object.values(datum.dimensions)].some((part) =>
    part.toLowerCase().includes(wanted),
  );
};

/** One metric a SEARCH found. */
export interface SearchMatch {
  readonly metricName: string;
  readonly dimensions: Readonly<Record<string, string>>;
  /** The dimension values in schema order, CloudWatch's label for a search result. */
  readonly label: string;
}

/** The distinct metrics of `stored` that the search matches, ordered by label. */
export function searchMetrics(query: SearchQuery, stored: readonly ExtractedMetric[]): SearchMatch[] {
  const found = new Map<string, SearchMatch>();
  for (const datum of stored) {
    if (datum.namespace !== query.namespace) continue;
    const names = Object.keys(datum.dimensions);
    if (
      names.length !== query.dimensionNames.length ||
      !query.dimensionNames.every((name) => name in datum.dimensions)
    )
      continue;
    if (!query.terms.every((term) => matchesTerm(datum, term))) continue;
    const key = JSON.stringify([
      datum.metricName,
      query.dimensionNames.map((name) => datum.dimensions[name]),
    ]);
    if (!found.has(key)) {
      found.set(key, {
        metricName: datum.metricName,
        dimensions: datum.dimensions,
        label: query.dimensionNames.map((name) => datum.dimensions[name]).join(' ') || datum.metricName,
      });
    }
  }
  return [...found.values()].sort((a, b) => a.label.localeCompare(b.label));
}
