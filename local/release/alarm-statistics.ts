/**
 * CloudWatch statistics over the data of one period, with the `Values`/`Counts` weights that
 * `PutMetricData` and EMF store (a value with count 3 is three samples).
 *
 * Percentiles: CloudWatch computes them from an approximate distribution and does not publish
 * the rule; here they are exact over the stored samples with the nearest-rank rule: `pNN` is
 * the smallest stored value at or below which at least NN % of the samples lie (rank
 * ⌈NN/100 × n⌉). It always returns a value that was observed, `p100` is the maximum and `p0`
 * the minimum, which is what CloudWatch gives for small sample counts such as a canary's.
 * The trimmed statistics (`tm`, `wm`, `tc`, `ts`, `IQM`) take their bounds from the same
 * percentiles and, as CloudWatch documents, keep values v with lower < v ≤ upper (a lower
 * bound of 0 % keeps the minimum).
 */

/** The data of one period: stored datapoints' values with their counts. */
interface WeightedValues {
  readonly values: readonly number[];
  readonly counts: readonly number[];
}

/** A statistic over a period's data; `undefined` when the period yields no datapoint. */
export type Statistic = (data: readonly WeightedValues[]) => number | undefined;

/** A statistic name CloudWatch would reject. */
export class StatisticError extends Error {
  override readonly name = 'StatisticError';
}

interface Sample {
  readonly value: number;
  readonly count: number;
}

/** Samples sorted by value, equal values merged, non-positive counts dropped. */
const samplesOf = (data: readonly WeightedValues[]): Sample[] => {
  const merged = new Map<number, number>();
  for (const datum of data) {
    datum.values.forEach((value, index) => {
      const count = datum.counts[index] ?? 1;
      if (count > 0) merged.set(value, (merged.get(value) ?? 0) + count);
    });
  }
  return [...merged].map(([value, count]) => ({ value, count })).sort((a, b) => a.value - b.value);
};

const total = (samples: readonly Sample[]): number => samples.reduce((sum, sample) => sum + sample.count, 0);

/** Nearest-rank percentile of sorted samples (see the module comment). */
const percentileOf = (samples: readonly Sample[], percent: number): number | undefined => {
  const n = total(samples);
  if (n === 0) return undefined;
  const rank = Math.max(1, Math.ceil((percent / 100) * n - 1e-9));
  let seen = 0;
  for (const sample of samples) {
    seen += sample.count;
    if (seen >= rank) return sample.value;
  }
  return samples.at(-1)?.value;
};

/** Samples v with lower < v ≤ upper, bounds as percentiles; a 0 % lower bound keeps the minimum. */
const trimmed = (samples: readonly Sample[], lowerPercent: number, upperPercent: number): Sample[] => {
  const lower = lowerPercent <= 0 ? Number.NEGATIVE_INFINITY : (percentileOf(samples, lowerPercent) ?? 0);
  const upper = percentileOf(samples, upperPercent) ?? 0;
  return samples.filter((sample) => sample.value > lower && sample.value <= upper);
};

const weightedSum = (samples: readonly Sample[]): number =>
  samples.reduce((sum, sample) => sum + sample.value * sample.count, 0);

const mean = (samples: readonly Sample[]): number | undefined => {
  const n = total(samples);
  return n === 0 ? undefined : weightedSum(samples) / n;
};

const BASIC: Record<string, (samples: readonly Sample[]) => number | undefined> = {
  SampleCount: (samples) => (samples.length === 0 ? undefined : total(samples)),
  Sum: (samples) => (samples.length === 0 ? undefined : weightedSum(samples)),
  Average: mean,
  Minimum: (samples) => samples[0]?.value,
  Maximum: (samples) => samples.at(-1)?.value,
};

type Trimmed = 'tm' | 'wm' | 'tc' | 'ts';

const TRIMMED: Record<
  Trimmed,
  (samples: readonly Sample[], lower: number, upper: number) => number | undefined
> = {
  tm: (samples, lower, upper) => mean(trimmed(samples, lower, upper)),
  tc: (samples, lower, upper) => (samples.length === 0 ? undefined : total(trimmed(samples, lower, upper))),
  ts: (samples, lower, upper) =>
    samples.length === 0 ? undefined : weightedSum(trimmed(samples, lower, upper)),
  // Winsorized mean: values beyond the bounds count as the bound instead of being dropped.
  wm: (samples, lower, upper) => {
    const low = lower <= 0 ? Number.NEGATIVE_INFINITY : (percentileOf(samples, lower) ?? 0);
    const high = percentileOf(samples, upper) ?? 0;
    return mean(samples.map((sample) => ({ ...sample, value: Math.min(high, Math.max(low, sample.value)) })));
  },
};

const percentNumber = (text: string, stat: string): number => {
  const value = Number(text);
  if (text === '' || !Number.isFinite(value) || value < 0 || value > 100) {
    throw new StatisticError(
      `statistic ${stat}: ${text || 'an empty bound'} is not a percentage from 0 to 100`,
    );
  }
  return value;
};

/**
 * The statistic a `Stat`, `Statistic` or `ExtendedStatistic` names: `Sum`, `Average`, `Minimum`,
 * `Maximum`, `SampleCount`, `pNN[.NN]`, `tmNN`/`wmNN`/`tcNN`/`tsNN` (bounds 0 %–NN %),
 * `TM(a%:b%)` and its kin (either bound may be left empty), `IQM`.
 *
 * @example
 * parseStatistic('p99')([{ values: [10, 900], counts: [99, 1] }]) // → 10
 */
export function parseStatistic(stat: string): Statistic {
  const basic = BASIC[stat];
  if (basic) return (data) => basic(samplesOf(data));
  if (stat.toUpperCase() === 'IQM') return (data) => TRIMMED.tm(samplesOf(data), 25, 75);

  const percentile = /^p(\d+(?:\.\d+)?)$/i.exec(stat);
  if (percentile) {
    const percent = percentNumber(percentile[1] as string, stat);
    return (data) => percentileOf(samplesOf(data), percent);
  }
  const short = /^(tm|wm|tc|ts)(\d+(?:\.\d+)?)$/i.exec(stat);
  if (short) {
    const kind = (short[1] as string).toLowerCase() as Trimmed;
    const upper = percentNumber(short[2] as string, stat);
    return (data) => TRIMMED[kind](samplesOf(data), 0, upper);
  }
  const ranged = /^(tm|wm|tc|ts)\(([\d.]*)%?:([\d.]*)%?\)$/i.exec(stat);
  if (ranged) {
    const kind = (ranged[1] as string).toLowerCase() as Trimmed;
    const lower = ranged[2] === '' ? 0 : percentNumber(ranged[2] as string, stat);
    const upper = ranged[3] === '' ? 100 : percentNumber(ranged[3] as string, stat);
    if (lower >= upper)
      throw new StatisticError(`statistic ${stat}: the lower bound must be below the upper`);
    return (data) => TRIMMED[kind](samplesOf(data), lower, upper);
  }
  throw new StatisticError(
    `unsupported statistic ${stat}: use Sum, Average, Minimum, Maximum, SampleCount, pNN, tmNN, wmNN, tcNN, tsNN, TM(a%:b%) or IQM`,
  );
}
