import { describe, expect, it } from 'vitest';
import { EmptySampleError, histogram, quantileSorted, ratio, summarize } from '../../bench/statistics';

describe('summarize', () => {
  it('reports median, percentiles and spread of the samples', () => {
    // Prepare
    const samples = [5, 1, 4, 2, 3, 10, 6, 7, 8, 9];

    // Act
    const summary = summarize(samples, 'test');

    // Assess
    expect(summary.n).toBe(10);
    expect(summary.min).toBe(1);
    expect(summary.max).toBe(10);
    expect(summary.p50).toBeCloseTo(5.5, 10);
    expect(summary.p90).toBeCloseTo(9.1, 10);
    expect(summary.p99).toBeCloseTo(9.91, 10);
    expect(summary.mean).toBeCloseTo(5.5, 10);
    expect(summary.stdev).toBeCloseTo(3.0277, 3);
    expect(summary.iqr).toBeCloseTo(4.5, 10);
  });

  it('gives a zero spread for a single sample', () => {
    // Prepare / Act
    const summary = summarize([42]);

    // Assess
    expect(summary).toMatchObject({ n: 1, p50: 42, p99: 42, stdev: 0, iqr: 0 });
  });

  it('refuses an empty sample instead of printing zeros', () => {
    // Prepare / Act / Assess
    expect(() => summarize([], 'init ms')).toThrow(EmptySampleError);
    expect(() => summarize([], 'init ms')).toThrow(/init ms/);
  });

  it('refuses non-finite samples, which mean a broken measurement', () => {
    // Prepare / Act / Assess
    expect(() => summarize([1, Number.NaN])).toThrow(RangeError);
    expect(() => summarize([1, Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });

  it('does not reorder the caller’s array', () => {
    // Prepare
    const samples = [3, 1, 2];

    // Act
    summarize(samples);

    // Assess
    expect(samples).toEqual([3, 1, 2]);
  });
});

describe('quantileSorted', () => {
  it('interpolates between the closest ranks', () => {
    // Prepare / Act / Assess
    expect(quantileSorted([10, 20], 0.25)).toBe(12.5);
    expect(quantileSorted([10, 20, 30], 0)).toBe(10);
    expect(quantileSorted([10, 20, 30], 1)).toBe(30);
  });

  it('rejects a quantile outside [0, 1]', () => {
    // Prepare / Act / Assess
    expect(() => quantileSorted([1], 1.5)).toThrow(RangeError);
  });
});

describe('ratio', () => {
  it('divides by the baseline and gives nothing for a zero or missing one', () => {
    // Prepare / Act / Assess
    expect(ratio(15, 10)).toBe(1.5);
    expect(ratio(15, 0)).toBeUndefined();
    expect(ratio(undefined, 10)).toBeUndefined();
  });
});

describe('histogram', () => {
  it('counts samples per bucket and puts overflow in the last bucket', () => {
    // Prepare
    const samples = [0.5, 1.5, 1.7, 3.9, 99];

    // Act
    const counts = histogram(samples, 4, 4);

    // Assess
    expect(counts).toEqual([1, 2, 0, 2]);
  });
});
