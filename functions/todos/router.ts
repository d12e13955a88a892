/**
 * Matches a method and path against the shared route table (`routes.ts`).
 */
import { MethodNotAllowedError, NotFoundError } from './errors';
import { ROUTES, type RouteOperation, routeKey } from './routes';

/** A matched route: the operation, the decoded path parameters and the methods of its path. */
export interface RouteMatch {
  readonly operation: RouteOperation;
  readonly params: Readonly<Record<string, string>>;
  /** Every method the route table serves on the matched path (what `Allow` lists). */
  readonly allowed: readonly string[];
}

interface CompiledPath {
  readonly template: string;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

let compiled: readonly CompiledPath[] | undefined;

/** Compiled on first use: a route template's `{name}` matches exactly one non-empty segment. */
function compiledPaths(): readonly CompiledPath[] {
  compiled ??= [...new Set(ROUTES.map((route) => route.path))].map((template) => {
    const names: string[] = [];
    const source = template
      .split('/')
      .map((segment) => {
        const parameter = /^\{(\w+)\}$/.exec(segment);
        if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        names.push(parameter[1]!);
        return '([^/]+)';
      })
      .join('/');
    return { template, pattern: new RegExp(`^${source}$`), names };
  });
  return compiled;
}

/**
 * Finds the route for `method` and `path`.
 *
 * @throws NotFoundError when no route has this path (or a parameter is not valid percent-encoding).
 * @throws MethodNotAllowedError with the allowed methods when the path exists with other methods.
 */
export function matchRoute(method: string, path: string): RouteMatch {
  for (const { template, pattern, names } of compiledPaths()) {
    const match = pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    for (const [index, name] of names.entries()) {
      try {
        params[name] = decodeURIComponent(match[index + 1]!);
      } catch (cause) {
        throw new NotFoundError(`No resource at ${path}`, { cause });
      }
    }
    const candidates = ROUTES.filter((route) => route.path === template);
    const allowed = candidates.map((candidate) => candidate.method);
    const route = candidates.find((candidate) => candidate.method === method);
    if (!route) throw new MethodNotAllowedError(method, allowed);
    return { operation: route.operation, params, allowed };
  }
  throw new NotFoundError(`No resource at ${path}`);
}

/**
 * The API Gateway route key (`GET /todos/{id}`) for a method and path, or
 * `$default` when no route matches: a bounded label for metrics and span names.
 */
export function routeKeyOf(method: string, path: string): string {
  try {
    const { operation } = matchRoute(method, path);
    const route = ROUTES.find((candidate) => candidate.operation === operation)!;
    return routeKey(route);
  } catch {
    return '$default';
  }
}
