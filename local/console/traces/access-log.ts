/**
 * The HTTP API's access log, the only record of what the API itself did: HTTP APIs write no
 * X-Ray segments, so the console's HTTP API node and its Client edge come from these lines.
 * Files: `<logs>/http-api-access/<YYYY-MM-DD>`, lines `<ISO time>\t<json>` with the fields of the
 * access log format (`requestId`, `routeKey`, `status`, `responseLatency`,
 * `integrationLatency`, `traceId` = `$context.integration.traceId`).
 */
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { FileTail } from './file-tail';

/** The access log's folder under the sandbox's log directory. */
const ACCESS_LOG_FOLDER = 'http-api-access';
const DAY_FILE = /^\d{4}-\d{2}-\d{2}$/;
const TRACE_ID = /1-[0-9a-f]{8}-[0-9a-f]{24}/;

export interface AccessLogEntry {
  /** `$context.requestId`, which the handler's span carries as `aws.api_gateway.request_id`. */
  readonly requestId: string;
  /** The X-Ray trace id (`1-…`), whatever form the log wrote it in (a bare id or a header). */
  readonly traceId?: string;
  readonly routeKey?: string;
  readonly method?: string;
  readonly status?: number;
  readonly responseLatencyMs?: number;
  readonly integrationLatencyMs?: number;
}

const numberOf = (value: unknown): number | undefined => {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
};

/** One line of the access log, or `undefined` for a line that is not one. */
function parseAccessLogLine(line: string): AccessLogEntry | undefined {
  const tab = line.indexOf('\t');
  let fields: unknown;
  try {
    fields = JSON.parse(tab === -1 ? line : line.slice(tab + 1));
  } catch {
    return undefined;
  }
  if (typeof fields !== 'object' || fields === null) return undefined;
  const record = fields as Record<string, unknown>;
  if (typeof record.requestId !== 'string' || record.requestId === '') return undefined;
  const traceId = typeof record.traceId === 'string' ? TRACE_ID.exec(record.traceId)?.[0] : undefined;
  const routeKey = typeof record.routeKey === 'string' ? record.routeKey : undefined;
  const method =
    typeof record.httpMethod === 'string' ? record.httpMethod : routeKey?.match(/^([A-Z]+) /)?.[1];
  const status = numberOf(record.status);
  const responseLatencyMs = numberOf(record.responseLatency);
  const integrationLatencyMs = numberOf(record.integrationLatency);
  return {
    requestId: record.requestId,
    ...(traceId ? { traceId } : {}),
    ...(routeKey ? { routeKey } : {}),
    ...(method ? { method } : {}),
    ...(status === undefined ? {} : { status }),
    ...(responseLatencyMs === undefined ? {} : { responseLatencyMs }),
    ...(integrationLatencyMs === undefined ? {} : { integrationLatencyMs }),
  };
}

/** Follows every day file of the access log; a day file appears at midnight UTC. */
export class AccessLogTail {
  private readonly directory: string;
  private readonly tails = new Map<string, FileTail>();

  constructor(logsDirectory: string) {
    this.directory = path.join(logsDirectory, ACCESS_LOG_FOLDER);
  }

  /** Entries appended since the last call; none while the sandbox writes no access log. */
  async readNew(): Promise<AccessLogEntry[]> {
    let names: string[];
    try {
      names = (await readdir(this.directory)).filter((name) => DAY_FILE.test(name)).sort();
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const entries: AccessLogEntry[] = [];
    for (const name of names) {
      let tail = this.tails.get(name);
      if (!tail) {
        tail = new FileTail(path.join(this.directory, name));
        this.tails.set(name, tail);
      }
      for (const line of await tail.readNew()) {
        const entry = parseAccessLogLine(line.text);
        if (entry) entries.push(entry);
      }
    }
    return entries;
  }
}
