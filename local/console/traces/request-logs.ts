/**
 * The log lines of one Lambda request, read from the sandbox's stand-in for CloudWatch Logs:
 * `<logs>/<function>/<YYYY>/<MM>/<DD>/[<version>]<32 hex>`, one event per line as
 * `<ISO time>\t<message>` (a multi-line message continues on lines without the time).
 *
 * Bounded: a stream is named for the day its environment started, so streams of days after the
 * request are skipped; a stream last written before the request started cannot hold its lines;
 * and when the version is known, only that version's streams are read.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import type { LogLine } from '../console-api';

export interface RequestLogsQuery {
  /** `<stateDir>/logs`. */
  readonly logsDirectory: string;
  readonly functionName: string;
  /** The Lambda request id. */
  readonly requestId: string;
  /** Epoch ms: when the request started and ended. */
  readonly from: number;
  readonly to: number;
  /** The function version that ran it, when known. */
  readonly version?: string;
}

const STAMPED = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\t/;
const STREAM = /^\[([^\]]+)\][0-9a-f]{32}$/;
/** Clocks of the writers and the store differ by little; a stream written this long before is still read. */
const CLOCK_SLACK_MS = 1_000;

async function entries(directory: string): Promise<string[]> {
  try {
    return (await readdir(directory)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
}

/** Streams (relative names) that may hold lines of a request between `from` and `to`. */
async function candidateStreams(query: RequestLogsQuery, root: string): Promise<string[]> {
  const lastDay = new Date(query.to).toISOString().slice(0, 10).replaceAll('-', '/');
  const streams: string[] = [];
  for (const year of await entries(root)) {
    for (const month of await entries(path.join(root, year))) {
      for (const day of await entries(path.join(root, year, month))) {
        if (`${year}/${month}/${day}` > lastDay) continue;
        for (const name of await entries(path.join(root, year, month, day))) {
          const version = STREAM.exec(name)?.[1];
          if (version === undefined) continue;
          if (query.version !== undefined && version !== query.version) continue;
          const relative = `${year}/${month}/${day}/${name}`;
          const { mtimeMs } = await stat(path.join(root, relative));
          if (mtimeMs + CLOCK_SLACK_MS >= query.from) streams.push(relative);
        }
      }
    }
  }
  return streams;
}

/** Whether a log event is the request's, by the ways Lambda and the code write the id. */
function isRequestLine(message: string, requestId: string): boolean {
  if (!message.includes(requestId)) return false;
  if (message.startsWith('{')) {
    try {
      const event = JSON.parse(message) as { requestId?: unknown; record?: { requestId?: unknown } };
      return event.requestId === requestId || event.record?.requestId === requestId;
    } catch {
      return false;
    }
  }
  // Lambda's own text lines and the runtime's text format (`<time>\t<request id>\t<LEVEL>\t…`).
  return /^(START|END|REPORT) RequestId: /.test(message)
    ? message.startsWith(`RequestId: ${requestId}`, message.indexOf('RequestId: '))
    : message.split(/[\t ]/, 2)[1] === requestId;
}

async function scanStream(
  file: string,
  logStream: string,
  requestId: string,
  found: LogLine[],
): Promise<void> {
  const lines = createInterface({
    input: createReadStream(file, 'utf8'),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  let current: { timestamp: number; message: string } | undefined;
  const finish = () => {
    if (current && isRequestLine(current.message, requestId)) found.push({ ...current, logStream });
  };
  for await (const line of lines) {
    const stamp = STAMPED.exec(line);
    if (!stamp) {
      if (current) current.message += `\n${line}`;
      continue;
    }
    finish();
    current = { timestamp: Date.parse(stamp[1]!), message: line.slice(stamp[0].length) };
  }
  finish();
}

/**
 * The request's log lines from every stream that may hold them, in time order.
 *
 * @example
 * await readRequestLogs({ logsDirectory: '.local/logs', functionName: 'todos', requestId, from, to });
 */
export async function readRequestLogs(query: RequestLogsQuery): Promise<LogLine[]> {
  const root = path.join(query.logsDirectory, query.functionName);
  const found: LogLine[] = [];
  for (const stream of await candidateStreams(query, root)) {
    await scanStream(path.join(root, stream), stream, query.requestId, found);
  }
  return found.sort((a, b) => a.timestamp - b.timestamp);
}
