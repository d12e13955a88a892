import { describe, expect, it } from 'vitest';
import { DEFAULT_COST_ASSUMPTIONS, describeAssumptions, estimateCost } from '../../bench/cost-model';

describe('estimateCost', () => {
  it('prices only the request charge when nothing is billed', () => {
    // Prepare / Act
    const [at128] = estimateCost({ warmBilledMs: 0, initMs: 0, coldInvokeBilledMs: 0 });

    // Assess
    expect(at128!.dollarsPerMillion).toBeCloseTo(0.2, 10);
  });

  it('prices a warm-only function by GB-seconds at arm64 rates', () => {
    // Prepare
    const assumptions = { ...DEFAULT_COST_ASSUMPTIONS, coldStartRate: 0 };

    // Act
    const [at128, at1024] = estimateCost(
      { warmBilledMs: 10, initMs: 500, coldInvokeBilledMs: 50 },
      assumptions,
    );

    // Assess: 1e6 × 0.125 GB × 0.010 s × $0.0000133334 = $0.01666675, plus $0.20.
    expect(at128!.dollarsPerMillion).toBeCloseTo(0.21666675, 8);
    expect(at1024!.dollarsPerMillion).toBeCloseTo(0.333334, 6);
  });

  it('bills a cold request for its init and its first invoke, mixed by the cold-start rate', () => {
    // Prepare
    const assumptions = { ...DEFAULT_COST_ASSUMPTIONS, coldStartRate: 0.2, memorySizesMb: [1024] };

    // Act
    const [estimate] = estimateCost({ warmBilledMs: 10, initMs: 199.2, coldInvokeBilledMs: 40 }, assumptions);

    // Assess: 0.8 × 10 + 0.2 × (200 + 40) = 56 ms.
    expect(estimate!.meanBilledMs).toBeCloseTo(56, 10);
    expect(estimate!.dollarsPerMillion).toBeCloseTo(0.2 + 1_000_000 * 1 * 0.056 * 0.0000133334, 8);
  });

  it('rejects a cold-start rate outside [0, 1]', () => {
    // Prepare
    const assumptions = { ...DEFAULT_COST_ASSUMPTIONS, coldStartRate: 1.5 };

    // Act / Assess
    expect(() => estimateCost({ warmBilledMs: 1, initMs: 1, coldInvokeBilledMs: 1 }, assumptions)).toThrow(
      RangeError,
    );
  });
});

describe('describeAssumptions', () => {
  it('prints the cold-start rate and both prices', () => {
    // Prepare / Act
    const lines = describeAssumptions().join('\n');

    // Assess
    expect(lines).toContain('20%');
    expect(lines).toContain('0.0000133334');
    expect(lines).toContain('$0.20 per million requests');
  });
});
