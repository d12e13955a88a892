/**
 * Dollars per million requests on Lambda arm64 from measured durations.
 *
 * Billing rules the model follows: duration is billed per GB-second, rounded up to the
 * millisecond per invocation; since August 2025 the INIT phase of on-demand functions on managed
 * runtimes is billed like invoke time, so a cold request pays init + its first invoke.
 */

/** The pricing and traffic assumptions; printed beside every cost table. */
export interface CostAssumptions {
  /** Share of requests that meet a cold environment (0–1). */
  coldStartRate: number;
  /** arm64 price per GB-second, first pricing tier. */
  pricePerGbSecond: number;
  /** Price per million requests. */
  pricePerMillionRequests: number;
  /** Memory sizes to price, in MB. */
  memorySizesMb: number[];
}

/** arm64, us-east-1, first tier: $0.0000133334 per GB-s; $0.20 per million requests. */
export const DEFAULT_COST_ASSUMPTIONS: CostAssumptions = {
  // 20% matches the published comparison this report sets its figures beside.
  coldStartRate: 0.2,
  pricePerGbSecond: 0.0000133334,
  pricePerMillionRequests: 0.2,
  memorySizesMb: [128, 1024],
};

/**
 * Per-million figures published in the article this project grew from (128 MB, 10 ms of work,
 * 20% cold starts). Printed as published; they are not recomputed here.
 */
export const ARTICLE_REFERENCE_128MB: ReadonlyArray<{ runtime: string; dollarsPerMillion: number }> = [
  { runtime: 'Python 3.12', dollarsPerMillion: 1.04 },
  { runtime: 'Node 20', dollarsPerMillion: 0.95 },
  { runtime: 'Rust', dollarsPerMillion: 0.55 },
];

/** Measured durations of one variant, in milliseconds (medians). */
export interface MeasuredDurations {
  /** Billed duration of a warm invoke (already rounded up to the ms by the platform report). */
  warmBilledMs: number;
  /** Init duration of a cold environment. */
  initMs: number;
  /** Billed duration of the first invoke of a cold environment. */
  coldInvokeBilledMs: number;
}

/** Cost of one variant at one memory size. */
export interface CostEstimate {
  memoryMb: number;
  /** Mean billed milliseconds per request after mixing warm and cold by the cold-start rate. */
  meanBilledMs: number;
  dollarsPerMillion: number;
}

/** Prices a variant at every memory size of the assumptions. */
export function estimateCost(
  durations: MeasuredDurations,
  assumptions: CostAssumptions = DEFAULT_COST_ASSUMPTIONS,
): CostEstimate[] {
  const { coldStartRate: cold } = assumptions;
  if (!(cold >= 0 && cold <= 1)) throw new RangeError(`cold-start rate must be within [0, 1], got ${cold}`);
  for (const [name, value] of Object.entries(durations)) {
    if (!(value >= 0)) throw new RangeError(`${name} must be a non-negative number of ms, got ${value}`);
  }
  // Init and each invoke are billed separately, each rounded up to the millisecond.
  const coldBilledMs = Math.ceil(durations.initMs) + Math.ceil(durations.coldInvokeBilledMs);
  const meanBilledMs = (1 - cold) * Math.ceil(durations.warmBilledMs) + cold * coldBilledMs;
  return assumptions.memorySizesMb.map((memoryMb) => {
    const gbSecondsPerRequest = (memoryMb / 1024) * (meanBilledMs / 1000);
    const dollarsPerMillion =
      assumptions.pricePerMillionRequests + gbSecondsPerRequest * assumptions.pricePerGbSecond * 1_000_000;
    return { memoryMb, meanBilledMs, dollarsPerMillion };
  });
}

/** The assumptions as printable lines, so no cost figure appears without them. */
export function describeAssumptions(assumptions: CostAssumptions = DEFAULT_COST_ASSUMPTIONS): string[] {
  return [
    `cold-start rate ${(assumptions.coldStartRate * 100).toFixed(0)}% of requests`,
    `arm64 $${assumptions.pricePerGbSecond} per GB-second`,
    `$${assumptions.pricePerMillionRequests.toFixed(2)} per million requests`,
    'cold request billed as init + first invoke (INIT is billed on managed runtimes since August 2025)',
    'durations measured in the sandbox at each size; where cgroups enforce it, invokes get the CPU share Lambda gives that size (1,769 MB = one vCPU) and init runs unthrottled, otherwise they ran at full core speed and real durations at small sizes are longer',
  ];
}
