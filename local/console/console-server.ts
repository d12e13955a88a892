/**
 * The operator console's HTTP server: the page (built into `dist/console/` by `npm run build`)
 * and the JSON data API of `console-api.ts`, read live from the sandbox's stores. It listens on
 * its own port so the API's port stays the API's alone, and on loopback only: it shows logs and
 * traces with customer data in them.
 */
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import path from 'node:path';
import { type ListeningServer, listen } from '../http-listen';
import type {
  DashboardView,
  ReleaseList,
  ReleaseView,
  ServiceMap,
  TimeRange,
  TraceDetail,
  TraceList,
} from './console-api';

/** Where the console's data comes from; each answer is read when asked, so the page is live. */
export interface ConsoleSources {
  serviceMap(range: TimeRange): Promise<ServiceMap>;
  /** `parameters` are the request's own (filters); throw {@link ConsoleParameterError} on bad ones. */
  traces(range: TimeRange, parameters: URLSearchParams): Promise<TraceList>;
  trace(traceId: string): Promise<TraceDetail | undefined>;
  dashboard(range: TimeRange): Promise<DashboardView>;
  releases(): Promise<ReleaseList>;
  release(deploymentId: string): Promise<ReleaseView | undefined>;
}

/** A query parameter the console cannot use; the message names it and says what it takes. */
export class ConsoleParameterError extends Error {
  override readonly name = 'ConsoleParameterError';
}

/** The range shown when the page does not say. */
const DEFAULT_RANGE_MS = 15 * 60_000;
/** CloudWatch keeps 15 months; a wider range is a typo, not a question. */
const MAX_RANGE_MS = 455 * 24 * 3_600_000;

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

/**
 * `from` and `to` as epoch ms; `to` defaults to now and `from` to 15 minutes before `to`.
 *
 * @example
 * parseRange(new URLSearchParams('from=1700000000000'), Date.now())
 */
function parseRange(parameters: URLSearchParams, now: number): TimeRange {
  const time = (name: 'from' | 'to'): number | undefined => {
    const text = parameters.get(name);
    if (text === null || text === '') return undefined;
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new ConsoleParameterError(`${name} must be a time in epoch milliseconds, got "${text}"`);
    }
    return value;
  };
  const to = time('to') ?? now;
  const from = time('from') ?? to - DEFAULT_RANGE_MS;
  if (from >= to) throw new ConsoleParameterError(`from (${from}) must be before to (${to})`);
  if (to - from > MAX_RANGE_MS) throw new ConsoleParameterError('the range may span at most 455 days');
  return { from, to };
}

interface Problem {
  readonly status: number;
  readonly title: string;
  readonly detail: string;
}

function send(response: ServerResponse, status: number, type: string, body: string | Buffer): void {
  response.writeHead(status, {
    'content-type': type,
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  response.end(body);
}

function sendProblem(response: ServerResponse, problem: Problem, requestId: string): void {
  send(
    response,
    problem.status,
    'application/problem+json',
    JSON.stringify({ type: 'about:blank', ...problem, instance: requestId }),
  );
}

export interface ConsoleServerOptions {
  readonly sources: ConsoleSources;
  /** The built page: `index.html`, `app.js`, `app.css`. */
  readonly assetsDir: string;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default 0 (a free port) */
  readonly port?: number;
  /** Told about a failure the page only sees as a 500, with the request id. */
  readonly onError?: (error: unknown, requestId: string) => void;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Starts the console; close it with the returned server's `close()`. */
export async function startConsoleServer(options: ConsoleServerOptions): Promise<ListeningServer> {
  const { sources } = options;
  const now = options.now ?? Date.now;
  const assetsDir = path.resolve(options.assetsDir);

  const api = async (segments: readonly string[], parameters: URLSearchParams): Promise<unknown> => {
    const [resource, id, ...rest] = segments;
    const notFound = (): never => {
      throw Object.assign(new Error(`no such resource: /api/${segments.join('/')}`), { status: 404 });
    };
    if (rest.length > 0) notFound();
    switch (resource) {
      case 'service-map':
        return id === undefined ? sources.serviceMap(parseRange(parameters, now())) : notFound();
      case 'traces':
        if (id === undefined) return sources.traces(parseRange(parameters, now()), parameters);
        return (await sources.trace(id)) ?? notFound();
      case 'dashboard':
        return id === undefined ? sources.dashboard(parseRange(parameters, now())) : notFound();
      case 'releases':
        if (id === undefined) return sources.releases();
        return (await sources.release(id)) ?? notFound();
      default:
        return notFound();
    }
  };

  const asset = async (pathname: string): Promise<{ type: string; body: Buffer } | undefined> => {
    const name = pathname === '/' ? 'index.html' : decodeURIComponent(pathname.slice(1));
    const file = path.resolve(assetsDir, name);
    // Only files inside the assets directory: `..` and absolute names never leave it.
    if (path.dirname(file) !== assetsDir) return undefined;
    const type = CONTENT_TYPES[path.extname(file)];
    if (type === undefined) return undefined;
    try {
      return { type, body: await readFile(file) };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  };

  const handle = async (request: IncomingMessage, response: ServerResponse, requestId: string) => {
    const url = new URL(request.url ?? '/', 'http://console');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD');
      sendProblem(
        response,
        {
          status: 405,
          title: 'Method Not Allowed',
          detail: `the console only reads; ${request.method} is not allowed`,
        },
        requestId,
      );
      return;
    }
    if (url.pathname === '/api' || url.pathname.startsWith('/api/')) {
      const segments = url.pathname.split('/').slice(2).filter(Boolean).map(decodeURIComponent);
      send(response, 200, 'application/json', JSON.stringify(await api(segments, url.searchParams)));
      return;
    }
    const found = await asset(url.pathname);
    if (found) {
      send(response, 200, found.type, found.body);
      return;
    }
    if (url.pathname === '/') {
      sendProblem(
        response,
        {
          status: 503,
          title: 'Console not built',
          detail: `no ${path.join(assetsDir, 'index.html')}; run "npm run build"`,
        },
        requestId,
      );
      return;
    }
    sendProblem(
      response,
      { status: 404, title: 'Not Found', detail: `no such page: ${url.pathname}` },
      requestId,
    );
  };

  const server = createServer((request, response) => {
    const requestId = randomUUID();
    response.setHeader('x-request-id', requestId);
    handle(request, response, requestId).catch((error: unknown) => {
      if (response.headersSent) {
        response.destroy();
        return;
      }
      if (error instanceof ConsoleParameterError) {
        sendProblem(response, { status: 400, title: 'Bad Request', detail: error.message }, requestId);
        return;
      }
      const status = (error as { status?: unknown }).status;
      if (status === 404) {
        sendProblem(
          response,
          { status: 404, title: 'Not Found', detail: (error as Error).message },
          requestId,
        );
        return;
      }
      options.onError?.(error, requestId);
      sendProblem(
        response,
        {
          status: 500,
          title: 'Internal Server Error',
          detail: `the console failed; see the sandbox's output for ${requestId}`,
        },
        requestId,
      );
    });
  });
  return listen(server, options.port ?? 0, options.host ?? '127.0.0.1');
}
