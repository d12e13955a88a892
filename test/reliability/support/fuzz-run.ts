/**
 * Runs a fast-check property with the configured number of cases and counts
 * the cases tried, so a run can report its figures.
 */
import fc from 'fast-check';
import { RELIABILITY_CONFIG } from './reliability-config';

/** Cases tried in this test file, by property name. */
export const CASES_TRIED = new Map<string, number>();

/**
 * Asserts `property` over `RELIABILITY_CONFIG.fuzzRuns` cases (`scale` times
 * that), replaying `FUZZ_SEED` when set.
 */
export async function assertProperty<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (value: T) => Promise<void>,
  scale = 1,
): Promise<void> {
  const numRuns = Math.max(1, Math.round(RELIABILITY_CONFIG.fuzzRuns * scale));
  const { fuzzSeed } = RELIABILITY_CONFIG;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (value) => {
      CASES_TRIED.set(name, (CASES_TRIED.get(name) ?? 0) + 1);
      await check(value);
    }),
    { numRuns, ...(fuzzSeed !== undefined ? { seed: fuzzSeed } : {}) },
  );
}
