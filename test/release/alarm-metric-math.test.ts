import { describe, expect, it } from 'vitest';
import { evaluateMetricMath, MetricMathError, type Series } from '../../local/release/metric-math';

const _ = undefined;

/** Evaluates on a grid of one-minute periods with the given series by id. */
const run = (expression: string, series: Record<string, Series>): Series => {
  const size = Object.values(series)[0]?.length ?? 3;
  return evaluateMetricMath(expression, { series: (id) => series[id], size, period: 60 });
};

describe('metric math in alarms', () => {
  it('combines series period by period with + - * / ^ and precedence', () => {
    // Act
    const result = run('a + b * 2 - a / b ^ 1', { a: [4, 6, 8], b: [2, 3, 4] });

    // Assess
    expect(result).toEqual([4 + 4 - 2, 6 + 6 - 2, 8 + 8 - 2]);
  });

  it('yields no datapoint where an operand is missing', () => {
    // Act
    const result = run('a + b', { a: [1, _, 3], b: [10, 20, _] });

    // Assess
    expect(result).toEqual([11, _, _]);
  });

  it('yields no datapoint for a division by zero', () => {
    // Act / Assess
    expect(run('100 * a / b', { a: [1, 2], b: [4, 0] })).toEqual([25, _]);
  });

  it('fills missing datapoints with a constant, REPEAT or LINEAR', () => {
    // Prepare
    const series = { a: [_, 2, _, _, 8, _] };

    // Act / Assess
    expect(run('FILL(a, 0)', series)).toEqual([0, 2, 0, 0, 8, 0]);
    expect(run('FILL(a, REPEAT)', series)).toEqual([_, 2, 2, 2, 8, 8]);
    expect(run('FILL(a, LINEAR)', series)).toEqual([_, 2, 4, 6, 8, _]);
  });

  it('evaluates comparisons and logic to 1 and 0', () => {
    // Prepare
    const series = { a: [1, 5, 9], b: [5, 5, 5] };

    // Act / Assess
    expect(run('a > b', series)).toEqual([0, 0, 1]);
    expect(run('a >= b', series)).toEqual([0, 1, 1]);
    expect(run('a < b', series)).toEqual([1, 0, 0]);
    expect(run('a <= b', series)).toEqual([1, 1, 0]);
    expect(run('a == b', series)).toEqual([0, 1, 0]);
    expect(run('a != b', series)).toEqual([1, 0, 1]);
    expect(run('a > 2 AND b == 5', series)).toEqual([0, 1, 1]);
    expect(run('a > 2 OR a < 2', series)).toEqual([1, 1, 1]);
    expect(run('NOT a > 2', series)).toEqual([1, 0, 0]);
  });

  it('takes IF per period, with no datapoint where the condition is missing', () => {
    // Prepare
    const series = { c: [1, 0, _], a: [10, 20, 30], b: [-1, -2, -3] };

    // Act / Assess
    expect(run('IF(c, a, b)', series)).toEqual([10, -2, _]);
    expect(run('IF(c, a)', series)).toEqual([10, _, _]);
    expect(run('IF(c > 0, a, 0)', series)).toEqual([10, 0, _]);
  });

  it('computes a 5xx rate that is 0, not missing, for a period without traffic', () => {
    // Prepare: errors only published when they happen, requests missing in the idle period.
    const series = { errors: [2, _, _], requests: [40, 10, _] };

    // Act
    const rate = run('100 * FILL(errors, 0) / IF(FILL(requests, 0) > 0, requests, 1)', series);

    // Assess
    expect(rate).toEqual([5, 0, 0]);
  });

  it('aggregates an array per period and a series over the grid', () => {
    // Prepare
    const series = { a: [1, _, 3], b: [4, _, _] };

    // Act / Assess
    expect(run('MAX([a, b])', series)).toEqual([4, _, 3]);
    expect(run('MIN([a, b])', series)).toEqual([1, _, 3]);
    expect(run('SUM([a, b])', series)).toEqual([5, _, 3]);
    expect(run('AVG([a, b])', series)).toEqual([2.5, _, 3]);
    expect(run('a / MAX(a)', series)).toEqual([1 / 3, _, 1]);
    expect(run('a * 0 + PERIOD(a)', series)).toEqual([60, _, 60]);
  });

  it('refuses SEARCH, which CloudWatch does not allow in alarms', () => {
    // Act / Assess
    expect(() =>
      run(`SEARCH('{AWS/Lambda,FunctionName} MetricName="Errors"', 'Sum', 60)`, { a: [1] }),
    ).toThrow(/SEARCH is not allowed in alarms/);
  });

  it('names the expression and the problem for an unknown id, function or syntax error', () => {
    // Act / Assess
    expect(() => run('a + nope', { a: [1] })).toThrow(MetricMathError);
    expect(() => run('a + nope', { a: [1] })).toThrow(/"a \+ nope": unknown id "nope"/);
    expect(() => run('RATE(a)', { a: [1] })).toThrow(/unsupported function RATE/);
    expect(() => run('a +', { a: [1] })).toThrow(/ends early/);
    expect(() => run('1 + 2', { a: [1] })).toThrow(/one time series/);
  });
});
