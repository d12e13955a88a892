/**
 * The page's address in the URL hash, so views can be deep-linked:
 * `#/map`, `#/traces?node=…`, `#/traces/<trace id>`, `#/dashboard`, `#/releases`, `#/releases/<id>`.
 */

export type ViewName = 'map' | 'traces' | 'dashboard' | 'releases';

export const VIEW_NAMES: readonly ViewName[] = ['map', 'traces', 'dashboard', 'releases'];

export interface Route {
  readonly view: ViewName;
  /** The trace id or deployment id after the view's name. */
  readonly id?: string;
  readonly params: URLSearchParams;
}

export function parseRoute(hash: string): Route {
  const text = hash.replace(/^#\/?/, '');
  const queryAt = text.indexOf('?');
  const path = queryAt < 0 ? text : text.slice(0, queryAt);
  const params = new URLSearchParams(queryAt < 0 ? '' : text.slice(queryAt + 1));
  const [first, ...rest] = path.split('/');
  const view = VIEW_NAMES.find((name) => name === first) ?? 'map';
  const id = rest.length > 0 && rest.join('/') !== '' ? decodeURIComponent(rest.join('/')) : undefined;
  return id === undefined ? { view, params } : { view, id, params };
}

function formatRoute(view: ViewName, id?: string, params?: URLSearchParams): string {
  const query = params?.toString();
  return `#/${view}${id ? `/${encodeURIComponent(id)}` : ''}${query ? `?${query}` : ''}`;
}

export function navigate(view: ViewName, id?: string, params?: URLSearchParams): void {
  const target = formatRoute(view, id, params);
  if (window.location.hash !== target) window.location.hash = target;
}
