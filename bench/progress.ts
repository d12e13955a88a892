/**
 * Progress lines on stderr while the bench runs (stdout stays free for the final summary), each
 * stamped with the seconds since the run began so a slow stage is visible as it happens.
 */
import { performance } from 'node:perf_hooks';

const started = performance.now();

/** Prints one progress line: `[  12.3s] stage: message`. */
export function progress(stage: string, message: string): void {
  const seconds = ((performance.now() - started) / 1000).toFixed(1).padStart(6);
  process.stderr.write(`[${seconds}s] ${stage}: ${message}\n`);
}
