/**
 * Order statistics for benchmark samples. Percentiles use linear interpolation between closest
 * ranks (the "R-7" definition spreadsheets and NumPy default to), so a p99 over 20 samples is an
 * honest blend of the two slowest instead of jumping to the maximum.
 */

/** Every figure a report prints for one measured quantity, with its spread. */
export interface Summary {
  /** Number of samples. */
  n: number;
  min: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
  /** Sample standard deviation (n − 1); 0 for fewer than two samples. */
  stdev: number;
  /** Interquartile range p75 − p25: the spread figure that outliers on a shared machine do not dominate. */
  iqr: number;
}

/** Raised when a summary is asked of no samples: a stage that measured nothing must say so, not print zeros. */
export class EmptySampleError extends Error {
  constructor(what: string) {
    super(`no samples for ${what}`);
    this.name = 'EmptySampleError';
  }
}

/** The q-quantile (0 ≤ q ≤ 1) of already sorted samples, by linear interpolation. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) throw new EmptySampleError(`quantile ${q}`);
  if (q < 0 || q > 1 || Number.isNaN(q)) throw new RangeError(`quantile must be within [0, 1], got ${q}`);
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  const low = sorted[lower]!;
  const high = sorted[upper]!;
  return low + (high - low) * (position - lower);
}

/**
 * Summarizes samples. Non-finite values are rejected because they always mean a broken
 * measurement (a missing timestamp), never a slow one.
 *
 * @example summarize([12.1, 11.8, 13.0], 'init ms').p50 // 12.1
 */
export function summarize(samples: readonly number[], what = 'samples'): Summary {
  if (samples.length === 0) throw new EmptySampleError(what);
  for (const value of samples) {
    if (!Number.isFinite(value)) throw new RangeError(`${what}: non-finite sample ${value}`);
  }
  const sorted = [...samples].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((sum, value) => sum + value, 0) / n;
  const variance = n < 2 ? 0 : sorted.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  return {
    n,
    min: sorted[0]!,
    p50: quantileSorted(sorted, 0.5),
    p90: quantileSorted(sorted, 0.9),
    p99: quantileSorted(sorted, 0.99),
    max: sorted[n - 1]!,
    mean,
    stdev: Math.sqrt(variance),
    iqr: quantileSorted(sorted, 0.75) - quantileSorted(sorted, 0.25),
  };
}

/** `value / baseline`, or undefined when the baseline is zero or absent (a ratio to nothing is not a figure). */
export function ratio(value: number | undefined, baseline: number | undefined): number | undefined {
  if (value === undefined || baseline === undefined || baseline === 0) return undefined;
  return value / baseline;
}

/**
 * A histogram of samples over fixed-width buckets from 0 up to `upper` (samples above land in
 * the last bucket), for the latency-distribution chart.
 */
export function histogram(samples: readonly number[], upper: number, buckets: number): number[] {
  if (buckets < 1 || !(upper > 0)) throw new RangeError('histogram needs at least one bucket and upper > 0');
  const counts = new Array<number>(buckets).fill(0);
  const width = upper / buckets;
  for (const value of samples) {
    const index = Math.min(buckets - 1, Math.max(0, Math.floor(value / width)));
    counts[index] = counts[index]! + 1;
  }
  return counts;
}
