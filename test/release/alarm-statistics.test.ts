import { describe, expect, it } from 'vitest';
import { parseStatistic, StatisticError } from '../../local/release/alarm-statistics';

// Two stored datapoints of one period, in PutMetricData's Values/Counts shape: 100 samples in all.
const PERIOD = [
  { values: [10, 20], counts: [50, 30] },
  { values: [20, 900, 5], counts: [10, 9, 1] },
];

describe('alarm statistics', () => {
  it('weights Sum, Average and SampleCount by Counts', () => {
    // Act
    const sum = parseStatistic('Sum')(PERIOD);
    const count = parseStatistic('SampleCount')(PERIOD);
    const average = parseStatistic('Average')(PERIOD);

    // Assess
    expect(sum).toBe(10 * 50 + 20 * 40 + 900 * 9 + 5);
    expect(count).toBe(100);
    expect(average).toBeCloseTo((10 * 50 + 20 * 40 + 900 * 9 + 5) / 100);
  });

  it('takes Minimum and Maximum over every datapoint of the period', () => {
    // Act / Assess
    expect(parseStatistic('Minimum')(PERIOD)).toBe(5);
    expect(parseStatistic('Maximum')(PERIOD)).toBe(900);
  });

  it('computes percentiles by nearest rank over the weighted samples', () => {
    // Act / Assess: sorted, ranks 1 (5), 2–51 (10), 52–91 (20), 92–100 (900).
    expect(parseStatistic('p50')(PERIOD)).toBe(10);
    expect(parseStatistic('p51')(PERIOD)).toBe(10);
    expect(parseStatistic('p52')(PERIOD)).toBe(20);
    expect(parseStatistic('p91')(PERIOD)).toBe(20);
    expect(parseStatistic('p99')(PERIOD)).toBe(900);
    expect(parseStatistic('p99.9')(PERIOD)).toBe(900);
    expect(parseStatistic('p0')(PERIOD)).toBe(5);
    expect(parseStatistic('p100')(PERIOD)).toBe(900);
  });

  it('gives p99 of one sample as that sample, as a canary with one request has', () => {
    // Act / Assess
    expect(parseStatistic('p99')([{ values: [1234], counts: [1] }])).toBe(1234);
  });

  it('computes trimmed and winsorized means with percentile bounds', () => {
    // Prepare
    const samples = [{ values: [1, 2, 3, 4, 100], counts: [1, 1, 1, 1, 1] }];

    // Act / Assess: p80 = 4, so tm80 drops the 100; wm80 counts it as 4.
    expect(parseStatistic('tm80')(samples)).toBe(2.5);
    expect(parseStatistic('wm80')(samples)).toBe(2.8);
    expect(parseStatistic('tc80')(samples)).toBe(4);
    expect(parseStatistic('ts80')(samples)).toBe(10);
    // p20 = 1 is excluded (lower < v), p80 = 4 kept (v <= upper).
    expect(parseStatistic('TM(20%:80%)')(samples)).toBe(3);
    // IQM is TM(25%:75%): p25 = 2 excluded, p75 = 4 kept.
    expect(parseStatistic('IQM')(samples)).toBe(3.5);
  });

  it('yields no datapoint for a period without data', () => {
    // Act / Assess
    expect(parseStatistic('Sum')([])).toBeUndefined();
    expect(parseStatistic('p99')([])).toBeUndefined();
    expect(parseStatistic('SampleCount')([])).toBeUndefined();
  });

  it('rejects a statistic CloudWatch does not know, naming it', () => {
    // Act / Assess
    expect(() => parseStatistic('Median')).toThrow(StatisticError);
    expect(() => parseStatistic('p101')).toThrow(/p101/);
  });
});
