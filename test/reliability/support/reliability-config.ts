/**
 * The reliability tests' configuration: the one place in these tests that reads
 * `process.env`.
 */

/** Generated cases per property in the default run: keeps `npm test` to a few hundred cases. */
const DEFAULT_FUZZ_RUNS = 60;

/** Settings the reliability tests read from the environment. */
export interface ReliabilityConfig {
  /**
   * Cases per generated property (`FUZZ_RUNS`). `npm run test:fuzz` sets 2,500,
   * which makes more than 10,000 cases over the handler and front-door properties.
   */
  readonly fuzzRuns: number;
  /**
   * Per-test limit for generated properties: the suite's 60 s, plus a generous 400 ms a case
   * (a front-door case is a real HTTP round trip through the sandbox), so long runs are not cut off.
   */
  readonly propertyTimeoutMs: number;
  /** Fixed fast-check seed to replay a failure (`FUZZ_SEED`); random when unset. */
  readonly fuzzSeed: number | undefined;
}

function positiveInteger(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new Error(`${name}=${raw} is not a positive integer; unset it or give a count such as 2500`);
  }
  return value;
}

function load(env: Readonly<Record<string, string | undefined>>): ReliabilityConfig {
  const seed = env.FUZZ_SEED;
  const fuzzRuns = positiveInteger('FUZZ_RUNS', env.FUZZ_RUNS) ?? DEFAULT_FUZZ_RUNS;
  return {
    fuzzRuns,
    propertyTimeoutMs: 60_000 + fuzzRuns * 400,
    fuzzSeed: seed === undefined || seed === '' ? undefined : Number.parseInt(seed, 10),
  };
}

/** Read once, when the first test file imports it. */
export const RELIABILITY_CONFIG: ReliabilityConfig = load(process.env);
