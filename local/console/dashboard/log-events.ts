/**
 * Log events of the sandbox's CloudWatch Logs stand-in (`log-sink.ts`): a function's streams are
 * files under `<directory>/<function>/<YYYY/MM/DD/[version]hex>`, one event per line as
 * `<ISO time>\t<message>`; a line without that prefix continues the event before it (a REPORT
 * followed by its XRAY line is one event).
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { TimeRange } from '../console-api';
import type { LogEvent } from './logs-insights';

const LAMBDA_GROUP = /^\/aws\/lambda\/([^/]+)$/;
const EVENT_LINE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)\t/;

/** The function whose log group this is, or `undefined` for a group the sandbox does not write. */
export const functionOfLogGroup = (logGroup: string): string | undefined => LAMBDA_GROUP.exec(logGroup)?.[1];

const streamFiles = async (root: string): Promise<string[]> => {
  try {
    const entries = await readdir(root, { recursive: true, withFileTypes: true });
    return entries.filter((entry) => entry.isFile()).map((entry) => path.join(entry.parentPath, entry.name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
};

/** The events of a function's log group within `range` (wall clock), oldest first. */
export async function readLogEvents(
  directory: string,
  logGroup: string,
  range: TimeRange,
): Promise<LogEvent[]> {
  const functionName = functionOfLogGroup(logGroup);
  if (functionName === undefined) return [];
  const root = path.join(directory, functionName);
  const events: LogEvent[] = [];
  for (const file of await streamFiles(root)) {
    const logStream = path.relative(root, file).split(path.sep).join('/');
    let current: { timestamp: number; lines: string[] } | undefined;
    const close = (): void => {
      if (current && current.timestamp >= range.from && current.timestamp <= range.to)
        events.push({ timestamp: current.timestamp, message: current.lines.join('\n'), logStream, logGroup });
    };
    for (const line of (await readFile(file, 'utf8')).split('\n')) {
      const stamp = EVENT_LINE.exec(line);
      if (stamp) {
        close();
        current = { timestamp: Date.parse(stamp[1] as string), lines: [line.slice(stamp[0].length)] };
      } else if (current && line !== '') current.lines.push(line);
    }
    close();
  }
  return events.sort((a, b) => a.timestamp - b.timestamp);
}
