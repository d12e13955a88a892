/**
 * The CloudWatch Logs stand-in: every execution environment gets a log stream, named as Lambda
 * names it (`YYYY/MM/DD/[<version>]<32 hex>`, the version the environment runs), which is
 * printed with a readable prefix (`[todos:1 0123abcd function]`) and appended to
 * `<directory>/<function>/<stream>`, one event per line as `<ISO time>\t<message>`. Lambda's
 * own lines are derived from platform events; EMF documents in function and extension output are
 * extracted into the {@link MetricStore}.
 */
import { createHash } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { LogEntry, LogFormat, PlatformEvent, SandboxObserver } from '../environment/types';
import { extractEmfMetrics } from './emf';
import type { MetricStore } from './metric-store';
import { platformLogLines } from './platform-lines';

/** The version of an environment nobody said otherwise of. */
const UNPUBLISHED = '$LATEST';

export interface LogSinkOptions {
  readonly functionName: string;
  /** The function timeout in seconds, quoted in `Task timed out` lines. */
  readonly timeoutSec: number;
  /** Root of the stored streams (`.local/logs`). */
  readonly directory: string;
  readonly metrics: MetricStore;
  /** Where streams are printed; nothing is printed when omitted. */
  readonly print?: (line: string) => void;
  /** The format of Lambda's own lines. @default 'Text' */
  readonly logFormat?: LogFormat;
}

interface Stream {
  readonly name: string;
  /** `<function>:<version> <short id>`, the printed prefix. */
  readonly label: string;
  readonly file: string;
  ready: Promise<unknown> | undefined;
}

/** Receives the sandbox's log output; implements the log half of {@link SandboxObserver}. */
export class LogSink implements SandboxObserver {
  private readonly streams = new Map<string, Stream>();
  private pending: Promise<void> = Promise.resolve();
  /** Log events that could not be written to disk (the console copy is still printed). */
  droppedWrites = 0;

  constructor(private readonly options: LogSinkOptions) {}

  /** The log group, as Lambda names it. */
  get logGroup(): string {
    return `/aws/lambda/${this.options.functionName}`;
  }

  /** The stream name of an environment (created on first use). */
  streamName(environmentId: string, version: string = UNPUBLISHED): string {
    return this.stream(environmentId, new Date(), version).name;
  }

  /** A line of an environment that runs `version`. */
  onLog(entry: LogEntry, version: string = UNPUBLISHED): void {
    const stream = this.stream(entry.environmentId, entry.time, version);
    const who = entry.stream === 'extension' ? (entry.source ?? 'extension') : entry.stream;
    this.emit(stream, entry.time, entry.line, who);
    if (entry.stream === 'platform') return;
    const metrics = extractEmfMetrics(entry.line);
    if (metrics.length > 0) {
      this.options.metrics
        .add(metrics.map((metric) => ({ ...metric, logGroup: this.logGroup, logStream: stream.name })))
        .catch(() => undefined);
    }
  }

  /** A platform event of an environment that runs `version`. */
  onPlatformEvent(environmentId: string, event: PlatformEvent, version: string = UNPUBLISHED): void {
    const lines = platformLogLines(event, this.options.timeoutSec, this.options.logFormat);
    if (lines.length === 0) return;
    const time = new Date(event.time);
    const stream = this.stream(environmentId, Number.isNaN(time.getTime()) ? new Date() : time, version);
    for (const line of lines) this.emit(stream, time, line, 'platform');
  }

  /** Resolves when every event so far is on disk. */
  flush(): Promise<void> {
    return this.pending;
  }

  private stream(environmentId: string, time: Date, version: string): Stream {
    let stream = this.streams.get(environmentId);
    if (!stream) {
      // An environment id that already is 32 hex digits is used as is, matching the stream name
      // the environment was given in AWS_LAMBDA_LOG_STREAM_NAME.
      const hex = /^[0-9a-f]{32}$/.test(environmentId)
        ? environmentId
        : createHash('sha256').update(environmentId).digest('hex').slice(0, 32);
      const day = time.toISOString().slice(0, 10).replaceAll('-', '/');
      const name = `${day}/[${version}]${hex}`;
      stream = {
        name,
        label: `${this.options.functionName}:${version} ${hex.slice(0, 8)}`,
        file: path.join(this.options.directory, this.options.functionName, name),
        ready: undefined,
      };
      this.streams.set(environmentId, stream);
    }
    return stream;
  }

  private emit(stream: Stream, time: Date, message: string, who: string): void {
    const prefix = `[${stream.label} ${who}]`;
    this.options.print?.(
      message
        .split('\n')
        .map((line) => `${prefix} ${line}`)
        .join('\n'),
    );
    stream.ready ??= mkdir(path.dirname(stream.file), { recursive: true });
    const ready = stream.ready;
    const stamp = Number.isNaN(time.getTime()) ? new Date().toISOString() : time.toISOString();
    this.pending = this.pending
      .then(() => ready)
      .then(() => appendFile(stream.file, `${stamp}\t${message}\n`))
      .catch(() => {
        this.droppedWrites += 1;
      });
  }
}
