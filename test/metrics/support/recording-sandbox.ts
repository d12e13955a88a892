/**
 * The local sandbox running the built todo handler (dist/functions/todos) and the built
 * extension layer (dist/layer, as `npm test` builds them), with the platform events and log
 * lines of every environment recorded as the sandbox's own observer sees them.
 */
import { cp, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FunctionPool } from '../../../local/environment/function-pool';
import type { LogEntry, PlatformEvent } from '../../../local/environment/types';
import { parseEmfDocument } from '../../../local/logs/emf';
import type { StoredMetric } from '../../../local/logs/metric-store';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../../local/sandbox';

/** A sandbox plus what its environments emitted. */
export interface RecordingSandbox {
  readonly sandbox: Sandbox;
  /** Every platform event, in order. */
  readonly platform: PlatformEvent[];
  /** Every function and extension log line, in order. */
  readonly lines: LogEntry[];
  /** A copy of the layer this sandbox runs, so its processes can be told from other sandboxes'. */
  readonly layerDir: string;
  readonly stateDir: string;
  /** Closes the sandbox (SHUTDOWN flushes the extension) and removes its state. */
  close(): Promise<void>;
}

/** Starts a sandbox on a private copy of the built layer (none when `withLayer` is false). */
export async function startRecordingSandbox(
  options: SandboxOptions & { readonly withLayer?: boolean } = {},
): Promise<RecordingSandbox> {
  const stateDir = await mkdtemp(path.join(tmpdir(), 'metrics-e2e-'));
  const layerDir = path.join(stateDir, 'layer');
  const withLayer = options.withLayer ?? true;
  if (withLayer) await cp(path.resolve('dist/layer'), layerDir, { recursive: true });
  const platform: PlatformEvent[] = [];
  const lines: LogEntry[] = [];
  const sandbox = await startSandbox({
    inMemory: true,
    stateDir,
    timeoutSec: 10,
    ...options,
    layers: withLayer ? [layerDir] : [],
    createRunner: (definition, observer) =>
      new FunctionPool(definition, {
        onLog(entry) {
          lines.push(entry);
          observer.onLog(entry);
        },
        onPlatformEvent(environmentId, event) {
          platform.push(event);
          observer.onPlatformEvent(environmentId, event);
        },
      }),
  });
  let closed = false;
  return {
    sandbox,
    platform,
    lines,
    layerDir,
    stateDir,
    async close() {
      if (closed) return;
      closed = true;
      await sandbox.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** Every data point of the metrics, one number per occurrence (Values expanded by Counts), sorted. */
export function dataPoints(metrics: readonly StoredMetric[]): number[] {
  return metrics
    .flatMap((metric) =>
      metric.values.flatMap((value, i) => Array<number>(metric.counts[i] ?? 1).fill(value)),
    )
    .sort((a, b) => a - b);
}

/** The sum of every data point (CloudWatch's Sum statistic). */
export function sumOf(metrics: readonly StoredMetric[]): number {
  return dataPoints(metrics).reduce((sum, value) => sum + value, 0);
}

/** Records of the platform events of one type. */
export function recordsOf<T = Record<string, unknown>>(events: readonly PlatformEvent[], type: string): T[] {
  return events.filter((event) => event.type === type).map((event) => event.record as T);
}

/** The EMF documents among log lines of one stream. */
export function emfLines(lines: readonly LogEntry[], stream: LogEntry['stream']): string[] {
  return lines
    .filter((entry) => entry.stream === stream && parseEmfDocument(entry.line))
    .map((entry) => entry.line);
}

/** A sampled X-Ray trace header with a fresh root, for a request that must be traced. */
export function sampledTraceHeader(tag: string): { root: string; header: string } {
  const random = Array.from({ length: 20 }, () => Math.floor(Math.random() * 16).toString(16)).join('');
  const root = `1-${Math.floor(Date.now() / 1000).toString(16)}-${random}${tag.padStart(4, '0').slice(-4)}`;
  return { root, header: `Root=${root};Sampled=1` };
}
