/** Reads the console's data API (local/console/console-api.ts) and words its errors. */
import type { TimeRange } from '../console-api';

/** A non-2xx answer, worded from its problem+json `detail` when it has one. */
class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

type Params = Readonly<Record<string, string | number | undefined>>;

/** `path` with the non-empty `params` as its query string. */
function withQuery(path: string, params: Params): string {
  const query = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') query.set(name, String(value));
  }
  const text = query.toString();
  return text ? `${path}?${text}` : path;
}

/** `500 Internal Server Error — <detail>`, from problem+json when the answer is one. */
async function problemMessage(response: Response): Promise<string> {
  let problem: { title?: unknown; detail?: unknown } = {};
  try {
    problem = (await response.json()) as typeof problem;
  } catch {
    // Not JSON: the status alone says what happened.
  }
  const title = typeof problem.title === 'string' ? problem.title : response.statusText;
  const detail = typeof problem.detail === 'string' ? problem.detail : undefined;
  return [`${response.status} ${title}`.trim(), detail].filter(Boolean).join(' — ');
}

/** GETs JSON from the API; throws {@link ApiError} on a non-2xx answer. */
export async function getJson<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  let response: Response;
  try {
    response = await fetch(withQuery(path, params), { headers: { accept: 'application/json' }, signal });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, `cannot reach the console server (${(error as Error).message})`);
  }
  if (!response.ok) throw new ApiError(response.status, await problemMessage(response));
  return (await response.json()) as T;
}

/** The range as the API's `from`/`to` parameters. */
export const rangeParams = (range: TimeRange) => ({ from: range.from, to: range.to });

/** Words any failure for the page: the API's own message, or the error's. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) return `Could not load: ${error.message}`;
  return `Could not load: ${error instanceof Error ? error.message : String(error)}`;
}

/** True for the abort of a superseded request, which is no error to show. */
export const isAbort = (error: unknown): boolean =>
  error instanceof DOMException && error.name === 'AbortError';
