/**
 * The local CloudWatch metrics store: metrics extracted from EMF log events, appended as JSON
 * lines to `<directory>/<namespace>.jsonl` (`.local/metrics/` by default) and queryable.
 */
import { appendFile, mkdir, readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ExtractedMetric } from './emf';

/** A stored datum: the extracted metric plus the log group and stream it came from. */
export interface StoredMetric extends ExtractedMetric {
  logGroup: string;
  logStream: string;
}

/** Selects stored metrics; every given field must match, dimensions as a subset. */
export interface MetricQuery {
  namespace?: string;
  metricName?: string;
  dimensions?: Record<string, string>;
}

/** File name for a namespace: CloudWatch namespaces may hold `/` and `:`. */
const fileFor = (namespace: string): string => `${namespace.replace(/[^A-Za-z0-9._-]/g, '_')}.jsonl`;

const matches = (metric: StoredMetric, query: MetricQuery): boolean =>
  (query.namespace === undefined || metric.namespace === query.namespace) &&
  (query.metricName === undefined || metric.metricName === query.metricName) &&
  Object.entries(query.dimensions ?? {}).every(([name, value]) => metric.dimensions[name] === value);

/** Appends metrics in arrival order; reads see everything flushed. */
export class MetricStore {
  private pending: Promise<void> = Promise.resolve();
  private ready: Promise<unknown> | undefined;

  constructor(readonly directory: string) {}

  add(metrics: readonly StoredMetric[]): Promise<void> {
    if (metrics.length === 0) return this.pending;
    const byFile = new Map<string, string[]>();
    for (const metric of metrics) {
      const file = fileFor(metric.namespace);
      const lines = byFile.get(file) ?? [];
      if (lines.length === 0) byFile.set(file, lines);
      lines.push(JSON.stringify(metric));
    }
    this.ready ??= mkdir(this.directory, { recursive: true });
    const ready = this.ready;
    const write = this.pending.then(async () => {
      await ready;
      for (const [file, lines] of byFile)
        await appendFile(path.join(this.directory, file), `${lines.join('\n')}\n`);
    });
    // A failed write must not block later ones; the log line itself is already kept.
    this.pending = write.catch(() => undefined);
    return write;
  }

  /** Resolves when everything added so far is on disk. */
  flush(): Promise<void> {
    return this.pending;
  }

  /** The stored metrics matching the query, oldest first. */
  async query(query: MetricQuery = {}): Promise<StoredMetric[]> {
    await this.flush();
    return readMetrics(this.directory, query);
  }
}

/** Reads a metrics directory written by {@link MetricStore}. */
export async function readMetrics(directory: string, query: MetricQuery = {}): Promise<StoredMetric[]> {
  let files: string[];
  try {
    files = (await readdir(directory)).filter((file) => file.endsWith('.jsonl'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  if (query.namespace !== undefined) files = files.filter((file) => file === fileFor(query.namespace!));
  const metrics: StoredMetric[] = [];
  for (const file of files) {
    for (const line of (await readFile(path.join(directory, file), 'utf8')).split('\n')) {
      if (!line.trim()) continue;
      try {
        const metric = JSON.parse(line) as StoredMetric;
        if (matches(metric, query)) metrics.push(metric);
      } catch {
        // A line cut short by a crash mid-write is skipped.
      }
    }
  }
  return metrics.sort((a, b) => a.timestamp - b.timestamp);
}
