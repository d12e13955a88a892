/**
 * HTTP API route selection: a request's method and path against the route table, choosing the
 * most specific match as API Gateway does (literal segments beat `{param}`, which beats a
 * greedy `{param+}`; a method beats `ANY`).
 */

/** The route key of the catch-all route: selected when no other route matches. */
export const DEFAULT_ROUTE_KEY = '$default';

/** A route as the route table writes it: method (or `ANY`) and a path template. */
export interface RouteDefinition {
  readonly method: string;
  readonly path: string;
}

export interface MatchedRoute {
  /** `GET /todos/{id}`, or `$default`. */
  readonly routeKey: string;
  /** Decoded values by parameter name; empty when the route has none. */
  readonly pathParameters: Record<string, string>;
}

const decode = (value: string): string => {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
};

/** Match one template against path segments; returns parameters and a specificity score. */
function matchTemplate(template: string, segments: readonly string[]) {
  const parts = template.split('/').filter(Boolean);
  const pathParameters: Record<string, string> = {};
  let literals = 0;
  for (let index = 0; index < parts.length; index += 1) {
    const part = parts[index]!;
    const greedy = /^\{(.+)\+\}$/.exec(part);
    if (greedy) {
      if (index !== parts.length - 1 || segments.length <= index) return undefined;
      pathParameters[greedy[1]!] = decode(segments.slice(index).join('/'));
      return { pathParameters, score: literals * 2 };
    }
    const segment = segments[index];
    if (segment === undefined || segment === '') return undefined;
    const parameter = /^\{(.+)\}$/.exec(part);
    if (parameter) pathParameters[parameter[1]!] = decode(segment);
    else if (part !== segment) return undefined;
    else literals += 1;
  }
  if (segments.length !== parts.length) return undefined;
  return { pathParameters, score: literals * 2 + 1 };
}

/**
 * The route a request selects; with no match, the `$default` route when the API has one (with no
 * path parameters, as API Gateway sends it), else `undefined` (API Gateway then answers 404 itself).
 */
export function selectRoute(
  routes: readonly RouteDefinition[],
  method: string,
  rawPath: string,
  hasDefaultRoute = false,
): MatchedRoute | undefined {
  // A trailing slash is its own path to API Gateway: `/todos/` does not select `/todos`.
  const segments = rawPath.split('/').slice(1);
  if (segments.length === 1 && segments[0] === '') segments.length = 0;
  let best: { route: RouteDefinition; pathParameters: Record<string, string>; score: number } | undefined;
  for (const route of routes) {
    if (route.method !== method && route.method !== 'ANY') continue;
    const match = matchTemplate(route.path, segments);
    if (!match) continue;
    const score = match.score * 2 + (route.method === 'ANY' ? 0 : 1);
    if (!best || score > best.score) best = { route, pathParameters: match.pathParameters, score };
  }
  if (best)
    return { routeKey: `${best.route.method} ${best.route.path}`, pathParameters: best.pathParameters };
  return hasDefaultRoute ? { routeKey: DEFAULT_ROUTE_KEY, pathParameters: {} } : undefined;
}
